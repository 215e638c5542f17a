"""Reads of the registry: list querysets with what their rows show, the household page, cards.

Every function here returns a fixed number of queries whatever the number of rows:
related rows come through ``select_related``, ``prefetch_related`` or subqueries, never one
query per row. Scope is applied by the caller (the views' base classes) or, for functions
that take ``user``, here through ``visible_to``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from healthaid.choices import AuditAction, Role, choice_labels
from healthaid.models import AuditLog
from healthaid.rows import detail_url
from healthaid.scoping import user_role
from healthaid.selectors import Card
from healthaid.versions import Version, cached_for_scope
from households.catalogue import KEY4
from households.choices import (
    ContactKind,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
    Sex,
)
from households.models import (
    Disease,
    Household,
    HouseholdContact,
    Member,
    MemberDisease,
    SpecialCard,
    age_on,
)

__all__ = [
    "HouseholdPage",
    "dashboard_cards",
    "household_history",
    "household_list_queryset",
    "household_member_count",
    "household_page",
    "household_rows",
    "member_history",
    "member_api_values",
    "member_list_queryset",
    "members_seen_by",
    "member_page_queryset",
    "member_rows",
    "registry_changed",
    "registry_list_count",
    "registry_version",
]

HISTORY_LIMIT = 50
_CONTACT_ORDER = {kind: index for index, kind in enumerate(ContactKind.values)}


# --- cached list counts ---------------------------------------------------------------------
# Counting a county's 50,000 members joins them to their households: 9 ms of the database's
# time on every page of the member list and the members API, more than the page itself. The
# count is cached under the registry's version, which every write of a household, member,
# diagnosis or card moves (``households.apps``: the models' save and delete signals,
# ``members_changed``, and the roster import and the demo, which write in bulk).
REGISTRY_VERSION = Version("households:registry-version")
DEFAULT_COUNT_CACHE_SECONDS = 600


def registry_version() -> int:
    return REGISTRY_VERSION.get()


def registry_changed(**_signal) -> None:
    """Called by the registry's writers and signals: see :class:`healthaid.versions.Version`."""
    REGISTRY_VERSION.changed()


def registry_list_count(kind: str, user, filters: str, compute):
    """``compute()`` (a list's count), cached under the user's scope, ``filters`` (the
    filters asked for: ``healthaid.paging.filter_key``), today (age bands move with it) and
    the registry's version; ``REGISTRY_COUNT_CACHE_SECONDS`` says how long, 0 turns it off.

    Counted every time for hospital staff: the people they see follow their institution's
    referrals and encounters, which the registry's version does not follow."""
    seconds = getattr(settings, "REGISTRY_COUNT_CACHE_SECONDS", DEFAULT_COUNT_CACHE_SECONDS)
    if user_role(user) == Role.HOSPITAL_STAFF:
        seconds = 0
    parts = [filters, timezone.localdate().isoformat()]
    return cached_for_scope(
        "households:list-count", kind, user, None, parts, [registry_version()], compute, seconds
    )


def members_seen_by(user):
    """Members as ``user`` sees them inside a household they see.

    Every role but hospital staff sees all members of a household in scope; hospital staff see
    a household only through its members involved with their institution, and only those
    members (no other names). Other roles skip the filter: it would cost every list a join.
    """
    if user is not None and user_role(user) == Role.HOSPITAL_STAFF:
        return Member.objects.visible_to(user)
    return Member.objects.all()


def household_member_count(members) -> Coalesce:
    """The number of ``members`` in each household of the outer query (0 for none): a
    subquery, so a page of households is not grouped over their members."""
    count = (
        members.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count), Value(0))


def _household_annotations(members) -> dict:
    head_names = (
        members.filter(household=OuterRef("pk"), relation=Relation.HEAD)
        .order_by("id")
        .values("name")[:1]
    )
    return {
        "head_name": Subquery(head_names),
        "member_count": household_member_count(members),
    }


@functools.cache
def _every_member_annotations() -> dict:
    """The annotations over every member, built once a process: a queryset copies an
    expression when it resolves it and never changes the original, and building the two
    subqueries took a quarter of a millisecond of every household list."""
    return _household_annotations(Member.objects.all())


