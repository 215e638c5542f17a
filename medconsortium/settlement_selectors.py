"""Reads of settlements that are more than a filter: the sums the figures are made of.

Every function takes a queryset already scoped (``Settlement.objects.visible_to(user)``) or
a user, and adds up in the database with one GROUP BY: the figures of a prefecture's
half-year are half a million rows, which Python must never see one by one.

Why the sums are quantised to the fen before Python adds them: on SQLite a decimal column
is floating point, so a sum of 50,000 amounts may come back as 11600399.999999998; every
amount is a whole number of fen, so rounding each group's sum to the fen gives the exact
sum on both databases, and the figures are then computed from exact ``Decimal`` values.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr, TruncMonth

from healthaid.models import Institution, Region
from healthaid.versions import Version, cached_for_scope
from medconsortium.models import Encounter, SettlementPolicy
from medconsortium.models.settlements import FEN

__all__ = [
    "Sums",
    "area_settlements",
    "cached_figures",
    "encounter_list_count",
    "figures_changed",
    "figures_version",
    "member_encounters",
    "out_of_pocket_by_member",
    "policies_for",
    "sums_by",
]

ZERO = Decimal("0.00")
MONEY = (
    "total",
    "pooled",
    "critical_illness",
    "assistance",
    "other",
    "out_of_pocket",
    "non_reimbursable",
)


def fen(value) -> Decimal:
    """A database sum as exact yuan (see the module: SQLite sums floating point)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass
class Sums:
    """Settlements added up: how many, and each amount in yuan."""

    count: int = 0
    total: Decimal = ZERO
    pooled: Decimal = ZERO
    critical_illness: Decimal = ZERO
    assistance: Decimal = ZERO
    other: Decimal = ZERO
    out_of_pocket: Decimal = ZERO
    non_reimbursable: Decimal = ZERO
    one_stop: int = 0
    treat_first_pay_later: int = 0

    def add(self, other: Sums) -> Sums:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def _aggregates(prefix: str = "") -> dict:
    return {
        "n": Count("pk"),
        **{f"s_{name}": Sum(f"{prefix}{name}") for name in MONEY},
        "n_one_stop": Count("pk", filter=Q(**{f"{prefix}one_stop": True})),
        "n_tfpl": Count("pk", filter=Q(**{f"{prefix}treat_first_pay_later": True})),
    }


def _sums(row: dict) -> Sums:
    return Sums(
        count=row["n"],
        **{name: fen(row[f"s_{name}"]) for name in MONEY},
        one_stop=row["n_one_stop"],
        treat_first_pay_later=row["n_tfpl"],
    )


def area_settlements(
    queryset, *, prefix: str, start: datetime.date | None, end: datetime.date | None
):
    """Settlements of residents of the area ``prefix`` whose encounter ended in [start, end]."""
    if prefix:
        queryset = queryset.filter(encounter__village__code__startswith=prefix)
    if start is not None:
        queryset = queryset.filter(encounter__discharged_on__gte=start)
    if end is not None:
        queryset = queryset.filter(encounter__discharged_on__lte=end)
    return queryset


def sums_by(queryset, *keys: str, area_level: int | None = None) -> dict[tuple, Sums]:
    """One GROUP BY over ``keys`` (``"institution"``, ``"kind"``, ``"month"``, ``"area"``):
    their sums.

    ``queryset`` is of settlements; the keys are the encounter's institution id, its kind,
    the first day of the month it ended in, and the code prefix of length ``area_level`` of
    the patient's village (e.g. the township).
    """
    columns = {
        "institution": "encounter__institution_id",
        "kind": "encounter__kind",
        "month": "month",
        "area": "area",
    }
    queryset = queryset.order_by()
    if "month" in keys:
        queryset = queryset.annotate(month=TruncMonth("encounter__discharged_on"))
    if "area" in keys:
        queryset = queryset.annotate(area=Substr("encounter__village_id", 1, area_level))
    names = [columns[key] for key in keys]
    result: dict[tuple, Sums] = {}
    for row in queryset.values(*names).annotate(**_aggregates()):
        key = tuple(_month(row[n]) if n == "month" else row[n] for n in names)
        result[key] = _sums(row)
    return result


