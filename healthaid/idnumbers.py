"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999).

Everything the project does with an ID number goes through this module:

* ``normalize_id_number`` turns whatever a spreadsheet, a form or an API sent us into the one
  canonical 18-character form, or raises ``IDNumberError`` with a machine ``code`` and a
  user-facing message that says *why* (most bad numbers come from Excel, so the messages tell the
  user how to fix the export rather than just "invalid").
* ``parse_id_number`` derives the birth date, sex and region that are encoded in the number, so
  nobody has to re-type them (and so they can never disagree with the number).
* ``mask_id_number``, ``blind_index``, ``encrypt_id_number`` and ``protect_id_number`` are the only
  ways the number is stored or shown: the database keeps an AES-GCM token (to recover the number),
  an HMAC blind index (to find a person by number without decrypting every row) and a mask (to
  display). The plain number is never stored.

The module imports without Django being configured; only the key functions read Django settings,
and they do so lazily, at call time. Messages use English msgids translated through gettext at
raise time, so they follow the active language (``zh-hans`` in this project).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import hashlib
import hmac
import numbers
import operator
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured

__all__ = [
    "PROVINCE_CODES",
    "IDNumberDecryptError",
    "IDNumberError",
    "IDNumberInfo",
    "blind_index",
    "blind_index_canonical",
    "blind_indexer",
    "check_character",
    "decrypt_id_number",
    "encrypt_canonical",
    "encryptor",
    "encrypt_id_number",
    "is_valid_id_number",
    "make_id_number",
    "mask_id_number",
    "normalize_id_number",
    "parse_id_number",
    "protect_id_number",
]


def _(message: str) -> str:
    """Translate ``message`` with Django's gettext, falling back to the msgid.

    Named ``_`` so ``makemessages`` extracts the msgids. The fallback keeps validation usable in
    plain scripts where Django settings are not configured (gettext would raise there).
    """
    from django.utils.translation import gettext

    try:
        return gettext(message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

#: Province-level codes (first two digits) that GB/T 2260 assigns; 71/81/82 are Taiwan, Hong Kong
#: and Macao, 83 is used by residence permits for Taiwan residents and 91 by the newer foreigners'
#: permanent residence ID card, which shares the 18-character format.
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["71", "81", "82", "83", "91"]
)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_MAP = "10X98765432"
_DIGITS = frozenset("0123456789")
_MIN_BIRTH_DATE = datetime.date(1900, 1, 1)

# Full-width digits and X (typed with a Chinese IME) map to ASCII; lower-case x becomes X.
_TRANSLATE = {0xFF10 + i: ord("0") + i for i in range(10)}
_TRANSLATE.update({ord("Ｘ"): ord("X"), ord("ｘ"): ord("X"), ord("x"): ord("X")})
_TRANSLATE[ord("＇")] = ord("'")
# Characters that are invisible but not ``str.isspace()``: zero-width space/joiners and the BOM
# that Excel puts at the start of a UTF-8 CSV.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
# Leading text markers: Excel's apostrophe, and the curly quotes WPS/Word autocorrect makes of it.
_TEXT_MARKERS = "'‘’"
# CSV exporters force text with ="532328199001011234"; take the inside.
_EXCEL_FORMULA_RE = re.compile(r'^="(.*)"$')
# The fast path for the common case (an import normalises 50,000 numbers): one translate that
# also drops the spaces real files carry, then one match.  Only a subset of what ``_clean``
# removes is dropped here, so a match is exactly what ``_clean`` would return; anything else
# (other whitespace, markers, ="...", wrong length) takes the full path and its messages.
_FAST_TRANSLATE = dict(_TRANSLATE)
_FAST_TRANSLATE.update(dict.fromkeys(map(ord, " \t\r\n\u00a0\u3000"), None))
_FAST_TRANSLATE.update(dict.fromkeys(map(ord, _INVISIBLE), None))
_FAST_RE = re.compile(r"[0-9]{17}[0-9X]")
#: ``sum(code * weight)`` of the 17 ASCII digit codes, less this, is the weighted digit sum.
_ZERO_WEIGHT = ord("0") * sum(_WEIGHTS)
_SCIENTIFIC_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)E[+-]?\d+$", re.IGNORECASE)
_FLOAT_TEXT_RE = re.compile(r"^\d+\.0*$")