def household_list_queryset(user=None):
    """Households with their village, head's name and member count (two subqueries).

    With ``user``, the head and the count are of the members that user sees (hospital staff).
    """
    if user is not None and user_role(user) == Role.HOSPITAL_STAFF:
        annotations = _household_annotations(members_seen_by(user))
    else:
        annotations = _every_member_annotations()
    return Household.objects.select_related("village", "village__parent").annotate(**annotations)


# Prefetched into plain lists (``to_attr``): ``member.member_diseases.all()`` would build a
# queryset per member, which is most of the cost of rendering a 500-row page.
def _diseases_prefetch() -> Prefetch:
    return Prefetch(
        "member_diseases",
        queryset=MemberDisease.objects.select_related("disease").order_by(
            "disease__sort_order", "disease__code"
        ),
        to_attr="disease_rows",
    )


def _cards_prefetch() -> Prefetch:
    return Prefetch(
        "special_cards",
        queryset=SpecialCard.objects.select_related("disease").order_by("number"),
        to_attr="card_rows",
    )


def member_diseases(member: Member) -> list[MemberDisease]:
    """The member's diagnoses, prefetched when loaded by this module's querysets."""
    rows = getattr(member, "disease_rows", None)
    if rows is None:
        rows = list(member.member_diseases.select_related("disease"))
    return rows


def member_cards(member: Member) -> list[SpecialCard]:
    rows = getattr(member, "card_rows", None)
    if rows is None:
        rows = list(member.special_cards.select_related("disease"))
    return rows


def household_rows(page) -> list[dict]:
    """The rows of a page of ``household_list_queryset`` as plain values, labels resolved.

    One query, as iterating the page would run, but no model instances and no look-ups per
    cell: the list template only prints these values.
    """
    attributes = choice_labels(PovertyAttribute.choices)
    statuses = choice_labels(PovertyStatus.choices)
    causes = choice_labels(PovertyCause.choices)
    url = detail_url("households:household-detail")
    return [
        {
            "url": url(row["pk"]),
            "number": row["number"],
            "head_name": row["head_name"],
            "member_count": row["member_count"],
            "township": row["village__parent__name"],
            "village": row["village__name"],
            "poverty_attribute": attributes.get(row["poverty_attribute"], row["poverty_attribute"]),
            "status": statuses.get(row["status"], row["status"]),
            "lifted_year": row["lifted_year"],
            "poverty_cause": causes.get(row["poverty_cause"], row["poverty_cause"]),
            "illness_caused": row["illness_caused"],
            "illness_returned": row["illness_returned"],
        }
        for row in page.values(
            "pk",
            "number",
            "head_name",
            "member_count",
            "village__name",
            "village__parent__name",
            "poverty_attribute",
            "status",
            "lifted_year",
            "poverty_cause",
            "illness_caused",
            "illness_returned",
        )
    ]


def member_rows(page) -> list[dict]:
    """The rows of a page of ``member_list_queryset`` as plain values, labels resolved.

    Three queries, as the page with its two prefetches would run (the diagnoses and cards
    as ``page_diseases_and_cards`` reads them), but no model instances (about 300 a page
    with households, villages, townships, diagnoses and cards): the list template only
    prints these values.
    """
    sexes = choice_labels(Sex.choices)
    relations = choice_labels(Relation.choices)
    member_url = detail_url("households:member-detail")
    household_url = detail_url("households:household-detail")
    today = timezone.localdate()
    members = list(
        page.prefetch_related(None).values(
            "pk",
            "name",
            "id_number_masked",
            "sex",
            "birth_date",
            "relation",
            "household_id",
            "household__number",
            "household__village__name",
            "household__village__parent__name",
        )
    )
    diseases, cards = page_diseases_and_cards([member["pk"] for member in members])
    return [
        {
            "url": member_url(member["pk"]),
            "name": member["name"],
            "id_number_masked": member["id_number_masked"],
            "sex": sexes.get(member["sex"], member["sex"]),
            "age": age_on(member["birth_date"], today),
            "relation": relations.get(member["relation"], member["relation"]),
            "household_url": household_url(member["household_id"]),
            "household_number": member["household__number"],
            "township": member["household__village__parent__name"],
            "village": member["household__village__name"],
            "diseases": [disease[1] for disease in diseases.get(member["pk"], ())],
            "cards": [card[0] for card in cards.get(member["pk"], ())],
        }
        for member in members
    ]


