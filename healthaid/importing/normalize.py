"""Pure cell normalisers for hand-edited spreadsheets.

Each takes a raw cell value as the reader delivers it (str, int, float, bool, date, datetime or
None) and returns the clean value or raises :class:`CellError` whose ``message`` can be shown to
the user next to the row number.  They hold no state and touch no database, so an importer can
call them 800,000 times for a 50,000-row roster: lookup tables and regexes are built once at
import time and the common cases (plain ASCII, plain Chinese) take the shortest path.

ID numbers are deliberately not handled here: see :mod:`healthaid.idnumbers`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# Full-width ASCII (U+FF01..U+FF5E) to ASCII, ideographic and other odd spaces to a plain space,
# zero-width characters removed, Roman-numeral code points to Latin letters (Ⅱ型 == II型).
_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_ROMAN = {0x2160 + i: s for i, s in enumerate(_NUMERALS)}
_ROMAN.update({0x2170 + i: s.lower() for i, s in enumerate(_NUMERALS)})
HALFWIDTH_TABLE: dict[int, int | str | None] = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
HALFWIDTH_TABLE.update({0x3000: " ", 0x00A0: " ", 0x200B: None, 0xFEFF: None, **_ROMAN})

# Only strings containing one of these need the (slower) translate call.
_NEEDS_HALFWIDTH = re.compile("[\uff01-\uff5e\u3000\u00a0\u200b\ufeff\u2160-\u217f]")


def to_halfwidth(text: str) -> str:
    """Fold full-width ASCII, odd spaces and Roman-numeral code points; keep Chinese as is.

    The regex pre-check is cheaper than ``str.translate`` on the common all-Chinese string.
    """
    if _NEEDS_HALFWIDTH.search(text):
        return text.translate(HALFWIDTH_TABLE)
    return text


_halfwidth = to_halfwidth

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "CellError",
    "is_blank",
    "to_bool",
    "to_choice",
    "to_date",
    "to_halfwidth",
    "to_phone",
    "to_sex",
    "to_text",
    "to_year",
]

MIN_YEAR = 2013  # 精准扶贫 and the 建档立卡 registration began in 2013/2014.
MAX_YEAR = 2035  # the rural-revitalisation transition period runs into the 2030s.

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 after Excel's leap-year bug
_SERIAL_MIN, _SERIAL_MAX = 20000, 60000  # 1954-10-03 .. 2064-04-08: plausible dates only


class CellError(ValueError):
    """A cell's value is unusable; ``message`` is a translated sentence for the user."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def _list(items: Any) -> str:
    return pgettext("list separator", ", ").join(items)


def is_blank(value: Any) -> bool:
    """None, or a string of whitespace only (including U+3000)."""
    return value is None or (isinstance(value, str) and not value.strip())


def to_text(value: Any) -> str:
    """Any cell as clean text: half-width ASCII, Chinese kept, whitespace collapsed.

    Numbers typed into text columns arrive as floats from Excel (13812345678.0), so integral
    floats lose the ``.0``; other floats use up to 15 significant digits to hide binary noise.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        if not value.isascii():
            value = _halfwidth(value)
        return " ".join(value.split())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(_halfwidth(str(value)).split())


_BOOLS: dict[str, bool] = {
    "是": True,
    "否": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "√": True,
    "✓": True,
    "✔": True,
    "×": False,
    "✗": False,
    "✘": False,
}


def to_bool(value: Any) -> bool | None:
    """是/否, Y/N, yes/no, 1/0, TRUE/FALSE, √/×; blank is None (unknown), not False."""
    if isinstance(value, bool):
        return value
    text = to_text(value)
    if not text:
        return None
    result = _BOOLS.get(text.casefold())
    if result is None:
        raise CellError(
            _("“%(value)s” is not a yes/no value; enter 是 or 否.") % {"value": text},
            "invalid_bool",
        )
    return result


_YEAR_TEXT = re.compile(r"(\d{4})(?:\.0+)?\s*(?:年度|年)?")


def _check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError(
            _("The year %(year)d is outside %(min)d–%(max)d.")
            % {"year": year, "min": MIN_YEAR, "max": MAX_YEAR},
            "year_out_of_range",
        )
    return year


def to_year(value: Any) -> int | None:
    """2019, 2019.0, "2019", "2019年", "2019年度" (or a date cell) → 2019; blank → None."""
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not a year.") % {"value": to_text(value)}, "invalid_year")
    if isinstance(value, int):
        return _check_year(value)
    if isinstance(value, float) and value.is_integer():
        return _check_year(int(value))
    if isinstance(value, dt.date):  # datetime is a date too
        return _check_year(value.year)
    text = to_text(value)
    if not text:
        return None
    match = _YEAR_TEXT.fullmatch(text)
    if match is None:
        raise CellError(_("“%(value)s” is not a year.") % {"value": text}, "invalid_year")
    return _check_year(int(match.group(1)))


_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _invalid_date(text: str) -> CellError:
    return CellError(
        _("“%(value)s” is not a date; write it like 2019-07-19.") % {"value": text},
        "invalid_date",
    )


def _make_date(text: str, year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise _invalid_date(text) from None


def to_date(value: Any) -> dt.date | None:
    """Date cells, Excel serial numbers and the text forms Chinese users type; blank → None.

    Accepted text: 2019-07-19, 2019/7/19, 2019.7.19, 2019年7月19日, 20190719 (a time part after
    the date is ignored).  Day-first and month-first forms are rejected as ambiguous.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _SERIAL_MIN <= value < _SERIAL_MAX:
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        text = to_text(value)
        match = _COMPACT_DATE.fullmatch(text)
        if match is not None:
            return _make_date(text, *match.groups())
        raise _invalid_date(text)
    text = to_text(value)
    if not text:
        return None
    match = _DATE_TEXT.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        raise _invalid_date(text)
    return _make_date(text, *match.groups())


