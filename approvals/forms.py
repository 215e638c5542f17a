"""Forms of data approval."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.choices import PeriodKind
from approvals.periods import NUMBERS
from healthaid.forms import BootstrapForm


class PeriodForm(BootstrapForm):
    """A reporting period: its type, year and number (month 1–12, quarter 1–4, half 1–2)."""

    period_kind = forms.ChoiceField(
        label=_("Period type"), choices=PeriodKind.choices, initial=PeriodKind.MONTH
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    number = forms.IntegerField(
        label=_("Period number"),
        min_value=1,
        max_value=12,
        initial=1,
        help_text=_("Month 1–12, quarter 1–4, half-year 1–2; 1 for a year."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year

    def clean(self):
        data = super().clean()
        kind, number = data.get("period_kind"), data.get("number")
        if kind and number and number > NUMBERS[kind]:
            self.add_error("number", _("There is no such period."))
        return data


class SubmitForm(PeriodForm):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the reviewer should know about these figures."),
    )


class ReviewForm(BootstrapForm):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning: say what has to be corrected."),
    )