class IDNumberError(ValueError):
    """Why a value is not an acceptable ID number.

    ``code`` is stable and meant for programs (grouping import errors, choosing help text);
    ``message`` is a translated sentence for the user; ``params`` holds the interpolated facts
    (e.g. ``{"n": 17}``) so callers can build their own wording.
    """

    code: str
    message: str
    params: dict[str, object]

    def __init__(self, code: str, message: str, params: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = dict(params or {})

    def __str__(self) -> str:
        return self.message


class IDNumberDecryptError(ValueError):
    """A stored token could not be decrypted (wrong key, corrupted or not a token at all)."""


def _clean(raw: object) -> str:
    """Turn ``raw`` into a candidate string without judging it as an ID number yet.

    Rejects the values whose digits are already lost (floats, scientific notation) because no
    later check could tell the user what actually went wrong with them.
    """
    if raw is None:
        raise IDNumberError("empty", _("The ID number is empty."))
    if isinstance(raw, bool):
        raise IDNumberError(
            "chars",
            _("The ID number must be text; got a value of type %(type)s.") % {"type": "bool"},
            {"type": "bool"},
        )
    if isinstance(raw, float) or (
        isinstance(raw, numbers.Real) and not isinstance(raw, numbers.Integral)
    ):
        # A double holds ~15-16 significant digits; an 18-digit number has already lost its tail.
        raise IDNumberError(
            "float",
            _(
                "The ID number was stored by Excel as a number and its last digits are lost; "
                "set the column to text and export the file again."
            ),
        )
    if isinstance(raw, numbers.Integral):
        text = str(int(raw))
    elif isinstance(raw, str):
        text = raw
    else:
        type_name = type(raw).__name__
        # Decimal and similar exact number types: go through their text form.
        if isinstance(raw, numbers.Number):
            text = str(raw)
        else:
            raise IDNumberError(
                "chars",
                _("The ID number must be text; got a value of type %(type)s.")
                % {"type": type_name},
                {"type": type_name},
            )

    text = text.translate(_TRANSLATE)
    text = "".join(ch for ch in text if not ch.isspace() and ch not in _INVISIBLE)
    match = _EXCEL_FORMULA_RE.match(text)
    if match:
        text = match.group(1)
    text = text.lstrip(_TEXT_MARKERS)
    if not text:
        raise IDNumberError("empty", _("The ID number is empty."))
    if _SCIENTIFIC_RE.match(text):
        raise IDNumberError(
            "scientific",
            _(
                "The ID number was stored by Excel as a number and shown in scientific notation "
                "(%(value)s), so its last digits are lost; set the column to text and export "
                "the file again."
            )
            % {"value": text},
            {"value": text},
        )
    if _FLOAT_TEXT_RE.match(text):
        raise IDNumberError(
            "float",
            _(
                "The ID number was stored by Excel as a number and its last digits are lost; "
                "set the column to text and export the file again."
            ),
            {"value": text},
        )
    return text


def _today() -> datetime.date:
    """Today's date in the project's time zone when Django is configured (China is UTC+8, so a
    server clock in UTC would reject babies born this morning)."""
    from django.conf import settings

    if settings.configured and settings.USE_TZ:
        from django.utils import timezone

        return timezone.localdate()
    return datetime.date.today()


def _format_digits_as_date(digits: str) -> str:
    return f"{digits[0:4]}-{digits[4:6]}-{digits[6:8]}"


def _validate(text: str, today: datetime.date | None) -> str:
    """Check length, characters, region, birth date and check character, in that order.

    Region and birth date are checked before the check character because they tell the user
    *which part* is wrong; a bare checksum error invites "fixing" the last character, which
    turns a typo into a valid-looking wrong number.
    """
    n = len(text)
    if n != 18:
        if n == 15 and set(text) <= _DIGITS:
            raise IDNumberError(
                "length",
                _(
                    "The ID number has 15 digits, which is the old first-generation format; "
                    "please enter the 18-character number."
                ),
                {"n": n},
            )
        raise IDNumberError(
            "length",
            _("The ID number must have 18 characters; it has %(n)d.") % {"n": n},
            {"n": n},
        )
    for pos, ch in enumerate(text, start=1):
        if ch in _DIGITS or (pos == 18 and ch == "X"):
            continue
        params = {"char": ch, "pos": pos}
        if ch == "X":
            message = _(
                "The ID number has an X at position %(pos)d; only the last character may be X."
            )
        else:
            message = _(
                "The ID number contains an invalid character “%(char)s” at position %(pos)d."
            )
        raise IDNumberError("chars", message % params, params)
    return _validate_fields(text, today)


def _validate_fields(text: str, today: datetime.date | None) -> str:
    """Region, birth date and check character of 18 ASCII digits (the last may be X)."""
    province = text[:2]
    if province not in PROVINCE_CODES:
        raise IDNumberError(
            "region",
            _("The ID number starts with %(code)s, which is not a valid province code.")
            % {"code": province},
            {"code": province},
        )

    digits = text[6:14]
    shown = _format_digits_as_date(digits)
    try:
        birth = datetime.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IDNumberError(
            "birth_date",
            _("The birth date %(date)s in the ID number is not a real date.") % {"date": shown},
            {"date": shown},
        ) from None
    if birth < _MIN_BIRTH_DATE:
        raise IDNumberError(
            "birth_date",
            _("The birth date %(date)s in the ID number is before 1900.") % {"date": shown},
            {"date": shown},
        )
    if birth > (today or _today()):
        raise IDNumberError(
            "birth_date",
            _("The birth date %(date)s in the ID number is in the future.") % {"date": shown},
            {"date": shown},
        )

    expected = _CHECK_MAP[
        (sum(map(operator.mul, text[:17].encode("ascii"), _WEIGHTS)) - _ZERO_WEIGHT) % 11
    ]
    actual = text[17]
    if actual != expected:
        params = {"expected": expected, "actual": actual}
        if text.endswith("000"):
            # Excel keeps 15 significant digits and pads with zeros: 532328199001011000.
            message = _(
                "The check character of the ID number is wrong: it should be %(expected)s, "
                "not %(actual)s. The number ends in 000, which usually means Excel stored it as "
                "a number and lost the last digits; set the column to text and export again."
            )
        else:
            message = _(
                "The check character of the ID number is wrong: it should be %(expected)s, "
                "not %(actual)s. Please check every digit, not just the last one."
            )
        raise IDNumberError("checksum", message % params, params)
    return text


def normalize_id_number(raw: object, *, today: datetime.date | None = None) -> str:
    """Return the canonical 18-character form of ``raw`` or raise ``IDNumberError``.

    Accepts ``str`` and exact integers (Excel columns that were numbers but kept every digit).
    Whitespace of any kind, full-width digits/X, a lower-case x, Excel's leading apostrophe and
    the ``="..."`` CSV text trick are all tolerated, because they are how real files arrive.
    ``today`` exists for tests; it defaults to the local date in the project's time zone.
    """
    if type(raw) is str:
        text = raw.translate(_FAST_TRANSLATE)
        if _FAST_RE.fullmatch(text):
            return _validate_fields(text, today)
    return _validate(_clean(raw), today)


def is_valid_id_number(raw: object, *, today: datetime.date | None = None) -> bool:
    """``True`` when ``normalize_id_number`` accepts ``raw``."""
    try:
        normalize_id_number(raw, today=today)
    except IDNumberError:
        return False
    return True


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``) for the first 17 digits."""
    if len(first17) != 17 or not set(first17) <= _DIGITS:
        raise ValueError("check_character() needs exactly 17 ASCII digits")
    total = sum(map(operator.mul, first17.encode("ascii"), _WEIGHTS)) - _ZERO_WEIGHT
    return _CHECK_MAP[total % 11]


# --------------------------------------------------------------------------------------------
# Derived facts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IDNumberInfo:
    """What an ID number says about its holder. ``sex`` is ``"M"`` or ``"F"``."""

    number: str
    birth_date: datetime.date
    sex: str
    region_code: str


def parse_id_number(raw: object, *, today: datetime.date | None = None) -> IDNumberInfo:
    """Normalise ``raw`` and derive birth date, sex (17th digit odd = male) and region code."""
    number = normalize_id_number(raw, today=today)
    birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IDNumberInfo(number=number, birth_date=birth, sex=sex, region_code=number[:6])


def make_id_number(region6: str, birth: datetime.date, seq3: int) -> str:
    """Build a number with a correct check character; sex follows ``seq3`` parity (odd = male).

    For demo data and tests. The region is not checked against ``PROVINCE_CODES`` so tests can
    build numbers that fail only on the region.
    """
    if len(region6) != 6 or not set(region6) <= _DIGITS:
        raise ValueError("region6 must be exactly 6 ASCII digits")
    if not 0 <= seq3 <= 999:
        raise ValueError("seq3 must be between 0 and 999")
    if not 1000 <= birth.year <= 9999:
        raise ValueError("birth year must have four digits")
    first17 = f"{region6}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq3:03d}"
    return first17 + check_character(first17)


def mask_id_number(number: str) -> str:
    """``532328********1234``: first 6, eight asterisks, last 4, always 18 characters.

    Display-only and must never fail or leak, so a value that is not 18 characters after
    cleaning is masked completely instead of raising.
    """
    try:
        text = _clean(number)
    except IDNumberError:
        text = ""
    if len(text) != 18:
        return "*" * 18
    return f"{text[:6]}{'*' * 8}{text[14:]}"


# --------------------------------------------------------------------------------------------
# Keys, blind index and encryption
# --------------------------------------------------------------------------------------------

_TOKEN_PREFIX = "v1:"
_HKDF_INFO = b"healthaid id-number v1"
_NONCE_BYTES = 12


def _setting_key(name: str) -> str:
    value = getattr(settings, name, None)
    if not isinstance(value, str) or not value.strip():
        raise ImproperlyConfigured(
            f"settings.{name} must be a non-empty string; ID numbers cannot be protected "
            "without it."
        )
    return value


@functools.lru_cache(maxsize=8)
def _aead(key: str) -> AESGCM:
    """AES-256-GCM cipher for a key string; cached because an import encrypts 50,000 rows."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        key.encode("utf-8")
    )
    return AESGCM(derived)


