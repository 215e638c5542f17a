"""The contracts app's entries on the household timeline: contracts and follow-up visits."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from contracts.models import Contract, FollowUp
from households.timeline import TimelineEvent


def household_events(household, user) -> list[TimelineEvent]:
    """Signings, terminations and visits of the household's members (two queries)."""
    events: list[TimelineEvent] = []
    contracts = (
        Contract.objects.visible_to(user)
        .filter(member__household=household)
        .select_related("member", "team")
    )
    for contract in contracts:
        url = reverse("contracts:contract-detail", args=[contract.pk])
        events.append(
            TimelineEvent(
                at=contract.signed_on,
                kind=_("Contract"),
                title=_("Signed with %(team)s") % {"team": contract.team.name},
                detail=_("valid %(start)s to %(end)s")
                % {"start": contract.valid_from, "end": contract.valid_to},
                url=url,
                member_name=contract.member.name,
            )
        )
        if contract.terminated_on:
            events.append(
                TimelineEvent(
                    at=contract.terminated_on,
                    kind=_("Contract"),
                    title=_("Contract terminated"),
                    detail=contract.termination_reason,
                    url=url,
                    member_name=contract.member.name,
                )
            )
    follow_ups = (
        FollowUp.objects.visible_to(user)
        .filter(member__household=household)
        .select_related("member", "disease")
    )
    for follow_up in follow_ups:
        detail = [follow_up.get_place_display()]
        if follow_up.blood_pressure:
            detail.append(_("BP %(bp)s") % {"bp": follow_up.blood_pressure})
        if follow_up.fasting_glucose is not None:
            detail.append(_("glucose %(value)s") % {"value": follow_up.fasting_glucose})
        if follow_up.control_status:
            detail.append(follow_up.get_control_status_display())
        events.append(
            TimelineEvent(
                at=follow_up.visited_on,
                kind=_("Follow-up"),
                title=str(follow_up.disease) if follow_up.disease else _("Follow-up visit"),
                detail=" · ".join(str(part) for part in detail),
                url=reverse("contracts:member-schedule", args=[follow_up.member_id]),
                member_name=follow_up.member.name,
            )
        )
    return events
