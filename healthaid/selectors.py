"""Reads of the shared core, and the dashboard that each app contributes cards to."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from healthaid.audit_display import present
from healthaid.choices import RegionLevel
from healthaid.models import AuditLog, Institution, Region
from healthaid.scoping import get_profile


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
    rows = Region.objects.visible_to(user).values("level").annotate(n=Count("code"))
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
    # The apps' cards come from reports (which reads every app; the core reads none of them),
    # named by a setting rather than imported.
    cards: list[Card] = list(import_string(settings.DASHBOARD_CARDS)(user))
    cards.extend(core_cards(user))
    profile = get_profile(user)
    context = {"cards": cards, "profile": profile}
    if profile is not None and profile.role == "county_staff":
        context["recent_audit"] = present(AuditLog.objects.visible_to(user)[:8])
    return context
