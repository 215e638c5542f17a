"""How the portal writes a rate: a percentage with 2 places, rounded half up.

The county's reports print 17,365 ÷ 21,125 as 82.20%: ``Decimal`` quantized to 0.01 with
ROUND_HALF_UP. Arithmetic, not an indicator: the indicators (what is counted, over what) are
defined in ``reports.indicators``; pages of any app format their counts with these.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

RATE_QUANTUM = Decimal("0.01")


def rate(numerator: int, denominator: int) -> Decimal | None:
    """``numerator ÷ denominator`` in percent, 2 places, half up; ``None`` when nothing is due."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        RATE_QUANTUM, rounding=ROUND_HALF_UP
    )


def format_rate(value: Decimal | None) -> str:
    """ "82.20%", or an en dash when there is no denominator."""
    return "–" if value is None else f"{value}%"


WAN = Decimal("10000")


def yuan_to_wan(value: Decimal) -> Decimal:
    """Yuan in 万元, 2 places, half up, as the seeds print money: 11,600,400.00 → 1160.04."""
    return (value / WAN).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def format_yuan(value) -> str:
    """Yuan with thousands separators and 2 places (``–`` for nothing)."""
    if value in (None, ""):
        return "–"
    return f"{Decimal(value):,.2f}"
