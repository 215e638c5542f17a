"""Tests for ``healthaid.idnumbers``: the only door ID numbers come through.

Messages are translated (English msgids, Chinese catalogue), so tests assert on ``.code``,
``.params`` and the interpolated facts (lengths, characters, dates) rather than on wording.
No database is needed.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from healthaid import idnumbers
from healthaid.idnumbers import (
    PROVINCE_CODES,
    IDNumberDecryptError,
    IDNumberError,
    IDNumberInfo,
    blind_index,
    check_character,
    decrypt_id_number,
    encrypt_id_number,
    is_valid_id_number,
    make_id_number,
    mask_id_number,
    normalize_id_number,
    parse_id_number,
    protect_id_number,
)

ENCRYPTION_KEY = "test-id-encryption-key 仅用于测试"
INDEX_KEY = "test-id-index-key"

# The well-known published sample: a woman born 1949-12-31, with an X check character.
SAMPLE_X = "11010519491231002X"
# A man born 1980-01-01 whose number is all digits, so it can also arrive as an int.
SAMPLE_DIGITS = "440524198001010013"
# Another published sample: valid under GB 11643, but born 1880, before the accepted range.
SAMPLE_1880 = "440524188001010014"

# A fixed "today" for validation so the tests never depend on the server's time zone.
TODAY = datetime.date.today()

# Hypothesis reuses the autouse settings fixture across examples; the keys never change.
PROPERTY = hyp_settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

REGIONS = ["110105", "310104", "440524", "532328", "650102", "810000", "820000", "830000"]


@pytest.fixture(autouse=True)
def id_number_keys(settings):
    """Set both keys explicitly rather than trusting whatever the settings module provides."""
    settings.ID_NUMBER_ENCRYPTION_KEY = ENCRYPTION_KEY
    settings.ID_NUMBER_INDEX_KEY = INDEX_KEY


def rejection(raw: object, **kwargs: object) -> IDNumberError:
    with pytest.raises(IDNumberError) as excinfo:
        normalize_id_number(raw, **kwargs)
    exc = excinfo.value
    assert exc.message
    assert str(exc) == exc.message
    assert isinstance(exc, ValueError)
    return exc


def reference_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 from its definition (weights 2**(17-i) mod 11), not from the table."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


# ------------------------------------------------------------------------------------------
# Check character and known numbers
# ------------------------------------------------------------------------------------------


def test_check_character_of_published_samples():
    assert check_character(SAMPLE_X[:17]) == "X"
    assert check_character(SAMPLE_1880[:17]) == "4"
    assert check_character(SAMPLE_DIGITS[:17]) == "3"


@pytest.mark.parametrize("bad", ["", "1234567890123456", "123456789012345678", "1101051949123100X"])
def test_check_character_rejects_anything_but_17_digits(bad):
    with pytest.raises(ValueError):
        check_character(bad)


@pytest.mark.parametrize("number", [SAMPLE_X, SAMPLE_DIGITS])
def test_published_samples_are_valid(number):
    assert normalize_id_number(number) == number
    assert is_valid_id_number(number)


def test_number_built_with_check_character_is_valid():
    first17 = "53232819900101123"
    number = first17 + check_character(first17)
    assert normalize_id_number(number) == number
    assert make_id_number("532328", datetime.date(1990, 1, 1), 123) == number


# ------------------------------------------------------------------------------------------
# Normalisation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (440524198001010013, SAMPLE_DIGITS),  # Excel integer that kept every digit
        (Decimal(440524198001010013), SAMPLE_DIGITS),
        (" 11010519491231002X ", SAMPLE_X),
        ("110105 19491231 002X", SAMPLE_X),
        ("1101\t0519\u00a04912\u300031002X", SAMPLE_X),  # tab, NBSP, ideographic space
        ("11010519491231002X\n", SAMPLE_X),
        ("11010519491231002X\r\n", SAMPLE_X),
        ("\ufeff11010519491231002X", SAMPLE_X),  # BOM at the start of a UTF-8 CSV
        ("１１０１０５１９４９１２３１００２Ｘ", SAMPLE_X),
        ("１１０１０５１９４９１２３１００２ｘ", SAMPLE_X),
        ("11010519491231002x", SAMPLE_X),
        ("'11010519491231002X", SAMPLE_X),  # Excel text marker
        ("＇11010519491231002x", SAMPLE_X),
        ("’11010519491231002X", SAMPLE_X),  # apostrophe autocorrected by WPS/Word
        ("'440524198001010013\n", SAMPLE_DIGITS),
        ('="11010519491231002X"', SAMPLE_X),  # CSV "force text" formula
    ],
)
def test_normalisation_accepts_real_world_forms(raw, expected):
    assert normalize_id_number(raw) == expected


def test_normalised_number_is_a_plain_str():
    assert type(normalize_id_number(440524198001010013)) is str


# ------------------------------------------------------------------------------------------
# Rejections, one per code
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000\u00a0\n", "'", "\ufeff"])
def test_empty(raw):
    assert rejection(raw).code == "empty"


@pytest.mark.parametrize("raw", [4.40524198001010013e17, 5.32328e17, float("nan")])
def test_python_float_is_rejected_because_digits_are_lost(raw):
    exc = rejection(raw)
    assert exc.code == "float"
    assert "Excel" in exc.message


@pytest.mark.parametrize("raw", ["440524188001010014.0", "440524188001010000.00", "4405241880.0"])
def test_float_rendered_as_text_is_rejected(raw):
    exc = rejection(raw)
    assert exc.code == "float"
    assert "Excel" in exc.message


@pytest.mark.parametrize(
    "raw",
    ["5.32328E+17", "5.32328199001011e17", "4.40524188001010E+17", " 5.3E17 "],
)
def test_scientific_notation_is_rejected(raw):
    exc = rejection(raw)
    assert exc.code == "scientific"
    assert "Excel" in exc.message
    assert exc.params["value"] in exc.message
    assert "E" in exc.params["value"].upper()


@pytest.mark.parametrize(
    ("raw", "n"),
    [
        ("1101051949123100", 16),
        ("11010519491231002", 17),
        ("11010519491231002X1", 19),
        ("1", 1),
        (44052419800101001, 17),  # an int that lost a digit
    ],
)
def test_wrong_length_names_the_actual_length(raw, n):
    exc = rejection(raw)
    assert exc.code == "length"
    assert exc.params == {"n": n}
    assert str(n) in exc.message


def test_old_fifteen_digit_number_gets_its_own_explanation():
    exc = rejection("110105491231002")
    assert exc.code == "length"
    assert exc.params == {"n": 15}
    assert "15" in exc.message


@pytest.mark.parametrize(
    ("raw", "char", "pos"),
    [
        ("11010519491231002Y", "Y", 18),
        ("11010519491231002-", "-", 18),
        ("1101051949123100-X", "-", 17),
        ("A1010519491231002X", "A", 1),
        ("11010519491231002١", "١", 18),  # Arabic-Indic digit: isdigit() but not ASCII
        ("11010519491231002²", "²", 18),
    ],
)
def test_invalid_characters_are_named_with_their_position(raw, char, pos):
    exc = rejection(raw)
    assert exc.code == "chars"
    assert exc.params == {"char": char, "pos": pos}
    assert char in exc.message
    assert str(pos) in exc.message


def test_x_anywhere_but_last_is_rejected():
    exc = rejection("1101051949X231002X")
    assert exc.code == "chars"
    assert exc.params["pos"] == 11
    assert "11" in exc.message


@pytest.mark.parametrize("raw", [True, object(), b"11010519491231002X", ["11010519491231002X"]])
def test_values_of_other_types_are_rejected(raw):
    assert rejection(raw).code == "chars"


def test_wrong_check_character_names_expected_and_actual():
    exc = rejection("110105194912310021")
    assert exc.code == "checksum"
    assert exc.params == {"expected": "X", "actual": "1"}
    assert "X" in exc.message
    assert "1" in exc.message


def test_check_character_error_hints_at_excel_when_the_tail_is_zeros():
    # Excel keeps 15 significant digits and pads with zeros: 11010519491231002X -> ...000.
    exc = rejection("110105194912310000")
    assert exc.code == "checksum"
    assert exc.params == {"expected": "3", "actual": "0"}
    assert "Excel" in exc.message
    # Without the zero tail the plain wording is used.
    assert "Excel" not in rejection("110105194912310021").message


@pytest.mark.parametrize(
    ("digits", "shown"),
    [("19490231", "1949-02-31"), ("19901301", "1990-13-01"), ("19900100", "1990-01-00")],
)
def test_impossible_birth_date(digits, shown):
    first17 = "110105" + digits + "002"
    exc = rejection(first17 + check_character(first17))
    assert exc.code == "birth_date"
    assert exc.params == {"date": shown}
    assert shown in exc.message


def test_birth_date_before_1900():
    exc = rejection(make_id_number("110105", datetime.date(1899, 12, 31), 2))
    assert exc.code == "birth_date"
    assert "1899-12-31" in exc.message
    assert is_valid_id_number(make_id_number("110105", datetime.date(1900, 1, 1), 2))


def test_birth_date_in_the_future():
    today = datetime.date(2024, 5, 1)
    tomorrow = make_id_number("110105", datetime.date(2024, 5, 2), 2)
    exc = rejection(tomorrow, today=today)
    assert exc.code == "birth_date"
    assert "2024-05-02" in exc.message
    assert normalize_id_number(make_id_number("110105", today, 2), today=today)


def test_birth_date_in_the_future_against_the_real_clock():
    # Two days ahead is in the future in every time zone.
    future = datetime.date.today() + datetime.timedelta(days=2)
    assert rejection(make_id_number("110105", future, 2)).code == "birth_date"


def test_born_today_in_the_project_time_zone_is_valid(settings):
    from django.utils import timezone

    settings.TIME_ZONE = "Asia/Shanghai"
    today = timezone.localdate() if settings.USE_TZ else datetime.date.today()
    assert is_valid_id_number(make_id_number("110105", today, 2))


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_every_province_code_is_accepted(province):
    assert is_valid_id_number(make_id_number(province + "0101", datetime.date(1980, 6, 15), 7))


@pytest.mark.parametrize(
    "province",
    ["00", "10", "16", "20", "24", "30", "38", "40", "47", "49", "55", "60", "66", "70", "72"]
    + ["80", "84", "90", "92", "99"],
)
def test_invalid_province_code(province):
    exc = rejection(make_id_number(province + "0101", datetime.date(1980, 6, 15), 7))
    assert exc.code == "region"
    assert exc.params == {"code": province}
    assert province in exc.message


def test_province_codes_are_exactly_the_specified_set():
    expected = (
        set(range(11, 16))
        | set(range(21, 24))
        | set(range(31, 38))
        | set(range(41, 47))
        | set(range(50, 55))
        | set(range(61, 66))
        | {71, 81, 82, 83, 91}
    )
    assert PROVINCE_CODES == {str(n) for n in expected}


def test_is_valid_id_number():
    assert is_valid_id_number(SAMPLE_X)
    assert is_valid_id_number(" 11010519491231002x")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number(None)
    assert not is_valid_id_number(5.32328e17)


# ------------------------------------------------------------------------------------------
# Derivation and construction
# ------------------------------------------------------------------------------------------


def test_parse_samples():
    assert parse_id_number("11010519491231002x") == IDNumberInfo(
        number=SAMPLE_X, birth_date=datetime.date(1949, 12, 31), sex="F", region_code="110105"
    )
    assert parse_id_number(440524198001010013) == IDNumberInfo(
        number=SAMPLE_DIGITS, birth_date=datetime.date(1980, 1, 1), sex="M", region_code="440524"
    )


def test_parse_rejects_what_normalise_rejects():
    # The 1880 sample is a valid GB 11643 number but out of the accepted range (before 1900).
    with pytest.raises(IDNumberError) as excinfo:
        parse_id_number(SAMPLE_1880)
    assert excinfo.value.code == "birth_date"
    assert "1880-01-01" in excinfo.value.message


@pytest.mark.parametrize(("seq", "sex"), [(0, "F"), (1, "M"), (2, "F"), (123, "M"), (998, "F")])
def test_sex_follows_the_parity_of_the_seventeenth_digit(seq, sex):
    info = parse_id_number(make_id_number("532328", datetime.date(1990, 1, 1), seq))
    assert info.sex == sex
    assert info.birth_date == datetime.date(1990, 1, 1)
    assert info.region_code == "532328"


def test_info_is_immutable():
    info = parse_id_number(SAMPLE_X)
    with pytest.raises(AttributeError):
        info.sex = "M"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("region", "seq"),
    [("53232", 1), ("5323281", 1), ("53232a", 1), ("532328", -1), ("532328", 1000)],
)
def test_make_id_number_rejects_bad_parts(region, seq):
    with pytest.raises(ValueError):
        make_id_number(region, datetime.date(1990, 1, 1), seq)


# ------------------------------------------------------------------------------------------
# Masking
# ------------------------------------------------------------------------------------------


def test_mask_format():
    assert mask_id_number(SAMPLE_X) == "110105********002X"
    assert mask_id_number("532328199001011234") == "532328********1234"


def test_mask_cleans_its_input_and_is_idempotent():
    assert mask_id_number(" 11010519491231002x\n") == "110105********002X"
    assert mask_id_number("110105********002X") == "110105********002X"


@pytest.mark.parametrize("raw", ["", None, "12345", "1101051949123100", 5.32328e17, "5.3E17"])
def test_mask_never_fails_and_never_leaks_a_malformed_value(raw):
    assert mask_id_number(raw) == "*" * 18


# ------------------------------------------------------------------------------------------
# Blind index
# ------------------------------------------------------------------------------------------


def test_blind_index_is_hmac_sha256_of_the_canonical_number():
    expected = hmac.new(INDEX_KEY.encode(), SAMPLE_X.encode(), hashlib.sha256).hexdigest()
    assert blind_index(SAMPLE_X) == expected
    assert len(expected) == 64


def test_blind_index_is_stable_across_input_forms():
    forms = [
        SAMPLE_X,
        "11010519491231002x",
        "'１１０１０５１９４９１２３１００２Ｘ\n",
        " 110105 19491231 002X",
    ]
    assert len({blind_index(form) for form in forms}) == 1


def test_blind_index_depends_on_the_key(settings):
    before = blind_index(SAMPLE_X)
    settings.ID_NUMBER_INDEX_KEY = "another-index-key"
    after = blind_index(SAMPLE_X)
    assert before != after
    settings.ID_NUMBER_INDEX_KEY = INDEX_KEY
    assert blind_index(SAMPLE_X) == before


def test_blind_index_differs_between_numbers():
    other = make_id_number("110105", datetime.date(1949, 12, 31), 3)
    assert blind_index(SAMPLE_X) != blind_index(other)


def test_blind_index_of_an_invalid_number_raises():
    with pytest.raises(IDNumberError):
        blind_index("110105194912310021")


# ------------------------------------------------------------------------------------------
# Encryption
# ------------------------------------------------------------------------------------------


def test_encrypt_decrypt_round_trip():
    token = encrypt_id_number(SAMPLE_X)
    assert decrypt_id_number(token) == SAMPLE_X


def test_token_format_and_it_never_contains_the_number():
    token = encrypt_id_number(SAMPLE_X)
    assert token.startswith("v1:")
    assert token.isascii()
    assert len(token) == 67
    assert SAMPLE_X not in token
    assert SAMPLE_X[:17] not in token
    blob = base64.urlsafe_b64decode(token[3:])
    assert len(blob) == 12 + 18 + 16  # nonce + ciphertext + GCM tag
    assert SAMPLE_X.encode() not in blob


def test_each_encryption_differs_but_decrypts_the_same():
    tokens = {encrypt_id_number(SAMPLE_X) for _ in range(5)}
    assert len(tokens) == 5
    assert {decrypt_id_number(token) for token in tokens} == {SAMPLE_X}


def test_encrypt_normalises_first():
    assert decrypt_id_number(encrypt_id_number("'11010519491231002x\n")) == SAMPLE_X
    with pytest.raises(IDNumberError):
        encrypt_id_number("110105194912310021")


def test_token_matches_the_documented_key_derivation():
    """Another program with only the key string and this spec can decrypt a token."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"healthaid id-number v1"
    ).derive(ENCRYPTION_KEY.encode())
    blob = base64.urlsafe_b64decode(encrypt_id_number(SAMPLE_X)[3:])
    assert AESGCM(key).decrypt(blob[:12], blob[12:], None) == SAMPLE_X.encode()


