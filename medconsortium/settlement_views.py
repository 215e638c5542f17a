"""Pages of the settlements (namespace ``settlements``): figures, the non-reimbursable list,
encounters, the major-disease register, the township 通报 and the county's settings.

Scope is applied once: the lists are ``FilteredListView``/``ScopedMixin`` over
``visible_to(user)`` querysets, the figures are ``reports.indicators`` functions that scope
themselves; a region or record outside the scope is 404.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from healthaid.choices import RegionLevel, Role
from healthaid.models import Institution, Region
from healthaid.scoping import ancestor_codes, get_profile, scope_prefix_within
from healthaid.views import FilteredListView, RoleRequiredMixin, ScopedMixin
from medconsortium import settlement_selectors
from medconsortium.major_disease import (
    case_costs,
    large_expenses,
    major_disease_case_update,
    major_disease_register_sync,
)
from medconsortium.models import (
    Encounter,
    InstitutionAlias,
    MajorDiseaseCase,
    Settlement,
    SettlementPolicy,
    TownshipBulletin,
)
from medconsortium.settlement_filtersets import EncounterFilterSet
from medconsortium.settlement_forms import (
    BulletinRequestForm,
    InstitutionAliasForm,
    MajorDiseaseCaseForm,
    PeriodForm,
    SettlementPolicyForm,
)
from medconsortium.settlement_selectors import policy_for_county
from medconsortium.settlement_services import (
    institution_alias_create,
    institution_alias_delete,
    settlement_policy_save,
)
from medconsortium.settlement_tasks import bulletin_request, previous_month

COUNTY_ROLES = frozenset({Role.COUNTY_STAFF})
FIGURE_ROLES = frozenset(Role.values)
REGISTER_ROLES = frozenset(Role.values)
BULLETIN_ROLES = frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.SUPERVISOR})


def _region_in_scope(user, code: str) -> Region:
    """A region inside the user's scope, else 404."""
    region = Region.objects.visible_to(user).by_code(code)
    if region is None:
        raise Http404
    return region


def _county_of(user) -> Region | None:
    """County staff's county (their scope region); ``None`` for anyone else."""
    profile = get_profile(user)
    if profile is None or profile.region.level != RegionLevel.COUNTY:
        return None
    return profile.region


class _PeriodMixin:
    """Reads the region and period of a figures page."""

    def period(self):
        user = self.request.user
        today = timezone.localdate()
        form = PeriodForm(self.request.GET or None, today=today)
        start, end = datetime.date(today.year, 1, 1), today
        region = None
        if form.is_valid():
            start = form.cleaned_data["start"] or start
            end = form.cleaned_data["end"] or end
            if form.cleaned_data["region"]:
                region = _region_in_scope(user, form.cleaned_data["region"])
        if region is None:
            profile = get_profile(user)
            region = profile.region if profile else None
        prefix = scope_prefix_within(user) or ""
        ancestors = []
        children = []
        if region is not None:
            codes = [c for c in ancestor_codes(region.code) if c.startswith(prefix)]
            ancestors = list(Region.objects.filter(code__in=codes).order_by("level"))
            if region.level < RegionLevel.TOWNSHIP:
                children = list(region.children.order_by("code"))
        return {
            "form": form,
            "region": region,
            "start": start,
            "end": end,
            "ancestors": ancestors,
            "children": children,
            "period_query": f"start={start.isoformat()}&end={end.isoformat()}",
        }