# A member's fields as the members API lists them (``MemberListSerializer``).
_API_VALUES = (
    "pk",
    "household_id",
    "household__number",
    "household__village_id",
    "household__village__name",
    "name",
    "id_number_masked",
    "sex",
    "birth_date",
    "relation",
    "ethnicity",
    "phone",
    "insured",
    "health_status",
    "disabled",
    "pregnant",
    "created_at",
    "updated_at",
)


def member_api_values(page) -> list[dict]:
    """A page of ``member_list_queryset`` as plain values for the members API: three
    queries (the page, its diagnoses, its cards), as the page with its two prefetches, but no
    model instances. Each row has the fields of ``_API_VALUES`` and ``diseases`` (code, name,
    category) and ``cards`` (number, disease code, issue date) in the prefetches' order."""
    members = list(page.prefetch_related(None).values(*_API_VALUES))
    diseases, cards = page_diseases_and_cards([member["pk"] for member in members])
    for member in members:
        member["diseases"] = diseases.get(member["pk"], [])
        member["cards"] = cards.get(member["pk"], [])
    return members


# A page of members' diagnoses and cards: what ``_diseases_prefetch`` and ``_cards_prefetch``
# give, in their orders, as plain rows. Written out rather than built by the ORM: building and
# compiling each of these two querysets cost 0.6-0.9 ms of CPU on every page of the member list
# and the members API (about a tenth of the page), the statements themselves 0.13 ms.
_PAGE_DISEASES_SQL = (
    "SELECT md.member_id, d.code, d.name, d.category"
    f" FROM {MemberDisease._meta.db_table} md"
    f" JOIN {Disease._meta.db_table} d ON d.id = md.disease_id"
    " WHERE md.member_id IN ({ids}) ORDER BY d.sort_order, d.code"
)
_PAGE_CARDS_SQL = (
    "SELECT c.member_id, c.number, d.code, c.issued_on"
    f" FROM {SpecialCard._meta.db_table} c"
    f" LEFT JOIN {Disease._meta.db_table} d ON d.id = c.disease_id"
    " WHERE c.member_id IN ({ids}) ORDER BY c.number"
)


def page_diseases_and_cards(
    ids: list[int],
) -> tuple[dict[int, list[tuple]], dict[int, list[tuple]]]:
    """The diagnoses and special cards of a page of members (two queries; none for no ids).

    Returns ``(diseases, cards)``, each keyed by member id: diagnoses as ``(code, name,
    category)`` in the catalogue's order (``sort_order``, code), cards as ``(number, disease
    code or None, issued_on)`` by number: the orders of the two prefetches."""
    diseases: dict[int, list[tuple]] = {}
    cards: dict[int, list[tuple]] = {}
    if not ids:
        return diseases, cards
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(_PAGE_DISEASES_SQL.format(ids=placeholders), ids)
        for member_id, *disease in cursor.fetchall():
            diseases.setdefault(member_id, []).append(tuple(disease))
        cursor.execute(_PAGE_CARDS_SQL.format(ids=placeholders), ids)
        for member_id, *card in cursor.fetchall():
            cards.setdefault(member_id, []).append(tuple(card))
    return diseases, cards


def member_list_queryset():
    """Members with household, village, diagnoses and cards (two prefetch queries a page)."""
    return Member.objects.select_related(
        "household", "household__village", "household__village__parent"
    ).prefetch_related(_diseases_prefetch(), _cards_prefetch())


def member_page_queryset():
    """A member's page: the same as a list row."""
    return member_list_queryset()


def household_detail_queryset(user=None):
    return Household.objects.select_related("village", "village__parent").prefetch_related(
        Prefetch(
            "members",
            queryset=members_seen_by(user).prefetch_related(
                _diseases_prefetch(), _cards_prefetch()
            ),
        ),
        Prefetch("contacts", queryset=HouseholdContact.objects.order_by("id")),
    )


