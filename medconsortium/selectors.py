"""Reads of the consortium app that are more than a filter: the lists' querysets, the
timetable, the referral worklists and the figures the county summary is computed from
(``reports.indicators`` defines the indicators; these count)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from healthaid.models import Institution, Region
from medconsortium.choices import (
    ConsultationKind,
    Direction,
    ReferralStatus,
    ReservedKind,
    SessionStatus,
)
from medconsortium.models import (
    Consortium,
    ConsortiumMember,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
)

TIMETABLE_WEEKS = 4


def consortium_list():
    return Consortium.objects.select_related("lead").prefetch_related(
        Prefetch(
            "memberships",
            queryset=ConsortiumMember.objects.select_related("institution").order_by(
                "joined_on", "institution__name"
            ),
        )
    )


def referral_list():
    return Referral.objects.select_related(
        "member__household__village",
        "from_institution",
        "to_institution",
        "referring_doctor",
    ).order_by("-requested_on", "-pk")


# A referral's status badge colour (``_referral_status.html`` says the same for one referral).
STATUS_BADGE = {
    ReferralStatus.REQUESTED: "text-bg-warning",
    ReferralStatus.ACCEPTED: "text-bg-info",
    ReferralStatus.ADMITTED: "text-bg-primary",
    ReferralStatus.SEEN: "text-bg-primary",
    ReferralStatus.REJECTED: "text-bg-secondary",
    ReferralStatus.CANCELLED: "text-bg-secondary",
}


_ROW_VALUES = (
    "pk",
    "member__name",
    "direction",
    "status",
    "from_institution__name",
    "to_institution__name",
    "requested_on",
    "appointment_date",
    "reserved",
    "reason",
)


def referral_rows(page) -> list[dict]:
    """The rows of a page of ``referral_list`` as plain values: one query, without the
    members', households' and institutions' other columns or model instances."""
    return _referral_rows(page.values(*_ROW_VALUES))


def referral_queue_rows(queues: dict[str, list[Referral]]) -> dict[str, list[dict]]:
    """The worklists' queues (referrals with their member and institutions loaded) as the
    same rows."""

    def values(referral: Referral) -> dict:
        return {
            "pk": referral.pk,
            "member__name": referral.member.name,
            "direction": referral.direction,
            "status": referral.status,
            "from_institution__name": referral.from_institution.name,
            "to_institution__name": referral.to_institution.name,
            "requested_on": referral.requested_on,
            "appointment_date": referral.appointment_date,
            "reserved": referral.reserved,
            "reason": referral.reason,
        }

    return {name: _referral_rows(map(values, queue)) for name, queue in queues.items()}


def _referral_rows(values) -> list[dict]:
    """What ``_referral_row.html`` prints, the labels resolved once a page."""
    from healthaid.choices import choice_labels
    from healthaid.rows import detail_url

    directions = choice_labels(Direction.choices)
    statuses = choice_labels(ReferralStatus.choices)
    reserved = choice_labels(ReservedKind.choices)
    detail = detail_url("medconsortium:referral-detail")
    return [
        {
            "url": detail(row["pk"]),
            "name": row["member__name"],
            "direction": directions.get(row["direction"], row["direction"]),
            "status": statuses.get(row["status"], row["status"]),
            "status_badge": STATUS_BADGE.get(row["status"], "text-bg-success"),
            "from_institution": row["from_institution__name"],
            "to_institution": row["to_institution__name"],
            "requested_on": row["requested_on"],
            "appointment_date": row["appointment_date"],
            "reserved": reserved.get(row["reserved"], "") if row["reserved"] else "",
            "reason": row["reason"],
        }
        for row in values
    ]


# --- timetable -------------------------------------------------------------------------------


@dataclass
class TimetableHost:
    institution: Institution
    sessions: list[ExpertSession] = field(default_factory=list)


