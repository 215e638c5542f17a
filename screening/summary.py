"""The 反馈总结 summary draft of a unit's work teams, as an xlsx workbook (openpyxl).

Sheet 1 "总结": what was done (a paragraph per team, written from the figures, to edit), the
campaign's dates and items. Sheet 2 "完成情况": households targeted, done per item and all
done with rates, per team. Sheet 3 "逾期户": the households still not done after the
implementation phase, with the items missing.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from healthaid.importing.errorfile import safe_cell
from screening import selectors


def _append(sheet, values) -> None:
    """A row whose text Excel would run as a formula (a team named "=...") gets an apostrophe."""
    sheet.append([safe_cell(value) for value in values])


def _rate(value) -> str:
    return "–" if value is None else f"{value}%"


def unit_summary_xlsx(progress: selectors.Progress, unit: str, teams, on_team=None) -> bytes:
    """The workbook; ``on_team(n)`` is told after each team's overdue list (job progress)."""
    campaign = progress.campaign
    rows = [row for row in progress.teams if row.key in teams]
    book = Workbook()
    sheet = book.active
    sheet.title = pgettext("summary workbook", "Summary")
    bold = Font(bold=True)
    _append(sheet, [f"{campaign.name} {_('summary report (draft)')}"])
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, [f"{_('Unit')}：{unit}"])
    phases = "；".join(
        f"{p.get_kind_display()} {p.starts_on:%Y-%m-%d}—{p.ends_on:%Y-%m-%d}"
        for p in campaign.phases.all()
    )
    _append(sheet, [f"{_('Phases')}：{phases}"])
    _append(sheet, [f"{_('Items')}：" + "、".join(item.name for item in progress.items)])
    _append(sheet, [])
    for row in rows:
        tally = row.tally
        done = "，".join(
            f"{item.name}{n}户（{_rate(r)}）"
            for item, (n, r) in zip(progress.items, tally.cells, strict=True)
        )
        text = _(
            "%(team)s covered %(households)s targeted households: %(done)s; all items done for "
            "%(all)s households (%(rate)s), %(overdue)s overdue."
        ) % {
            "team": row.key.name,
            "households": tally.targeted,
            "done": done,
            "all": tally.all_done,
            "rate": _rate(tally.all_rate),
            "overdue": tally.overdue,
        }
        _append(sheet, [text])
        sheet.cell(row=sheet.max_row, column=1).alignment = Alignment(wrap_text=True)
    _append(sheet, [])
    _append(sheet, [_("Experience and shortcomings (to write):")])
    _append(sheet, [_("Suggestions (to write):")])
    sheet.column_dimensions["A"].width = 110

    figures = book.create_sheet(pgettext("five-ones summary sheet", "Figures"))
    header = [_("Team"), _("Households targeted")]
    for item in progress.items:
        header += [item.name, _("Rate")]
    header += [_("All items done"), _("Rate"), _("Overdue")]
    _append(figures, header)
    for cell in figures[1]:
        cell.font = bold
    for row in rows:
        tally = row.tally
        line = [row.key.name, tally.targeted]
        for n, r in tally.cells:
            line += [n, _rate(r)]
        line += [tally.all_done, _rate(tally.all_rate), tally.overdue]
        _append(figures, line)

    overdue = book.create_sheet(_("Overdue households"))
    _append(
        overdue, [_("Team"), _("Village"), _("Household number"), _("Head"), _("Missing items")]
    )
    for cell in overdue[1]:
        cell.font = bold
    for done, team in enumerate(teams, start=1):
        if on_team is not None and done > 1:
            on_team(done - 1)
        for entry in selectors.overdue_households(progress, team):
            _append(
                overdue,
                [
                    team.name,
                    entry.household.village.name,
                    entry.household.number,
                    entry.head,
                    "、".join(entry.missing),
                ],
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
