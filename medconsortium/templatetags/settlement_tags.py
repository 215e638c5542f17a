"""Template helpers of the settlement pages: 万元, money, and a member's encounters block."""

from __future__ import annotations

from decimal import Decimal

from django import template

from medconsortium.settlement_selectors import Sums, member_encounters

register = template.Library()


@register.filter
def wan(value) -> str:
    """Yuan as 万元 with 2 places, half up (11,600,400.00 → 1160.04)."""
    from healthaid.figures import yuan_to_wan

    if value in (None, ""):
        return "–"
    return f"{yuan_to_wan(Decimal(value)):,.2f}"


@register.filter
def yuan(value) -> str:
    """Yuan with thousands separators and 2 places."""
    from healthaid.figures import format_yuan

    return format_yuan(value)


@register.filter
def rate(value) -> str:
    return "–" if value is None else f"{value}%"


@register.inclusion_tag("medconsortium/settlements/_member_encounters.html", takes_context=True)
def member_encounters_block(context, member):
    """A member's encounters and what they paid (one query), for the member's page."""
    request = context.get("request")
    encounters = member_encounters(request.user, member) if request is not None else []
    totals = Sums()
    for encounter in encounters:
        settlement = getattr(encounter, "settlement", None)
        if settlement is None:
            continue
        totals.count += 1
        totals.total += settlement.total
        totals.out_of_pocket += settlement.out_of_pocket
    return {"encounters": encounters[:20], "more": len(encounters) > 20, "totals": totals}