@functools.lru_cache(maxsize=8)
def _index_hmac(key: str) -> hmac.HMAC:
    """Keyed HMAC-SHA256 prototype; callers ``copy()`` it so the key schedule is done once."""
    return hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)


def blind_indexer() -> Callable[[str], str]:
    """``blind_index_canonical`` with the key looked up once, for bulk paths: an import
    indexes 50,000 numbers, and reading the setting each time was a tenth of a second."""
    digest = blind_digester()

    def index(canonical: str) -> str:
        return digest(canonical).hex()

    return index


def blind_digester() -> Callable[[str], bytes]:
    """``blind_indexer`` giving the 32 bytes of the index rather than its 64 hex characters
    (``.hex()`` is the stored index): an import holds one per row until it writes, and a
    prefecture's 500,000 rows hold 24 MB less so."""
    prototype = _index_hmac(_setting_key("ID_NUMBER_INDEX_KEY"))

    def digest(canonical: str) -> bytes:
        mac = prototype.copy()
        mac.update(canonical.encode("ascii"))
        return mac.digest()

    return digest


def encryptor() -> Callable[[str], str]:
    """``encrypt_canonical`` with the key looked up once, for bulk paths."""
    aead = _aead(_setting_key("ID_NUMBER_ENCRYPTION_KEY"))
    seal, urandom, encode = aead.encrypt, os.urandom, base64.urlsafe_b64encode

    def encrypt(canonical: str) -> str:
        nonce = urandom(_NONCE_BYTES)
        sealed = seal(nonce, canonical.encode("ascii"), None)
        return _TOKEN_PREFIX + encode(nonce + sealed).decode("ascii")

    return encrypt


