"""The derived five-ones item states (``HouseholdItemState``): computed from the records,
kept exact by the writers, read by the progress pages.

An item is done for a household when a team marked it (``HouseholdItem``) or when the
portal holds what it asks for, by the item's source:

* ``screening``: a member screened within the campaign window (first phase's start to last
  phase's end);
* ``prescription``: a health prescription issued to a member within the window;
* ``contract``: a member's family-doctor contract in effect on at least one day of the window;
* ``contacts``: at least one 亲情号码 (``HouseholdContact``) recorded for the household;
* ``checkup``: a member's half-year check-up within the window.

The row keeps the first such record (the earliest) as its evidence, and the team's mark when
there is one (the mark's date, author and words then come first).

Writers call ``refresh_states(household_ids)`` in their transaction after their writes:
the screening services, the contracts services (through ``contracts.signals``), the
registry (``households.signals.members_changed`` and ``contacts_changed``). A campaign's
set-up (window, items) changes call ``rebuild_campaign_states(campaign)``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from contracts.models import Contract
from households.models import Household, HouseholdContact, Member
from households.signals import sorted_member_ids
from screening.choices import ItemSource
from screening.models import (
    Campaign,
    CheckUp,
    HouseholdItem,
    HouseholdItemState,
    IssuedPrescription,
    Screening,
)

__all__ = [
    "campaign_state_differences",
    "members_changed_receiver",
    "rebuild_campaign_states",
    "refresh_states",
    "refresh_states_for_members",
]

BATCH = 2000
# Above this many households a refresh recomputes the campaigns whole: one pass over the
# county's records beats a long ``IN`` list (a roster import sends tens of thousands).
WHOLE_CAMPAIGN_ABOVE = 3000


def _first_by_household(rows) -> dict[int, tuple]:
    """household id → the first row (rows come ordered by date)."""
    found: dict[int, tuple] = {}
    for row in rows:
        found.setdefault(row[0], row)
    return found


def _records(campaign: Campaign, sources: set[str], households) -> dict[str, dict[int, dict]]:
    """source → household id → the row's fields for the first record of that source."""
    start, end = campaign.starts_on, campaign.ends_on
    found: dict[str, dict[int, dict]] = {}
    if ItemSource.SCREENING in sources:
        rows = (
            Screening.objects.filter(
                member__household__in=households, screened_on__range=(start, end)
            )
            .order_by("screened_on", "pk")
            .values_list("member__household_id", "pk", "screened_on", "doctor_id", "member__name")
        )
        found[ItemSource.SCREENING] = {
            hid: {
                "screening_id": pk,
                "done_on": day,
                "done_by_id": doctor,
                "evidence": _("screened %(date)s (%(name)s)")
                % {"date": day.isoformat(), "name": name},
            }
            for hid, (hid, pk, day, doctor, name) in _first_by_household(rows).items()
        }
    if ItemSource.PRESCRIPTION in sources:
        rows = (
            IssuedPrescription.objects.filter(
                member__household__in=households, issued_on__range=(start, end)
            )
            .order_by("issued_on", "pk")
            .values_list(
                "member__household_id", "pk", "issued_on", "doctor_id", "prescription__title"
            )
        )
        found[ItemSource.PRESCRIPTION] = {
            hid: {
                "prescription_id": pk,
                "done_on": day,
                "done_by_id": doctor,
                "evidence": f"{title} {day.isoformat()}",
            }
            for hid, (hid, pk, day, doctor, title) in _first_by_household(rows).items()
        }
    if ItemSource.CONTRACT in sources:
        rows = (
            Contract.objects.in_effect_between(start, end)
            .filter(member__household__in=households)
            .order_by("signed_on", "pk")
            .values_list(
                "member__household_id", "pk", "signed_on", "doctor_id", "valid_from", "valid_to"
            )
        )
        found[ItemSource.CONTRACT] = {
            hid: {
                "contract_id": pk,
                "done_on": signed,
                "done_by_id": doctor,
                "evidence": _("contract %(start)s–%(end)s")
                % {"start": valid_from.isoformat(), "end": valid_to.isoformat()},
            }
            for hid, (hid, pk, signed, doctor, valid_from, valid_to) in _first_by_household(
                rows
            ).items()
        }
    if ItemSource.CHECKUP in sources:
        rows = (
            CheckUp.objects.filter(member__household__in=households, checked_on__range=(start, end))
            .order_by("checked_on", "pk")
            .values_list("member__household_id", "pk", "checked_on", "doctor_id", "member__name")
        )
        found[ItemSource.CHECKUP] = {
            hid: {
                "check_up_id": pk,
                "done_on": day,
                "done_by_id": doctor,
                "evidence": _("checked up %(date)s (%(name)s)")
                % {"date": day.isoformat(), "name": name},
            }
            for hid, (hid, pk, day, doctor, name) in _first_by_household(rows).items()
        }
    if ItemSource.CONTACTS in sources:
        contacts: dict[int, list[str]] = {}
        for contact in HouseholdContact.objects.filter(household__in=households).order_by(
            "household_id", "kind", "pk"
        ):
            contacts.setdefault(contact.household_id, []).append(str(contact))
        found[ItemSource.CONTACTS] = {
            hid: {"done_on": None, "done_by_id": None, "evidence": "；".join(texts)[:255]}
            for hid, texts in contacts.items()
        }
    return found