def timetable(
    sessions, *, county: Region, start: datetime.date, weeks: int = TIMETABLE_WEEKS
) -> list[TimetableHost]:
    """The planned sessions of the next ``weeks`` weeks hosted in ``county``, by host
    institution (county hospitals first, then townships). One query."""
    end = start + datetime.timedelta(days=7 * weeks - 1)
    rows = (
        sessions.filter(
            host__region__code__startswith=county.prefix,
            status=SessionStatus.PLANNED,
            date__gte=start,
            date__lte=end,
        )
        .select_related("host", "visiting")
        .order_by("host__region__code", "host__name", "date", "half_day")
    )
    hosts: dict[int, TimetableHost] = {}
    for session in rows:
        hosts.setdefault(session.host_id, TimetableHost(session.host)).sessions.append(session)
    return list(hosts.values())


def public_counties():
    """The counties a public timetable can be asked for (the links a county publishes)."""
    return Region.objects.filter(level=6).order_by("code")


# --- worklists -------------------------------------------------------------------------------

HOSPITAL_QUEUES = {
    "incoming": {ReferralStatus.REQUESTED},
    "accepted": {ReferralStatus.ACCEPTED},
    "admitted": {ReferralStatus.ADMITTED, ReferralStatus.SEEN},
}
DOCTOR_QUEUES = {
    "mine": {
        ReferralStatus.REQUESTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.ADMITTED,
        ReferralStatus.SEEN,
    },
    "returned": {ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED},
}


def hospital_worklist(referrals, institution: Institution) -> dict[str, list[Referral]]:
    """A hospital's queues: incoming to accept, accepted and awaited, admitted (or seen) to
    discharge or send back down. One query."""
    queues: dict[str, list[Referral]] = {key: [] for key in HOSPITAL_QUEUES}
    rows = (
        referral_list()
        .filter(pk__in=referrals.values("pk"))
        .filter(
            to_institution=institution,
            status__in=set().union(*HOSPITAL_QUEUES.values()),
        )
    )
    for referral in rows.order_by("appointment_date", "requested_on", "pk"):
        for key, statuses in HOSPITAL_QUEUES.items():
            if referral.status in statuses:
                queues[key].append(referral)
    return queues


def doctor_worklist(referrals, *, recent_since: datetime.date) -> dict[str, list[Referral]]:
    """A family doctor's queues in their scope: their open up-referrals and those closed
    since ``recent_since``; and patients sent back down to receive and follow up."""
    rows = referrals.filter(
        Q(direction=Direction.UP)
        & (Q(status__in=DOCTOR_QUEUES["mine"]) | Q(requested_on__gte=recent_since))
        | Q(direction=Direction.DOWN, status__in=DOCTOR_QUEUES["returned"])
    )
    queues: dict[str, list[Referral]] = {"mine": [], "returned": []}
    for referral in rows.order_by("-requested_on", "-pk"):
        queues["mine" if referral.direction == Direction.UP else "returned"].append(referral)
    return queues


# --- figures ---------------------------------------------------------------------------------


@dataclass
class SessionTotals:
    experts: int = 0
    sessions: int = 0
    outpatients: int = 0
    teaching_rounds: int = 0
    case_discussions: int = 0
    surgeries_taught: int = 0
    trainings: int = 0
    people_trained: int = 0


SESSION_SUMS = {
    "experts": Coalesce(Sum("expert_count"), 0),
    "sessions": Count("pk", filter=Q(clinic=True)),
    "outpatients": Coalesce(Sum("outpatients"), 0),
    "teaching_rounds": Coalesce(Sum("teaching_rounds"), 0),
    "case_discussions": Coalesce(Sum("case_discussions"), 0),
    "surgeries_taught": Coalesce(Sum("surgeries_taught"), 0),
    "trainings": Coalesce(Sum("trainings"), 0),
    "people_trained": Coalesce(Sum("people_trained"), 0),
}


def held_sessions(sessions, *, prefix: str, start: datetime.date, end: datetime.date):
    return sessions.filter(
        status=SessionStatus.HELD,
        host__region__code__startswith=prefix,
        date__gte=start,
        date__lte=end,
    )