_SEXES: dict[str, str] = {
    "男": "M",
    "女": "F",
    "男性": "M",
    "女性": "F",
    "m": "M",
    "f": "F",
    "male": "M",
    "female": "F",
    "1": "M",  # GB/T 2261.1: 1 male, 2 female
    "2": "F",
}


def to_sex(value: Any) -> str | None:
    """男/女, M/F, male/female, 1/2 (GB/T 2261.1 codes) → "M"/"F"; blank → None."""
    text = to_text(value)
    if not text:
        return None
    sex = _SEXES.get(text.casefold())
    if sex is None:
        raise CellError(
            _("“%(value)s” is not a sex; enter 男 or 女.") % {"value": text}, "invalid_sex"
        )
    return sex


_PHONE_STRIP = str.maketrans("", "", " ().")
_MOBILE = re.compile(r"1\d{10}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")


def to_phone(value: Any) -> str:
    """A mobile (11 digits starting with 1) or a landline with area code; blank → "".

    Spaces, parentheses, dots and a +86 prefix are dropped; a mobile is returned as bare digits
    ("138-1234-5678" → "13812345678"), a landline keeps its dash if it had one.  A cell with
    several numbers is rejected rather than silently truncated.
    """
    text = to_text(value)
    if not text:
        return ""
    if "/" in text or "、" in text or "," in text or ";" in text:
        raise CellError(
            _("Enter only one phone number, not “%(value)s”.") % {"value": text},
            "multiple_phones",
        )
    cleaned = text.translate(_PHONE_STRIP)
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:].lstrip("-")
    digits = cleaned.replace("-", "")
    if digits.isdigit() and digits.isascii():
        if len(digits) == 13 and digits.startswith("861"):
            digits = digits[2:]
        if _MOBILE.fullmatch(digits):
            return digits
        if _LANDLINE.fullmatch(cleaned):
            return cleaned
    raise CellError(
        _(
            "“%(value)s” is not a valid phone number; enter an 11-digit mobile number or a "
            "landline number with its area code."
        )
        % {"value": text},
        "invalid_phone",
    )


def to_choice(value: Any, mapping: Mapping[str, str]) -> str | None:
    """Look a cell up in ``mapping`` (spelling → stored value); blank → None unless mapped.

    The lookup is exact after :func:`to_text`, then case-insensitive; the error lists the
    accepted spellings.
    """
    text = to_text(value)
    if text in mapping:
        return mapping[text]
    if not text:
        return None
    folded = text.casefold()
    for key, result in mapping.items():
        if key.casefold() == folded:
            return result
    raise CellError(
        _("“%(value)s” is not an allowed value; allowed values: %(allowed)s.")
        % {"value": text, "allowed": _list(key for key in mapping if key)},
        "invalid_choice",
    )