def blind_index_canonical(canonical: str) -> str:
    """``blind_index`` of a number already in canonical form (from ``normalize_id_number``),
    without normalising it again."""
    return blind_indexer()(canonical)


def encrypt_canonical(canonical: str) -> str:
    """``encrypt_id_number`` of a number already in canonical form, without normalising it
    again."""
    return encryptor()(canonical)


def blind_index(number: str) -> str:
    """64-char hex HMAC-SHA256 of the canonical number under ``settings.ID_NUMBER_INDEX_KEY``.

    Lets the database find a person by ID number (equality lookups, uniqueness) without storing
    the number. The input is normalised first so that ``532328...x`` and ``532328...X`` and a
    number typed with spaces all hit the same row; an invalid number raises ``IDNumberError``.
    """
    return blind_index_canonical(normalize_id_number(number))


def encrypt_id_number(number: str) -> str:
    """Encrypt the canonical number: ``"v1:" + urlsafe_b64(nonce || ciphertext || tag)``.

    AES-256-GCM with a random 12-byte nonce, so the same number gives a different token every
    time (tokens cannot be compared; use ``blind_index`` for that). The key is derived with
    HKDF-SHA256 from ``settings.ID_NUMBER_ENCRYPTION_KEY``. Tokens are 67 ASCII characters.
    """
    return encrypt_canonical(normalize_id_number(number))


def decrypt_id_number(token: str) -> str:
    """Recover the number from an ``encrypt_id_number`` token.

    Raises ``IDNumberDecryptError`` for anything that is not a token made with the current key,
    so a key mix-up is loud rather than silently producing garbage.
    """
    if not isinstance(token, str) or not token.startswith(_TOKEN_PREFIX):
        raise IDNumberDecryptError("Not an ID-number token (expected the 'v1:' prefix).")
    body = token[len(_TOKEN_PREFIX) :]
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise IDNumberDecryptError("ID-number token is not valid base64.") from exc
    if len(blob) < _NONCE_BYTES + 16:
        raise IDNumberDecryptError("ID-number token is too short.")
    aead = _aead(_setting_key("ID_NUMBER_ENCRYPTION_KEY"))
    try:
        plain = aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], None)
    except InvalidTag as exc:
        raise IDNumberDecryptError(
            "ID-number token cannot be decrypted: wrong ID_NUMBER_ENCRYPTION_KEY or corrupted data."
        ) from exc
    return plain.decode("ascii")


def protect_id_number(number: str) -> tuple[str, str, str]:
    """``(cipher_token, blind_index, masked)`` for one number, normalising it only once.

    The three values an import stores per person; the number itself is never stored.
    """
    canonical = normalize_id_number(number)
    return encrypt_canonical(canonical), blind_index_canonical(canonical), mask_id_number(canonical)
