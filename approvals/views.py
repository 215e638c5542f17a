"""Pages of data approval: the list (county staff: each unit's status for a period), the
submit page (township and hospital staff), and an approval's page with its figures, history,
edits after approval and, for county staff, the review form."""

from __future__ import annotations

from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView

from approvals import selectors, services
from approvals.choices import PeriodKind
from approvals.filtersets import ApprovalFilterSet
from approvals.forms import PeriodForm, ReviewForm, SubmitForm
from approvals.models import Approval
from approvals.periods import period_bounds, period_label
from healthaid.choices import RegionLevel, Role
from healthaid.scoping import get_profile
from healthaid.views import FilteredListView, RoleRequiredMixin, ScopedMixin

SUBMIT_ROLES = frozenset({Role.TOWNSHIP_DOCTOR, Role.HOSPITAL_STAFF})
REVIEW_ROLES = frozenset({Role.COUNTY_STAFF})


def _last_month() -> tuple[int, int]:
    today = timezone.localdate()
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def _period_fields(form: PeriodForm) -> str:
    return render_to_string("approvals/_period_fields.html", {"form": form})


@lru_cache(maxsize=32)
def _unbound_period_fields(language: str, year: int, month: int) -> str:
    """The period form as most views of the list show it (last month, nothing chosen): the
    same HTML for every user of a language in a month, rendered once a process (its three
    widgets' templates were a tenth of the page)."""
    initial = {"period_kind": PeriodKind.MONTH, "year": year, "number": month}
    return _period_fields(PeriodForm(initial=initial, prefix=None))


class ApprovalListView(FilteredListView):
    """Approvals of the user's scope; for county staff and supervisors also every unit's
    status for a chosen period (``period_status``)."""

    queryset = Approval.objects.all()
    filterset_class = ApprovalFilterSet
    template_name = "approvals/approval_list.html"

    def filter_form_versions(self):
        return []  # fixed choices: the form is cached per language and scope

    def cached_count(self, queryset):
        return lambda: selectors.approval_list_count(
            self.request.user, self.filter_key(), queryset.count
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = selectors.approval_rows(context["object_list"])
        profile = get_profile(self.request.user)
        year, month = _last_month()
        period = PeriodForm(
            self.request.GET if "period_kind" in self.request.GET else None,
            initial={"period_kind": PeriodKind.MONTH, "year": year, "number": month},
            prefix=None,
        )
        context["period_form"] = period
        if profile is not None and profile.region.level <= RegionLevel.COUNTY:
            context["period_fields"] = (
                _period_fields(period)
                if period.is_bound
                else _unbound_period_fields(get_language(), year, month)
            )
            if period.is_bound and period.is_valid():
                kind, year, number = (
                    period.cleaned_data["period_kind"],
                    period.cleaned_data["year"],
                    period.cleaned_data["number"],
                )
            else:
                kind, number = PeriodKind.MONTH, month
            start, end = period_bounds(kind, year, number)
            context["period_label"] = period_label(kind, year, number)
            context["unit_statuses"] = selectors.cached_period_status(
                self.request.user, profile.region, start, end
            )
        context["can_submit"] = services.submit_unit_of(self.request.user) is not None
        return context


class ApprovalSubmitView(RoleRequiredMixin, ScopedMixin, FormView):
    """Township and hospital staff: pick a period, see its figures, submit them with a note."""

    allowed_roles = SUBMIT_ROLES
    model = Approval
    form_class = SubmitForm
    template_name = "approvals/approval_submit.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.request.method == "GET" and "period_kind" in self.request.GET:
            kwargs["data"] = self.request.GET
        year, month = _last_month()
        kwargs["initial"] = {"period_kind": PeriodKind.MONTH, "year": year, "number": month}
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unit = services.submit_unit_of(self.request.user)
        form = context["form"]
        context["unit"] = unit
        if unit is not None and form.is_bound and form.is_valid():
            data = form.cleaned_data
            start, end = period_bounds(data["period_kind"], data["year"], data["number"])
            context["period_label"] = period_label(
                data["period_kind"], data["year"], data["number"]
            )
            context["figures"] = selectors.unit_figures(
                region=unit[1], institution=unit[2], start=start, end=end
            )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            approval = services.approval_submit(
                period_kind=data["period_kind"],
                year=data["year"],
                number=data["number"],
                note=data["note"],
                by=self.request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Submitted for approval."))
        return redirect("approvals:detail", pk=approval.pk)


class ApprovalDetailView(ScopedMixin, DetailView):
    """An approval: the figures, the history of its steps, edits after approval, the review."""

    queryset = Approval.objects.select_related(
        "region", "institution", "submitted_by", "decided_by"
    )
    template_name = "approvals/approval_detail.html"
    context_object_name = "approval"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        approval = self.object
        context["steps"] = list(approval.steps.all())
        context["edits"] = list(approval.edits.all()[:200])
        context["figures"] = selectors.unit_figures(
            region=approval.region,
            institution=approval.institution,
            start=approval.start,
            end=approval.end,
        )
        context["can_review"] = (
            services.can_review(self.request.user) and approval.status == "submitted"
        )
        context["review_form"] = kwargs.get("review_form") or ReviewForm()
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = ReviewForm(request.POST)
        if form.is_valid():
            comment = form.cleaned_data["comment"]
            try:
                if "approve" in request.POST:
                    services.approval_approve(
                        approval=self.object, comment=comment, by=request.user
                    )
                    messages.success(request, _("Approved."))
                else:
                    services.approval_return(approval=self.object, comment=comment, by=request.user)
                    messages.success(request, _("Returned for correction."))
                return redirect("approvals:detail", pk=self.object.pk)
            except PermissionDenied:
                raise
            except ValidationError as exc:
                form.add_error(None, exc)
        return self.render_to_response(self.get_context_data(review_form=form))