def test_decrypt_with_another_key_fails_loudly(settings):
    token = encrypt_id_number(SAMPLE_X)
    settings.ID_NUMBER_ENCRYPTION_KEY = "another-encryption-key"
    with pytest.raises(IDNumberDecryptError):
        decrypt_id_number(token)


def test_tampered_token_is_rejected():
    token = encrypt_id_number(SAMPLE_X)
    blob = bytearray(base64.urlsafe_b64decode(token[3:]))
    blob[20] ^= 0x01
    tampered = "v1:" + base64.urlsafe_b64encode(bytes(blob)).decode()
    with pytest.raises(IDNumberDecryptError):
        decrypt_id_number(tampered)


@pytest.mark.parametrize(
    "token", ["", SAMPLE_X, "v2:abcd", "v1:", "v1:!!!not base64!!!", "v1:AAAA", None]
)
def test_garbage_tokens_are_rejected(token):
    with pytest.raises(IDNumberDecryptError):
        decrypt_id_number(token)


def test_decrypt_accepts_a_token_without_base64_padding():
    token = encrypt_id_number(SAMPLE_X)
    assert decrypt_id_number(token.rstrip("=")) == SAMPLE_X


def test_derived_keys_are_cached():
    encrypt_id_number(SAMPLE_X)
    misses = idnumbers._aead.cache_info().misses
    for _ in range(20):
        encrypt_id_number(SAMPLE_X)
        blind_index(SAMPLE_X)
    assert idnumbers._aead.cache_info().misses == misses


