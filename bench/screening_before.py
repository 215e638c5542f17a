"""The five-ones progress as computed before the derived item states, kept for the
benchmark's "before" (``bench/screening.py`` times both in the same run): every household's
items from the members' screenings, prescriptions, contracts and check-ups on each view.

``use_records()`` makes ``screening.selectors.compute_progress`` read this instead of
``HouseholdItemState`` (everything else on the page unchanged); ``use_states()`` undoes it.
"""

from __future__ import annotations

from collections import Counter

from django.db import connection
from django.db.models import Exists, OuterRef, Value

from contracts.models import Contract
from households.models import Household, HouseholdContact, Member
from screening import selectors
from screening.choices import CampaignTarget, ItemSource
from screening.models import (
    Campaign,
    CampaignItem,
    CheckUp,
    HouseholdItem,
    IssuedPrescription,
    Screening,
)
from screening.selectors import targeted_households

MEMBER_SOURCES = (
    ItemSource.SCREENING,
    ItemSource.PRESCRIPTION,
    ItemSource.CONTRACT,
    ItemSource.CHECKUP,
)


def _member_sources_sql(campaign: Campaign, sources: list[str], area: str) -> tuple[str, list]:
    """One statement for every member-level source: the area's households (those with a
    member) and, per source, whether a member of theirs has the record.

    The members are read once and joined to each source's distinct members of the window
    (hash joins), where one query a source read the members once each; the household's
    area is a prefix of its village code, the scope ``visible_to`` applies (the callers
    pass the user's scope narrowed to the campaign's county)."""
    start, end = campaign.starts_on, campaign.ends_on
    member = Member._meta.db_table
    household = Household._meta.db_table
    subqueries = {
        ItemSource.SCREENING: (
            f"SELECT DISTINCT member_id FROM {Screening._meta.db_table} "
            "WHERE screened_on BETWEEN %s AND %s",
            [start, end],
        ),
        ItemSource.PRESCRIPTION: (
            f"SELECT DISTINCT member_id FROM {IssuedPrescription._meta.db_table} "
            "WHERE issued_on BETWEEN %s AND %s",
            [start, end],
        ),
        ItemSource.CHECKUP: (
            f"SELECT DISTINCT member_id FROM {CheckUp._meta.db_table} "
            "WHERE checked_on BETWEEN %s AND %s",
            [start, end],
        ),
        # As ContractQuerySet.in_effect_between: in effect on at least one day of the window.
        ItemSource.CONTRACT: (
            f"SELECT DISTINCT member_id FROM {Contract._meta.db_table} "
            "WHERE valid_from <= %s AND valid_to >= %s "
            "AND (terminated_on IS NULL OR terminated_on >= %s)",
            [end, start, start],
        ),
    }
    joins, columns, params = [], [], []
    for index, source in enumerate(sources):
        sql, values = subqueries[source]
        joins.append(f"LEFT JOIN ({sql}) s{index} ON s{index}.member_id = m.id")
        columns.append(f"MAX(CASE WHEN s{index}.member_id IS NULL THEN 0 ELSE 1 END)")
        params += values
    where = "h.village_id LIKE %s"
    if campaign.target == CampaignTarget.ILLNESS:
        where += " AND (h.illness_caused OR h.illness_returned)"
    statement = (
        f"SELECT m.household_id, {', '.join(columns)} FROM {member} m "
        f"JOIN {household} h ON h.id = m.household_id {' '.join(joins)} "
        f"WHERE {where} GROUP BY m.household_id"
    )
    return statement, [*params, f"{area}%"]


def record_masks(
    campaign: Campaign, items: list[CampaignItem], user, prefix: str | None = None
) -> dict[int, tuple[str, int]]:
    """household id → (village code, bit *i* set when item *i* is done), computed from the
    records on every call: the progress code before the derived item states. Three
    queries: the households (with whether they have 亲情号码), the marks, and the
    member-level sources (screenings, prescriptions, contracts, check-ups) in one
    statement."""
    area = (
        prefix if prefix and prefix.startswith(campaign.county.prefix) else campaign.county.prefix
    )
    sources = {item.source for item in items}
    households_qs = targeted_households(campaign, user, prefix).order_by()
    if ItemSource.CONTACTS in sources:
        households_qs = households_qs.annotate(
            has_contacts=Exists(HouseholdContact.objects.filter(household_id=OuterRef("pk")))
        ).values_list("pk", "village_id", "has_contacts")
    else:
        households_qs = households_qs.annotate(has_contacts=Value(False)).values_list(
            "pk", "village_id", "has_contacts"
        )
    rows = list(households_qs)
    households = {pk: village for pk, village, _c in rows}
    if not households:
        return {}
    masks = dict.fromkeys(households, 0)
    bit = {item.pk: 1 << index for index, item in enumerate(items)}
    contact_bits = sum(bit[i.pk] for i in items if i.source == ItemSource.CONTACTS)
    for pk, _village, has_contacts in rows:
        if has_contacts:
            masks[pk] |= contact_bits
    for household_id, item_id in (
        HouseholdItem.objects.filter(campaign=campaign, household__village__code__startswith=area)
        .order_by()
        .values_list("household_id", "item_id")
    ):
        if household_id in masks and item_id in bit:
            masks[household_id] |= bit[item_id]
    member_sources = [s for s in MEMBER_SOURCES if s in sources]
    if member_sources:
        source_bits = [
            sum(bit[i.pk] for i in items if i.source == source) for source in member_sources
        ]
        statement, params = _member_sources_sql(campaign, member_sources, area)
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            for household_id, *flags in cursor.fetchall():
                if household_id not in masks:
                    continue
                for flag, bits in zip(flags, source_bits, strict=True):
                    if flag:
                        masks[household_id] |= bits
    return {pk: (households[pk], mask) for pk, mask in masks.items()}


def tally_from_records(campaign, items, user, prefix):
    """``selectors.state_tally``'s answer, from the records."""
    masks = record_masks(campaign, items, user, prefix)
    targeted = Counter(village for village, _mask in masks.values())
    pairs = [(village, mask, n) for (village, mask), n in Counter(masks.values()).items() if mask]
    return dict(targeted), pairs


_STATE_TALLY = selectors.state_tally


def use_records() -> None:
    selectors.state_tally = tally_from_records


def use_states() -> None:
    selectors.state_tally = _STATE_TALLY
