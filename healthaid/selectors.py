"""Reads of the shared core, and the dashboard that each app contributes cards to."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from healthaid.choices import RegionLevel
from healthaid.models import AuditLog, Institution, Region
from healthaid.scoping import get_profile

# Apps whose ``selectors.dashboard_cards(user)`` add cards to the home page, in order; a
# dotted name is a selectors module of its own (the settlements', beside medconsortium's).
DASHBOARD_APPS = (
    "households",
    "contracts",
    "screening",
    "medconsortium",
    "medconsortium.settlement_selectors",
    "reports",
)


@dataclass(frozen=True)
class Card:
    """One figure on a dashboard."""

    title: str
    value: object
    url: str = ""
    hint: str = ""


def last_heartbeat() -> str | None:
    """When the scheduled heartbeat last ran on a worker: beat and worker are both alive."""
    from django_celery_results.models import TaskResult

    done = (
        TaskResult.objects.filter(task_name="healthaid.heartbeat", status="SUCCESS")
        .order_by("-date_done")
        .values_list("date_done", flat=True)
        .first()
    )
    return done.isoformat() if done else None


def region_counts(user) -> dict[int, int]:
    """How many regions of each level lie in the user's scope (not the regions above it)."""
    rows = Region.objects.in_scope_of(user).values("level").annotate(n=Count("code"))
    return {row["level"]: row["n"] for row in rows}


def core_cards(user) -> list[Card]:
    counts = region_counts(user)
    return [
        Card(_("Townships"), counts.get(RegionLevel.TOWNSHIP, 0)),
        Card(_("Villages"), counts.get(RegionLevel.VILLAGE, 0)),
        Card(
            _("Institutions"),
            Institution.objects.visible_to(user).count(),
            url=reverse("institutions"),
        ),
    ]


def dashboard_context(user) -> dict:
    cards: list[Card] = []
    for app in DASHBOARD_APPS:
        try:
            module = import_module(app if "." in app else f"{app}.selectors")
        except ModuleNotFoundError:
            continue
        provider = getattr(module, "dashboard_cards", None)
        if provider is not None:
            cards.extend(provider(user))
    cards.extend(core_cards(user))
    profile = get_profile(user)
    context = {"cards": cards, "profile": profile}
    if profile is not None and profile.role == "county_staff":
        context["recent_audit"] = list(AuditLog.objects.visible_to(user)[:8])
    return context