@pytest.mark.parametrize("name", ["ID_NUMBER_ENCRYPTION_KEY", "ID_NUMBER_INDEX_KEY"])
@pytest.mark.parametrize("value", ["", "   ", None])
def test_empty_key_setting_is_improperly_configured(settings, name, value):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        protect_id_number(SAMPLE_X)


@pytest.mark.parametrize("name", ["ID_NUMBER_ENCRYPTION_KEY", "ID_NUMBER_INDEX_KEY"])
def test_missing_key_setting_is_improperly_configured(settings, name):
    delattr(settings, name)
    with pytest.raises(ImproperlyConfigured, match=name):
        protect_id_number(SAMPLE_X)


def test_decrypt_without_key_is_improperly_configured(settings):
    token = encrypt_id_number(SAMPLE_X)
    settings.ID_NUMBER_ENCRYPTION_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        decrypt_id_number(token)


def test_protect_id_number():
    token, index, masked = protect_id_number(" 11010519491231002x")
    assert decrypt_id_number(token) == SAMPLE_X
    assert index == blind_index(SAMPLE_X)
    assert masked == "110105********002X"
    assert SAMPLE_X not in token


# ------------------------------------------------------------------------------------------
# Without Django configured
# ------------------------------------------------------------------------------------------


def test_module_works_without_django_settings():
    """Validation must be usable from plain scripts; only the key functions need settings."""
    root = Path(__file__).resolve().parents[2]
    code = (
        "from healthaid.idnumbers import normalize_id_number, IDNumberError, blind_index\n"
        "from django.core.exceptions import ImproperlyConfigured\n"
        "assert normalize_id_number('11010519491231002x') == '11010519491231002X'\n"
        "try:\n"
        "    normalize_id_number('1234')\n"
        "except IDNumberError as exc:\n"
        "    assert exc.code == 'length' and '4' in exc.message\n"
        "try:\n"
        "    blind_index('11010519491231002X')\n"
        "except ImproperlyConfigured:\n"
        "    print('ok')\n"
    )
    # Empty, not absent: importing the package sets a default settings module for Celery.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": ""}
    env["PYTHONPATH"] = str(root)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------