class EncounterListView(FilteredListView):
    """Encounters with their settlements, newest first; a card per encounter on a phone."""

    template_name = "medconsortium/settlements/encounter_list.html"
    queryset = Encounter.objects.order_by("-discharged_on", "-id")
    filterset_class = EncounterFilterSet
    # The list's own row of fields (the member and region filters come from links).
    filter_fields_template = "medconsortium/settlements/_encounter_filter_fields.html"
    paginate_by = 20

    def filter_form_versions(self):
        return []  # fixed choices only: the form is cached per language and scope

    def cached_count(self, queryset):
        return lambda: settlement_selectors.encounter_list_count(
            self.request.user, self.filter_key(), queryset.count
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = settlement_selectors.encounter_rows(context["object_list"])
        return context


# --- the major-disease register ----------------------------------------------------------------


class RegisterListView(ScopedMixin, ListView):
    """The major-disease register with costs to date and the large-expense flag."""

    template_name = "medconsortium/settlements/register.html"
    queryset = MajorDiseaseCase.objects.select_related(
        "member__household__village", "disease", "institution"
    ).order_by("-diagnosed_on", "-id")
    paginate_by = 20

    def get_queryset(self):
        queryset = super().get_queryset()
        status = self.request.GET.get("status")
        if status:
            queryset = queryset.filter(status=status)
        q = (self.request.GET.get("q") or "").strip()
        if q:
            queryset = queryset.filter(Q(member__name__contains=q) | Q(disease__name__contains=q))
        return queryset

    def get_context_data(self, **kwargs):
        from medconsortium.choices import MajorDiseaseStatus

        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        cases = list(context["object_list"])
        costs = case_costs(cases)
        today = timezone.localdate()
        flagged = {}
        members = {c.member_id for c in cases}
        if members:
            settlements = Settlement.objects.filter(encounter__member_id__in=members)
            counties = {c.member.household.village_id[:6] for c in cases}
            for county in counties:
                flagged.update(large_expenses(settlements, county=county, on=today))
        context.update(
            rows=[(case, costs.get(case.pk), flagged.get(case.member_id)) for case in cases],
            statuses=MajorDiseaseStatus.choices,
            can_edit=_is_county_staff(self.request.user),
        )
        return context


def _is_county_staff(user) -> bool:
    profile = get_profile(user)
    return profile is not None and profile.role == Role.COUNTY_STAFF


class RegisterEditView(ScopedMixin, RoleRequiredMixin, FormView):
    """County staff keep a case: treating institution, status, diagnosis date, note."""

    template_name = "medconsortium/settlements/register_edit.html"
    allowed_roles = COUNTY_ROLES
    form_class = MajorDiseaseCaseForm
    queryset = MajorDiseaseCase.objects.select_related("member", "disease")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.case = get_object_or_404(
                self.get_queryset(),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.case
        kwargs["institutions"] = Institution.objects.visible_to(self.request.user).order_by(
            "region_id", "name"
        )
        return kwargs

    def form_valid(self, form):
        major_disease_case_update(case=self.case, data=form.cleaned_data, by=self.request.user)
        messages.success(self.request, _("The case was saved."))
        return redirect("settlements:register")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["case"] = self.case
        context["costs"] = case_costs([self.case]).get(self.case.pk)
        return context


class RegisterSyncView(LoginRequiredMixin, RoleRequiredMixin, View):
    """Add the cases the county's diagnoses and encounters imply (POST)."""

    allowed_roles = COUNTY_ROLES

    def post(self, request):
        county = _county_of(request.user)
        if county is None:
            raise Http404
        created = major_disease_register_sync(county=county, by=request.user)
        messages.success(
            request, _("%(count)d cases added to the register.") % {"count": len(created)}
        )
        return redirect("settlements:register")


class LargeExpenseView(LoginRequiredMixin, RoleRequiredMixin, TemplateView):
    """Residents whose out of pocket over the last 12 months is above their county's threshold
    (重大医疗费用支出), largest first: the households most at risk of falling back."""

    template_name = "medconsortium/settlements/large_expenses.html"
    allowed_roles = frozenset(
        {Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR, Role.SUPERVISOR}
    )
    limit = 200

    def get_context_data(self, **kwargs):
        from households.models import Member
        from medconsortium.major_disease import rolling_year
        from medconsortium.settlement_selectors import out_of_pocket_by_member

        context = super().get_context_data(**kwargs)
        user = self.request.user
        prefix = scope_prefix_within(user)
        today = timezone.localdate()
        since, until = rolling_year(today)
        rows, policies = [], {}
        if prefix is not None:
            counties = Region.objects.filter(level=RegionLevel.COUNTY)
            if prefix:
                counties = counties.filter(code__startswith=prefix[:6])
            codes = list(counties.values_list("code", flat=True))
            policies = {
                p.county_id: p for p in SettlementPolicy.objects.filter(county_id__in=codes)
            }
            for code in codes:
                policies.setdefault(code, SettlementPolicy(county_id=code))
        if policies:
            # One GROUP BY over the scope above the lowest threshold, then each member
            # against their own county's.
            lowest = min(p.large_expense_threshold for p in policies.values())
            settlements = Settlement.objects.visible_to(user)
            if prefix:
                settlements = settlements.filter(encounter__village__code__startswith=prefix)
            over = out_of_pocket_by_member(settlements, since=since, until=until, above=lowest)
            members = Member.objects.visible_to(user).filter(pk__in=list(over))
            for member in members.select_related("household__village").order_by():
                policy = policies.get(member.household.village_id[:6].ljust(12, "0"))
                oop, count = over[member.pk]
                if policy is not None and oop > policy.large_expense_threshold:
                    rows.append((member, oop, count, policy.large_expense_threshold))
        rows.sort(key=lambda r: (-r[1], r[0].pk))
        context.update(
            rows=rows[: self.limit],
            total=len(rows),
            limit=self.limit,
            since=since,
            today=until,
        )
        return context


# --- the township 通报 -------------------------------------------------------------------------


class BulletinListView(LoginRequiredMixin, RoleRequiredMixin, TemplateView):
    """The monthly 通报 of the scope's townships: generated when, downloaded by whom."""

    template_name = "medconsortium/settlements/bulletins.html"
    allowed_roles = BULLETIN_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        prefix = scope_prefix_within(user)
        townships = Region.objects.none()
        if prefix is not None:
            townships = Region.objects.filter(level=RegionLevel.TOWNSHIP)
            if prefix:
                townships = townships.filter(code__startswith=prefix[:9])
        townships = list(townships.order_by("code"))
        visible = TownshipBulletin.objects.visible_to(user)
        months = list(visible.order_by("-month").values_list("month", flat=True).distinct()[:6])
        bulletins = list(
            visible.filter(month__in=months).select_related("township", "first_downloaded_by")
        )
        grid = {(b.township_id, b.month): b for b in bulletins}
        context.update(
            months=months,
            rows=[(t, [grid.get((t.code, m)) for m in months]) for t in townships],
            form=BulletinRequestForm(initial={"month": previous_month(timezone.localdate())}),
            can_request=_is_county_staff(user),
        )
        return context

    def post(self, request):
        if not _is_county_staff(request.user):
            raise Http404
        form = BulletinRequestForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a month."))
            return redirect("settlements:bulletins")
        month = form.cleaned_data["month"].replace(day=1)
        if month > timezone.localdate():
            messages.error(request, _("That month has not begun."))
            return redirect("settlements:bulletins")
        county = _county_of(request.user)
        major_disease_register_sync(county=county, by=request.user)
        with transaction.atomic():
            townships = Region.objects.filter(
                level=RegionLevel.TOWNSHIP, code__startswith=county.prefix
            ).order_by("code")
            count = 0
            for township in townships:
                bulletin_request(township=township, month=month, by=request.user)
                count += 1
        messages.success(
            request,
            _("The %(month)s bulletins of %(count)d townships are being prepared.")
            % {"month": f"{month:%Y-%m}", "count": count},
        )
        return redirect("settlements:bulletins")


class BulletinDownloadView(ScopedMixin, RoleRequiredMixin, View):
    queryset = TownshipBulletin.objects.select_related("job", "township")

    """Download a township's bulletin; the first download is what the county sees."""

    allowed_roles = BULLETIN_ROLES

    def get(self, request, pk):
        from medconsortium.major_disease import bulletin_mark_downloaded

        bulletin = get_object_or_404(
            self.get_queryset(),
            pk=pk,
        )
        if bulletin.job is None or not bulletin.job.result_file:
            raise Http404
        bulletin_mark_downloaded(bulletin=bulletin, by=request.user)
        name = f"通报-{bulletin.township.name}-{bulletin.month:%Y-%m}.xlsx"
        return FileResponse(bulletin.job.result_file.open("rb"), as_attachment=True, filename=name)


# --- the county's settings: aliases and policy -------------------------------------------------


class AliasListView(LoginRequiredMixin, RoleRequiredMixin, FormView):
    """The names the county's settlement files use for its institutions."""

    template_name = "medconsortium/settlements/aliases.html"
    allowed_roles = COUNTY_ROLES
    form_class = InstitutionAliasForm

    def county(self):
        county = _county_of(self.request.user)
        if county is None:
            raise Http404
        return county

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["county"] = self.county()
        kwargs["institutions"] = Institution.objects.visible_to(self.request.user).order_by(
            "region_id", "name"
        )
        return kwargs

    def form_valid(self, form):
        try:
            institution_alias_create(
                county=self.county(),
                alias=form.cleaned_data["alias"],
                institution=form.cleaned_data["institution"],
                by=self.request.user,
            )
        except IntegrityError:
            form.add_error("alias", _("This alias is already in use in the county."))
            return self.form_invalid(form)
        messages.success(self.request, _("The alias was added."))
        return redirect("settlements:aliases")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["aliases"] = list(
            InstitutionAlias.objects.visible_to(self.request.user)
            .select_related("institution")
            .order_by("alias")
        )
        return context


class AliasDeleteView(ScopedMixin, RoleRequiredMixin, View):
    queryset = InstitutionAlias.objects.all()

    allowed_roles = COUNTY_ROLES

    def post(self, request, pk):
        alias = get_object_or_404(self.get_queryset(), pk=pk)
        institution_alias_delete(alias=alias, by=request.user)
        messages.success(request, _("The alias was removed."))
        return HttpResponseRedirect(reverse("settlements:aliases"))


class PolicyView(LoginRequiredMixin, RoleRequiredMixin, FormView):
    """The county's non-reimbursable caps and large-expense threshold."""

    template_name = "medconsortium/settlements/policy.html"
    allowed_roles = COUNTY_ROLES
    form_class = SettlementPolicyForm

    def get_form_kwargs(self):
        county = _county_of(self.request.user)
        if county is None:
            raise Http404
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = policy_for_county(county)
        return kwargs

    def form_valid(self, form):
        settlement_policy_save(policy=form.instance, by=self.request.user)
        messages.success(self.request, _("The settlement rules were saved."))
        return redirect("settlements:policy")
