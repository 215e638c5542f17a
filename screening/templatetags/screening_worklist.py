"""The screening block of the doctor's worklist (contracts), beside the follow-ups: members
without this half year's check-up and the suspected cases to confirm, in the doctor's
villages (the chosen team's villages). An inclusion tag, so the contracts app only adds
``{% load screening_worklist %}{% screening_worklist_block %}`` to its template."""

from __future__ import annotations

from django import template

from screening import selectors

register = template.Library()
SHOWN = 5


@register.inclusion_tag("screening/_worklist_block.html", takes_context=True)
def screening_worklist_block(context):
    request = context["request"]
    user = request.user
    work = context.get("work")
    team = getattr(work, "team", None)
    year, half = selectors.current_half()
    not_checked = selectors.worklist_preview(user, year=year, half=half, team=team, shown=SHOWN)
    not_checked_count, suspected_count = selectors.worklist_counts(
        user, year=year, half=half, team=team
    )
    return {
        "request": request,
        "year": year,
        "half": half,
        "not_checked": not_checked,
        "not_checked_count": not_checked_count,
        "suspected_count": suspected_count,
        "team": team,
    }