regions = st.sampled_from(REGIONS)
birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
numbers = st.builds(make_id_number, regions, birth_dates, sequences)

_FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "Ｘ"}
_X_FORMS = ["X", "x", "Ｘ", "ｘ"]
_JUNK_SPACE = ["", "", "", " ", "\t", "\u3000", "\u00a0", "\n"]


@st.composite
def messy_forms(draw: st.DrawFn) -> tuple[str, str]:
    """A canonical number and how a spreadsheet or a hurried typist might present it."""
    number = draw(numbers)
    out = [draw(st.sampled_from(["", "'", "＇"]))]
    for ch in number:
        out.append(draw(st.sampled_from(_JUNK_SPACE)))
        if ch == "X":
            out.append(draw(st.sampled_from(_X_FORMS)))
        else:
            out.append(_FULL_WIDTH[ch] if draw(st.booleans()) else ch)
    out.append(draw(st.sampled_from(["", "\n", "\r\n", " "])))
    return number, "".join(out)


@PROPERTY
@given(regions, birth_dates, sequences)
def test_made_numbers_normalise_to_themselves_and_parse_back(region, birth, seq):
    number = make_id_number(region, birth, seq)
    assert len(number) == 18
    assert normalize_id_number(number, today=TODAY) == number
    info = parse_id_number(number, today=TODAY)
    assert info.birth_date == birth
    assert info.sex == ("M" if seq % 2 else "F")
    assert info.region_code == region
    assert number[17] == reference_check_character(number[:17])


