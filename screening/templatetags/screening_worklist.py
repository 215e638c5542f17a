"""The screening block of the doctor's worklist (contracts), beside the follow-ups: members
without this half year's check-up and the suspected cases to confirm, in the doctor's
villages (the chosen team's villages). An inclusion tag, so the contracts app only adds
``{% load screening_worklist %}{% screening_worklist_block %}`` to its template."""

from __future__ import annotations

from urllib.parse import quote

from django import template

from healthaid.rows import detail_url
from screening import selectors

register = template.Library()
SHOWN = 5


@register.inclusion_tag("screening/_worklist_block.html", takes_context=True)
def screening_worklist_block(context):
    request = context["request"]
    work = context.get("work")
    team = getattr(work, "team", None)
    year, half = selectors.current_half()
    block = selectors.worklist_block(request.user, year=year, half=half, team=team, shown=SHOWN)
    # Each member's check-up link, reversed once a page rather than once a member.
    check_up = detail_url("screening:checkup-quick")
    back = "?next=" + quote(request.get_full_path(), safe="/")  # as the ``urlencode`` filter
    return {
        "year": year,
        "half": half,
        "not_checked": [
            {**member, "url": check_up(member["pk"]) + back} for member in block.not_checked
        ],
        "not_checked_count": block.not_checked_count,
        "suspected_count": block.suspected_count,
        "more": block.not_checked_count > len(block.not_checked),
        "team": team,
    }