def session_totals_by_host(sessions, *, prefix, start, end) -> dict[int, SessionTotals]:
    """The held sessions' sums by host institution. One query."""
    rows = (
        held_sessions(sessions, prefix=prefix, start=start, end=end)
        .order_by()
        .values("host_id")
        .annotate(**SESSION_SUMS)
    )
    return {row.pop("host_id"): SessionTotals(**row) for row in rows}


def referral_counts(referrals, *, prefix, start, end) -> dict[str, int]:
    """Referrals requested in the period of members living in the region, by direction,
    with the reserved slots and beds they took (cancelled and rejected ones gave theirs
    back). One query."""
    used = ~Q(status__in=[ReferralStatus.REJECTED, ReferralStatus.CANCELLED])
    return referrals.filter(
        village__code__startswith=prefix,
        requested_on__gte=start,
        requested_on__lte=end,
    ).aggregate(
        up=Count("pk", filter=Q(direction=Direction.UP)),
        down=Count("pk", filter=Q(direction=Direction.DOWN)),
        slots=Count("pk", filter=used & Q(reserved=ReservedKind.SLOT)),
        beds=Count("pk", filter=used & Q(reserved=ReservedKind.BED)),
    )


def referral_counts_by_month(referrals, *, prefix, start, end) -> dict[datetime.date, dict]:
    """The referrals ``referral_counts`` counts, by the month they were requested in (the
    month's first day) and direction: ``{month: {"up": n, "down": n}}``. One query."""
    rows = (
        referrals.filter(
            village__code__startswith=prefix,
            requested_on__gte=start,
            requested_on__lte=end,
        )
        .annotate(month=TruncMonth("requested_on"))
        .order_by()
        .values("month")
        .annotate(
            up=Count("pk", filter=Q(direction=Direction.UP)),
            down=Count("pk", filter=Q(direction=Direction.DOWN)),
        )
    )
    result = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        result[month] = {"up": row["up"], "down": row["down"]}
    return result


def capacity_totals(capacity, *, prefix, start, end) -> dict[str, int]:
    """Reserved appointments and beds offered, and used, in the weeks starting in the period
    at institutions of the region. One query."""
    return capacity.filter(
        institution__region__code__startswith=prefix, week_start__gte=start, week_start__lte=end
    ).aggregate(
        slots_offered=Coalesce(Sum("reserved_slots"), 0),
        slots_used=Coalesce(Sum("slots_used"), 0),
        beds_offered=Coalesce(Sum("reserved_beds"), 0),
        beds_used=Coalesce(Sum("beds_used"), 0),
    )


def consultation_counts(consultations, *, prefix, start, end) -> dict[str, int]:
    """Remote consultations requested from the region in the period, by kind (every kind,
    zero included). One query."""
    rows = dict(
        consultations.filter(
            requesting__region__code__startswith=prefix, date__gte=start, date__lte=end
        )
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    return {kind: rows.get(kind, 0) for kind in ConsultationKind.values}


def consortium_year_figures(consortium: Consortium, year: int) -> SessionTotals:
    """What the consortium's held sessions did this year. One query."""
    row = ExpertSession.objects.filter(
        consortium=consortium,
        status=SessionStatus.HELD,
        date__gte=datetime.date(year, 1, 1),
        date__lte=datetime.date(year, 12, 31),
    ).aggregate(**SESSION_SUMS)
    return SessionTotals(**row)


def remote_counts_for(consortium: Consortium, year: int) -> dict[str, int]:
    institutions = [consortium.lead_id, *[m.institution_id for m in consortium.memberships.all()]]
    rows = dict(
        RemoteConsultation.objects.filter(
            requesting_id__in=institutions,
            reading_id__in=institutions,
            date__year=year,
        )
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    return {kind: rows.get(kind, 0) for kind in ConsultationKind.values}


__all__ = [
    "ReservedCapacity",
    "SessionTotals",
    "TimetableHost",
    "capacity_totals",
    "consortium_list",
    "consortium_year_figures",
    "consultation_counts",
    "doctor_worklist",
    "hospital_worklist",
    "referral_counts",
    "referral_list",
    "remote_counts_for",
    "session_totals_by_host",
    "timetable",
]