def household_history(household: Household, user, members=None, cards=None):
    """Audit rows about the household, its members (past and present) and their cards."""
    members = list(household.members.all()) if members is None else list(members)
    if cards is None:
        cards = [card for member in members for card in member_cards(member)]
    member_ids = [str(m.pk) for m in members]
    card_ids = [str(c.pk) for c in cards]
    # Members deleted since: their delete row carries the household in its snapshot, and
    # their earlier rows are found through it (a subquery, not another round trip).
    deleted = AuditLog.objects.filter(
        target_type="households.member",
        action="delete",
        region_code=household.village_id,
        before__household_id=household.pk,
    ).values("target_id")
    about = (
        Q(target_type="households.household", target_id=str(household.pk))
        | Q(target_type="households.member", target_id__in=member_ids)
        | Q(target_type="households.member", target_id__in=deleted)
        | Q(target_type="households.specialcard", target_id__in=card_ids)
    )
    return (
        AuditLog.objects.visible_to(user)
        .filter(about, region_code=household.village_id)
        .order_by("-at", "-id")[:HISTORY_LIMIT]
    )


def member_history(member: Member, user):
    """Audit rows about one member and their cards, newest first.

    A member the roster import created together with their household has no create row of
    their own: the household's create row lists them (``after["members"]``), and is shown here
    when it does.
    """
    card_ids = [str(card.pk) for card in member_cards(member)]
    about = (
        Q(target_type="households.member", target_id=str(member.pk))
        | Q(target_type="households.specialcard", target_id__in=card_ids)
        | Q(
            target_type="households.household",
            target_id=str(member.household_id),
            action=AuditAction.CREATE,
        )
    )
    entries = (
        AuditLog.objects.visible_to(user)
        .filter(about, region_code=member.household.village_id)
        .order_by("-at", "-id")[:HISTORY_LIMIT]
    )
    return [entry for entry in entries if _concerns(entry, member)]


def _concerns(entry: AuditLog, member: Member) -> bool:
    if entry.target_type != "households.household":
        return True
    listed = (entry.after or {}).get("members") or ()
    return any(isinstance(item, dict) and item.get("id") == member.pk for item in listed)


@dataclass
class HouseholdPage:
    household: Household
    members: list[Member]
    contacts: list[HouseholdContact]
    history: list[AuditLog]


def household_page(household: Household, user) -> HouseholdPage:
    """What the household page shows, from a household loaded by ``household_detail_queryset``."""
    members = list(household.members.all())
    return HouseholdPage(
        household=household,
        members=members,
        # Whom to call first: the village doctor, the family doctor, the health centre, 120.
        contacts=sorted(household.contacts.all(), key=lambda c: _CONTACT_ORDER.get(c.kind, 99)),
        history=list(household_history(household, user, members=members)),
    )


def dashboard_cards(user) -> list[Card]:
    """Households, members, illness-caused households and key-4 patients in the user's scope.

    Two aggregate queries, whatever the size of the scope. Hospital staff: the members their
    institution's records involve, and the exact look-up (one query).
    """
    if user_role(user) == Role.HOSPITAL_STAFF:
        return [
            Card(
                _("Registry members your institution's records involve"),
                Member.objects.visible_to(user).count(),
                url=reverse("households:member-list"),
                hint=_("through referrals, encounters and settlements"),
            ),
            Card(
                _("Look up a person"),
                _("By full ID number"),
                url=reverse("households:member-lookup"),
                hint=_("to register a patient; audited"),
            ),
        ]
    households = Household.objects.visible_to(user).aggregate(
        total=Count("pk"), illness=Count("pk", filter=Q(illness_caused=True))
    )
    key4 = MemberDisease.objects.filter(member=OuterRef("pk"), disease__category=KEY4)
    members = Member.objects.visible_to(user).aggregate(
        total=Count("pk"), key4=Count("pk", filter=Q(Exists(key4)))
    )
    household_url = reverse("households:household-list")
    member_url = reverse("households:member-list")
    return [
        Card(_("Registered households"), households["total"], url=household_url),
        Card(_("Registered people"), members["total"], url=member_url),
        Card(
            _("Households poor because of illness"),
            households["illness"],
            url=f"{household_url}?illness_caused=true",
        ),
        Card(
            _("People with a 4-a-year disease"),
            members["key4"],
            url=f"{member_url}?disease_category={KEY4}",
            hint=_("hypertension, diabetes, TB, severe mental disorder"),
        ),
    ]
