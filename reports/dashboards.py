"""The home page's figures, built here because reports read every app (no app reads reports).

``healthaid.selectors.dashboard_context`` asks for them through the ``DASHBOARD_CARDS``
setting, which names ``dashboard_cards`` below. Each app may offer ``dashboard_cards(user)``
in its ``selectors`` (counts of its own records); the figures that are indicators (rates)
are computed here from ``reports.indicators``.
"""

from __future__ import annotations

import datetime
from importlib import import_module

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.selectors import worklist, year_to_date
from healthaid.choices import Role
from healthaid.scoping import get_profile
from healthaid.selectors import Card
from reports.dashboard_figures import cached_settlement_indicators
from reports.indicators import contract_indicators, format_rate

# The apps whose cards the home page shows, in order; a dotted name is a selectors module of
# its own (the settlements', beside medconsortium's).
DASHBOARD_APPS = (
    "households",
    "contracts",
    "screening",
    "medconsortium",
    "medconsortium.settlement_selectors",
    "reports",
)


def contract_cards(user) -> list[Card]:
    """Due and overdue follow-ups and the contract rate."""
    profile = get_profile(user)
    if profile is None or profile.role == Role.HOSPITAL_STAFF:
        return []
    today = timezone.localdate()
    cards = []
    if profile.role in (Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR):
        work = worklist(user, today=today)
        url = reverse("contracts:worklist")
        cards += [
            Card(_("Follow-ups due"), work.due, url=url),
            Card(_("Follow-ups overdue"), work.overdue, url=f"{url}?show=overdue"),
        ]
        indicators = contract_indicators(user, region=None, start=today, end=today, today=today)
    else:
        start, end = year_to_date(today)
        indicators = contract_indicators(user, region=None, start=start, end=end, today=today)
        cards.append(
            Card(
                _("Follow-up completion"),
                format_rate(indicators.completion_rate),
                url=reverse("reports:county-view"),
                hint=_("%(done)d of %(due)d visits this year")
                % {"done": indicators.windows_done, "due": indicators.windows_due},
            )
        )
    cards.append(
        Card(
            _("Contract rate"),
            format_rate(indicators.contract_rate),
            url=reverse("contracts:contract-list"),
            hint=_("%(contracted)d of %(target)d people")
            % {"contracted": indicators.contracted, "target": indicators.target},
        )
    )
    return cards


def settlement_cards(user) -> list[Card]:
    """The home page's settlement cards: this year's inpatient actual reimbursement ratio and
    the institutions over their non-reimbursable cap (for the roles that read settlement
    figures; three queries, none while the settlement figures are cached)."""
    profile = get_profile(user)
    if profile is None or profile.role == Role.VILLAGE_DOCTOR:
        return []
    today = timezone.localdate()
    start = datetime.date(today.year, 1, 1)
    figures = cached_settlement_indicators(user, None, start, today)
    ratio = figures.inpatient.actual_reimbursement_ratio
    return [
        Card(
            _("Inpatient actual reimbursement ratio, this year"),
            "–" if ratio is None else f"{ratio}%",
            url=reverse("settlements:figures"),
            hint=_("%(count)d inpatient settlements") % {"count": figures.inpatient.person_times},
        ),
        Card(
            _("Institutions over the non-reimbursable cap"),
            len(figures.over_cap),
            url=reverse("settlements:non-reimbursable") + "?over=1",
        ),
    ]


# Cards computed here for an app, in its place in the order.
REPORTS_CARDS = {
    "contracts": contract_cards,
    "medconsortium.settlement_selectors": settlement_cards,
}


def dashboard_cards(user) -> list[Card]:
    cards: list[Card] = []
    for app in DASHBOARD_APPS:
        provider = REPORTS_CARDS.get(app)
        if provider is None:
            try:
                module = import_module(app if "." in app else f"{app}.selectors")
            except ModuleNotFoundError:
                continue
            provider = getattr(module, "dashboard_cards", None)
        if provider is not None:
            cards.extend(provider(user))
    return cards