@PROPERTY
@given(messy_forms())
def test_messy_forms_normalise_to_the_canonical_number(case):
    number, messy = case
    assert normalize_id_number(messy, today=TODAY) == number


@PROPERTY
@given(numbers, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_rejected(number, position, delta):
    changed_digit = str((int(number[position]) + delta) % 10)
    mutated = number[:position] + changed_digit + number[position + 1 :]
    exc = rejection(mutated, today=TODAY)
    if 2 <= position <= 5 or position >= 14:
        # Region tail and sequence digits carry no structure: only the check character catches it.
        assert exc.code == "checksum"
    else:
        assert exc.code in {"checksum", "birth_date", "region"}


@PROPERTY
@given(numbers, st.sampled_from("0123456789X"))
def test_any_wrong_check_character_is_rejected(number, check):
    if check == number[17]:
        return
    exc = rejection(number[:17] + check, today=TODAY)
    assert exc.code == "checksum"
    assert exc.params == {"expected": number[17], "actual": check}


@PROPERTY
@given(numbers, st.integers(min_value=0, max_value=15))
def test_adjacent_transpositions_are_rejected(number, position):
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not is_valid_id_number(swapped, today=TODAY)


@PROPERTY
@given(numbers)
def test_mask_keeps_length_and_hides_the_birth_date(number):
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked[:6] == number[:6]
    assert masked[6:14] == "*" * 8
    assert masked[14:] == number[14:]


@PROPERTY
@given(
    st.builds(
        make_id_number,
        regions,
        st.dates(datetime.date(1900, 1, 1), TODAY - datetime.timedelta(days=2)),
        sequences,
    )
)
def test_protection_round_trip(number):
    token, index, masked = protect_id_number(number)
    assert decrypt_id_number(token) == number
    assert decrypt_id_number(encrypt_id_number(number)) == number
    assert index == blind_index(number) == blind_index(number.lower())
    assert masked == mask_id_number(number)
    assert number not in token


# ------------------------------------------------------------------------------------------
# The fast path of normalize_id_number must agree with the full cleaning path
# ------------------------------------------------------------------------------------------

_MANGLING = st.sampled_from(
    [
        "",
        " ",
        "\u3000",
        "\u00a0",
        "\t",
        "\n",
        "'",
        "x",
        "X",
        "ｘ",
        "Ｘ",
        "０",
        "9",
        "-",
        "=",
        '"',
        ".",
    ]
)


def _full_path(raw):
    from healthaid.idnumbers import _clean, _validate

    return _validate(_clean(raw), TODAY)


def _outcome(function, raw):
    try:
        return ("ok", function(raw))
    except IDNumberError as exc:
        return ("error", exc.code, exc.params)


@hyp_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    region=regions,
    birth=birth_dates,
    seq=st.integers(0, 999),
    noise=st.lists(st.tuples(st.integers(0, 20), _MANGLING), max_size=4),
)
def test_fast_path_agrees_with_full_cleaning(region, birth, seq, noise):
    text = make_id_number(region, birth, seq)
    for position, piece in noise:
        text = text[:position] + piece + text[position:]
    fast = _outcome(lambda raw: normalize_id_number(raw, today=TODAY), text)
    assert fast == _outcome(_full_path, text)