def _compute(campaign: Campaign, household_ids: list[int] | None) -> list[HouseholdItemState]:
    items = list(campaign.items.all())
    households = Household.objects.filter(village__code__startswith=campaign.county.prefix)
    if household_ids is not None:
        households = households.filter(pk__in=household_ids)
    villages = dict(households.values_list("pk", "village_id"))
    if not villages or not items:
        return []
    ids = households.values("pk")
    records = _records(campaign, {item.source for item in items}, ids)
    marks = {
        (household_id, item_id): (pk, done_on, done_by, evidence)
        for household_id, item_id, pk, done_on, done_by, evidence in HouseholdItem.objects.filter(
            campaign=campaign, household__in=ids
        ).values_list("household_id", "item_id", "pk", "done_on", "done_by_id", "evidence")
    }
    rows = []
    for household_id, village in villages.items():
        for item in items:
            record = records.get(item.source, {}).get(household_id)
            mark = marks.get((household_id, item.pk))
            if record is None and mark is None:
                continue
            fields = dict(record or {})
            source = item.source if record is not None else ItemSource.MANUAL
            if mark is not None:
                mark_id, done_on, done_by, evidence = mark
                fields.update(
                    mark_id=mark_id,
                    done_on=done_on,
                    done_by_id=done_by,
                    evidence=(evidence or fields.get("evidence", ""))[:255],
                )
            rows.append(
                HouseholdItemState(
                    campaign=campaign,
                    household_id=household_id,
                    item=item,
                    village=village,
                    source=source,
                    **fields,
                )
            )
    return rows


def _campaigns_for(villages: Iterable[str]) -> list[Campaign]:
    villages = set(villages)
    return [
        campaign
        for campaign in Campaign.objects.select_related("county")
        if any(code.startswith(campaign.county.prefix) for code in villages)
    ]


@transaction.atomic
def rebuild_campaign_states(campaign: Campaign) -> int:
    """Recompute a campaign's item states from the records; returns the rows written."""
    HouseholdItemState.objects.filter(campaign=campaign).delete()
    rows = _compute(campaign, None)
    HouseholdItemState.objects.bulk_create(rows, batch_size=BATCH)
    _progress_changed()
    return len(rows)


def _progress_changed() -> None:
    from screening.selectors import progress_changed

    progress_changed()


@transaction.atomic
def refresh_states(household_ids: Iterable[int]) -> None:
    """Recompute the item states of these households in every campaign of their county."""
    ids = sorted({int(pk) for pk in household_ids if pk is not None})
    if not ids:
        return
    if len(ids) > WHOLE_CAMPAIGN_ABOVE:
        for campaign in Campaign.objects.select_related("county"):
            rebuild_campaign_states(campaign)
        _progress_changed()  # with no campaign too: the cached lists' counts read these rows
        return
    villages = set(Household.objects.filter(pk__in=ids).values_list("village_id", flat=True))
    campaigns = _campaigns_for(villages)
    # Households gone or moved out of a county lose their rows there.
    HouseholdItemState.objects.filter(household_id__in=ids).exclude(
        campaign__in=[c.pk for c in campaigns]
    ).delete()
    for campaign in campaigns:
        HouseholdItemState.objects.filter(campaign=campaign, household_id__in=ids).delete()
        HouseholdItemState.objects.bulk_create(_compute(campaign, ids), batch_size=BATCH)
    _progress_changed()


def refresh_states_for_members(member_ids: Iterable[int]) -> None:
    """After members changed (moved, records written): their households now, and those whose
    rows rest on one of their records (the household they left)."""
    ids = sorted_member_ids(member_ids)
    if not ids:
        return
    campaigns = list(Campaign.objects.select_related("county"))
    if not campaigns:
        # No campaign: nothing derives from these members (one statement for the registry's
        # and the imports' writes until a county sets one up).
        return
    if len(ids) > WHOLE_CAMPAIGN_ABOVE:
        for campaign in campaigns:
            rebuild_campaign_states(campaign)
        return
    households = set(Member.objects.filter(pk__in=ids).values_list("household_id", flat=True))
    households |= set(
        HouseholdItemState.objects.filter(
            Q(screening__member_id__in=ids)
            | Q(prescription__member_id__in=ids)
            | Q(contract__member_id__in=ids)
            | Q(check_up__member_id__in=ids)
        ).values_list("household_id", flat=True)
    )
    refresh_states(households)


def members_changed_receiver(sender, member_ids=(), **kwargs) -> None:
    """``households.signals.members_changed`` and ``contracts.signals.contracts_changed``."""
    refresh_states_for_members(member_ids)


def contacts_changed_receiver(sender, household_ids=(), **kwargs) -> None:
    """``households.signals.contacts_changed``: the 亲情号码 of these households changed."""
    refresh_states(household_ids)


def campaign_state_differences(campaign: Campaign) -> tuple[set, set]:
    """(household, item) pairs done by the records but without a state row, and rows that
    the records no longer support: both empty when the states are exact."""
    expected = {(row.household_id, row.item_id) for row in _compute(campaign, None)}
    stored = set(
        HouseholdItemState.objects.filter(campaign=campaign).values_list("household_id", "item_id")
    )
    return expected - stored, stored - expected