def _month(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def policies_for(institution_ids) -> tuple[dict[int, Institution], dict[str, SettlementPolicy]]:
    """The institutions (with their region) and their counties' policies: two queries.

    A county without its own row gets an unsaved policy with the settings' defaults.
    """
    institutions = {
        i.pk: i for i in Institution.objects.filter(pk__in=list(institution_ids)).order_by()
    }
    counties = {i.region_id[:6].ljust(12, "0") for i in institutions.values()}
    policies = {p.county_id: p for p in SettlementPolicy.objects.filter(county_id__in=counties)}
    for county in counties:
        policies.setdefault(county, SettlementPolicy(county_id=county))
    return institutions, policies


def policy_for_county(county: Region | str) -> SettlementPolicy:
    code = county if isinstance(county, str) else county.code
    code = code[:6].ljust(12, "0")
    return SettlementPolicy.objects.filter(county_id=code).first() or SettlementPolicy(
        county_id=code
    )


def out_of_pocket_by_member(
    queryset, *, since: datetime.date, until: datetime.date, above: Decimal | None = None
) -> dict[int, tuple[Decimal, int]]:
    """Each member's out of pocket and number of settlements in [since, until]: one GROUP BY.

    With ``above``, only members whose out of pocket is more than it (the large expenses).
    """
    queryset = queryset.filter(
        encounter__discharged_on__gte=since, encounter__discharged_on__lte=until
    ).order_by()
    rows = queryset.values("encounter__member_id").annotate(oop=Sum("out_of_pocket"), n=Count("pk"))
    if above is not None:
        rows = rows.filter(oop__gt=above)
    return {row["encounter__member_id"]: (fen(row["oop"]), row["n"]) for row in rows}


def member_encounters(user, member) -> list[Encounter]:
    """A member's encounters with their settlements and institutions, newest first (1 query)."""
    return list(
        Encounter.objects.visible_to(user)
        .filter(member=member)
        .select_related("institution", "settlement", "diagnosis")
        .order_by("-discharged_on", "-id")
    )


def total_sums(groups: dict[tuple, Sums], index: int, value, first=None) -> Sums:
    """The sum of the groups whose key has ``value`` at ``index`` (e.g. one kind), and
    ``first`` as its first part when given (e.g. one area)."""
    result = Sums()
    for key, sums in groups.items():
        if key[index] == value and (first is None or key[0] == first):
            result.add(sums)
    return result


def encounter_rows(page) -> list[dict]:
    """The rows of a page of the encounter list as plain values: one query, as the page with
    its member, institution, settlement and diagnosis would run, but no model instances, the
    type's label resolved once and the amounts printed as the settlement pages print them."""
    from healthaid.choices import choice_labels
    from healthaid.figures import format_yuan
    from medconsortium.choices import EncounterKind

    kinds = choice_labels(EncounterKind.choices)
    rows = []
    for row in page.values(
        "member__name",
        "member__id_number_masked",
        "kind",
        "admitted_on",
        "discharged_on",
        "institution__name",
        "diagnosis__name",
        "settlement__pk",
        "settlement__total",
        "settlement__pooled",
        "settlement__out_of_pocket",
        "settlement__non_reimbursable",
        "settlement__one_stop",
        "settlement__treat_first_pay_later",
    ):
        admitted, discharged = row["admitted_on"], row["discharged_on"]
        settled = row["settlement__pk"] is not None
        rows.append(
            {
                "name": row["member__name"],
                "id_number_masked": row["member__id_number_masked"],
                "kind": kinds.get(row["kind"], row["kind"]),
                "dates": admitted.isoformat()
                if admitted == discharged
                else f"{admitted.isoformat()}–{discharged.isoformat()}",
                "institution": row["institution__name"],
                "diagnosis": row["diagnosis__name"] or "",
                "settled": settled,
                "total": format_yuan(row["settlement__total"]) if settled else "",
                "pooled": format_yuan(row["settlement__pooled"]) if settled else "",
                "out_of_pocket": format_yuan(row["settlement__out_of_pocket"]) if settled else "",
                "non_reimbursable": format_yuan(row["settlement__non_reimbursable"])
                if settled and row["settlement__non_reimbursable"]
                else "",
                "one_stop": bool(row["settlement__one_stop"]),
                "treat_first_pay_later": bool(row["settlement__treat_first_pay_later"]),
            }
        )
    return rows


# --- cached figures ------------------------------------------------------------------------------
#
# A dashboard adds up the period's settlements on every view (a county's half year: 48,379
# rows, three GROUP BYs, ~120 ms). The sums change only when a settlement, its encounter, a
# county's caps or an institution changes, so they are cached under one version that every
# such write moves: the bulk writer calls ``figures_changed`` itself, and ``post_save`` /
# ``post_delete`` receivers (medconsortium.apps) cover the single writes, the policy page,
# the institution edits and the admin.

FIGURES_VERSION = Version("settlements:figures-version")
DEFAULT_FIGURES_CACHE_SECONDS = 600


def figures_version() -> int:
    """A number that changes with every write the settlement figures read."""
    return FIGURES_VERSION.get()


def figures_changed(**_signal) -> None:
    """Called by the writers (and as a signal receiver): see :class:`healthaid.versions.Version`."""
    FIGURES_VERSION.changed()


def encounter_list_count(user, filters: str, compute) -> int:
    """The count of an encounter list (``compute``), cached as the figures are, under the
    filters asked for (``healthaid.paging.filter_key``) and the registry's version too (a
    household that moves takes its encounters' village along)."""
    from households.selectors import registry_version

    return cached_figures("list-count", user, None, [filters, registry_version()], compute)


def cached_figures(kind: str, user, region: Region | None, parts, compute):
    """``compute()``, from the cache while no settlement figure has changed: keyed on the
    kind, the caller's scope, the region, ``parts`` (the period) and ``figures_version``.
    ``SETTLEMENT_FIGURES_CACHE_SECONDS`` sets how long; 0 turns it off."""
    seconds = getattr(settings, "SETTLEMENT_FIGURES_CACHE_SECONDS", DEFAULT_FIGURES_CACHE_SECONDS)
    return cached_for_scope(
        "settlements:figures", kind, user, region, parts, [figures_version()], compute, seconds
    )
