"""Forms of the briefing pages (and the API's validation of the same fields)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.models import BriefingKind, BriefingSchedule, Frequency


class PublisherChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class BriefingForm(forms.Form):
    publisher = PublisherChoiceField(queryset=None, label=gettext_lazy("Publisher"))
    kind = forms.ChoiceField(choices=BriefingKind.choices, label=gettext_lazy("Title"))
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, publishers, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publisher"].queryset = publishers.order_by("code")
        half = 1 if today.month > 6 else 7
        year = today.year if half == 1 else today.year - 1
        self.fields["start"].initial = datetime.date(year, half, 1)
        self.fields["end"].initial = datetime.date(year, half + 5, 30 if half == 1 else 31)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data


class ScheduleForm(forms.ModelForm):
    publisher = PublisherChoiceField(queryset=None, label=gettext_lazy("Publisher"))

    class Meta:
        model = BriefingSchedule
        fields = ["publisher", "kind", "frequency", "enabled"]

    def __init__(self, *args, publishers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publisher"].queryset = publishers.order_by("code")
        self.fields["frequency"].choices = Frequency.choices
        for name, field in self.fields.items():
            if name == "enabled":
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                field.widget.attrs.setdefault("class", "form-select")


class TemplateForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
        max_length=4000,
    )
