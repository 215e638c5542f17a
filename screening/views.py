"""Pages of the screening app: thin views over the selectors, filtersets and services.

Scope first: a member, household, campaign or clinic outside the user's scope is not found
(404) for every role, before any role check; hospital staff keep no screening work and find
none of it. Recording (screenings, check-ups, prescriptions, item marks, free clinics) is for
``SERVICE_WRITE_ROLES``; the prescription catalogue is edited by county staff; supervisors
read.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from contracts.models import DoctorTeam
from healthaid.choices import JobStatus, RegionLevel, Role
from healthaid.errors import protected_message
from healthaid.jobs import FILES_PURGED, job_enqueue
from healthaid.models import Job, Region
from healthaid.scoping import can_write_services, get_profile, scope_prefix_within, user_role
from healthaid.views import FilteredListView, ScopedMixin
from households.models import Household, Member, MemberDisease
from screening import exports, printing, selectors, services
from screening.choices import ItemSource
from screening.filtersets import FreeClinicFilterSet, ScreeningFilterSet
from screening.forms import (
    BatchFormSet,
    BatchHeaderForm,
    CampaignEditForm,
    CampaignForm,
    CampaignItemForm,
    CheckUpForm,
    FreeClinicForm,
    FreeClinicTargetForm,
    HalfYearForm,
    IssueForm,
    MarkItemForm,
    PrescriptionForm,
    QuickScreeningForm,
    TotalsForm,
    WorkTeamForm,
)
from screening.models import (
    Campaign,
    FreeClinic,
    FreeClinicTarget,
    IssuedPrescription,
    Prescription,
    Screening,
    ScreeningItem,
    Suspicion,
    WorkTeam,
)
from screening.tasks import export_task

CATALOGUE_ROLES = frozenset({Role.COUNTY_STAFF})


def _add_errors(error: ValidationError, form) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _require_writer(user) -> None:
    if not can_write_services(user):
        raise PermissionDenied


def _is_catalogue_editor(user) -> bool:
    profile = get_profile(user)
    return user.is_superuser if profile is None else profile.role in CATALOGUE_ROLES


def _require_catalogue_editor(user) -> None:
    profile = get_profile(user)
    if not (user.is_superuser if profile is None else profile.role in CATALOGUE_ROLES):
        raise PermissionDenied


def _members(user):
    """Members the user may record screening work for; none for hospital staff."""
    if user_role(user) == Role.HOSPITAL_STAFF:
        return Member.objects.none()
    return Member.objects.visible_to(user).select_related("household__village")


def _households(user):
    if user_role(user) == Role.HOSPITAL_STAFF:
        return Household.objects.none()
    return Household.objects.visible_to(user).select_related("village")


def _village(user, code: str) -> Region:
    prefix = scope_prefix_within(user)
    if prefix is None or user_role(user) == Role.HOSPITAL_STAFF or not code.startswith(prefix):
        raise Http404
    return get_object_or_404(Region, code=code, level=RegionLevel.VILLAGE)


def _region_param(user, code: str | None) -> Region | None:
    if not code:
        return None
    prefix = scope_prefix_within(user)
    code = code.ljust(12, "0")
    if prefix is None or not code.startswith(prefix):
        raise Http404
    return get_object_or_404(Region, code=code)


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return candidate if candidate.startswith("/") and not candidate.startswith("//") else ""


def _user_villages(user) -> list[Region]:
    """The villages a doctor works in, for the pickers: their scope's villages."""
    return list(Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE).order_by("code"))


# --- screenings -------------------------------------------------------------------------------


class _MemberEntryMixin(LoginRequiredMixin):
    """A form that records something for one member of the user's scope (404 outside it),
    by a role that records services (403 otherwise)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.member = get_object_or_404(_members(request.user), pk=kwargs["pk"])
        _require_writer(request.user)
        return super().dispatch(request, *args, **kwargs)


class ScreeningListView(FilteredListView):
    queryset = Screening.objects.all()
    filterset_class = ScreeningFilterSet
    template_name = "screening/screening_list.html"

    def filter_form_versions(self):
        # The team choices: the teams' version.
        from contracts.selectors import worklist_version

        return [worklist_version()]

    def cached_count(self, queryset):
        # Counting a county's screenings joins them to its members and households (35 ms on
        # the county demo); the screening and registry versions say when it changes.
        return lambda: selectors.cached_figures(
            "list-count", self.request.user, None, [self.filter_key()], queryset.count
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = selectors.screening_rows(context["object_list"])
        return context


class ScreeningQuickView(_MemberEntryMixin, FormView):
    """One screen on a phone: date, blood pressure, glucose; saved through the service."""

    template_name = "screening/screening_quick.html"
    form_class = QuickScreeningForm

    def get_form_kwargs(self):
        items = ScreeningItem.objects.filter(active=True, builtin=False)
        return {**super().get_form_kwargs(), "extra_items": items}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(member=self.member, next=_safe_next(self.request))
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            screening = services.screening_record(
                member=self.member,
                screened_on=data["screened_on"],
                place=data["place"],
                systolic=data["systolic"],
                diastolic=data["diastolic"],
                fasting_glucose=data["fasting_glucose"],
                random_glucose=data["random_glucose"],
                height=data["height"],
                weight=data["weight"],
                waist=data["waist"],
                extra=form.extra_values(),
                advice=data["advice"],
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        if screening.abnormal:
            messages.warning(
                self.request,
                _("Screening of %(name)s saved: abnormal (%(items)s).")
                % {"name": self.member.name, "items": "、".join(_item_names(screening))},
            )
        else:
            messages.success(
                self.request, _("Screening of %(name)s saved: normal.") % {"name": self.member.name}
            )
        return redirect(_safe_next(self.request) or reverse("screening:screening-list"))


def _item_names(screening: Screening) -> list[str]:
    names = dict(ScreeningItem.objects.values_list("code", "name"))
    return [names.get(code, code) for code in screening.abnormal_items]


class ScreeningBatchView(LoginRequiredMixin, TemplateView):
    """A screening day in a village: one form, one row per member, saved all or nothing."""

    template_name = "screening/screening_batch.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        _require_writer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def _setup(self):
        code = self.request.GET.get("village") or self.request.POST.get("village") or ""
        self.village = _village(self.request.user, code) if code else None
        self.members = (
            list(
                _members(self.request.user)
                .filter(household__village=self.village)
                .order_by("household__number", "pk")
            )
            if self.village
            else []
        )

    def _formset(self, data=None):
        initial = [{"member": m.pk} for m in self.members]
        self.free_items = list(ScreeningItem.objects.filter(active=True, builtin=False))
        formset = BatchFormSet(
            data, initial=initial, prefix="row", form_kwargs={"free_items": self.free_items}
        )
        for form, member in zip(formset.forms, self.members, strict=False):
            form.member_obj = member
        return formset

    def get(self, request, *args, **kwargs):
        self._setup()
        header = BatchHeaderForm(initial={"screened_on": timezone.localdate()})
        return self.render_to_response(self._context(header, self._formset()))

    def post(self, request, *args, **kwargs):
        self._setup()
        if self.village is None:
            raise Http404
        header = BatchHeaderForm(request.POST)
        formset = self._formset(request.POST)
        if header.is_valid() and formset.is_valid():
            by_pk = {m.pk: m for m in self.members}
            rows = []
            for form in formset.forms:
                member = by_pk.get(form.cleaned_data.get("member"))
                if member is None:
                    raise Http404
                rows.append({**form.row_values(), "member": member})
            try:
                created = services.screening_batch_record(
                    rows=rows,
                    screened_on=header.cleaned_data["screened_on"],
                    place=header.cleaned_data["place"] or self.village.name,
                    by=request.user,
                )
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    index, _sep, field = key.partition("-")
                    if index.isdigit() and int(index) < len(formset.forms):
                        row = formset.forms[int(index)]
                        row.add_error(field if field in row.fields else None, errors)
                    else:
                        header.add_error(None, errors)
            else:
                abnormal = sum(1 for s in created if s.abnormal)
                messages.success(
                    request,
                    _("%(count)s screenings saved in %(village)s, %(abnormal)s abnormal.")
                    % {"count": len(created), "village": self.village.name, "abnormal": abnormal},
                )
                return redirect(f"{reverse('screening:suspected')}")
        return self.render_to_response(self._context(header, formset))

    def _context(self, header, formset):
        return self.get_context_data(
            header=header,
            formset=formset,
            free_items=getattr(self, "free_items", []),
            row_errors=_row_errors(formset) if formset.is_bound else [],
            village=self.village,
            villages=_user_villages(self.request.user),
        )


def _row_errors(formset) -> list[str]:
    """Every error of a screening day as "row 3 (name) · field: reason", in row order, for
    the summary above the table (each also shows under its cell)."""
    lines = []
    for index, form in enumerate(formset.forms, start=1):
        member = getattr(form, "member_obj", None)
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                # The service's messages already name their field ("收缩压：…").
                text = (
                    error
                    if not label or str(error).startswith(str(label))
                    else (_("%(field)s: %(reason)s") % {"field": label, "reason": error})
                )
                lines.append(
                    _("Row %(row)s (%(name)s) · %(error)s")
                    % {"row": index, "name": member.name if member else "", "error": text}
                )
    return lines


class SuspectedListView(LoginRequiredMixin, TemplateView):
    """Members suspected after an abnormal screening, per family-doctor team, to confirm."""

    template_name = "screening/suspected_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        teams = list(DoctorTeam.objects.visible_to(user).order_by("name"))
        team = None
        team_id = self.request.GET.get("team")
        if team_id:
            if not team_id.isdigit():
                raise Http404
            team = next((t for t in teams if t.pk == int(team_id)), None)
            if team is None:
                raise Http404
        queryset = selectors.suspected_to_confirm(user, team=team)
        page = Paginator(queryset, 50).get_page(self.request.GET.get("page"))
        context = super().get_context_data(**kwargs)
        context.update(
            teams=teams,
            team=team,
            page_obj=page,
            can_write=can_write_services(user),
            team_query=f"team={team.pk}&" if team else "",
        )
        return context


class SuspicionActionView(ScopedMixin, View):
    queryset = Suspicion.objects.select_related("member__household", "disease")

    """POST: confirm (the disease joins the member's diagnoses) or rule out."""

    def post(self, request, pk, verb):
        if verb not in ("confirm", "rule-out"):
            raise Http404
        suspicion = get_object_or_404(
            self.get_queryset(),
            pk=pk,
        )
        _require_writer(request.user)
        try:
            if verb == "confirm":
                services.suspicion_confirm(suspicion=suspicion, by=request.user)
                messages.success(
                    request,
                    _("%(disease)s confirmed for %(name)s; the follow-up schedule includes it.")
                    % {"disease": suspicion.disease.name, "name": suspicion.member.name},
                )
            else:
                services.suspicion_rule_out(
                    suspicion=suspicion, note=request.POST.get("note", ""), by=request.user
                )
                messages.info(
                    request,
                    _("%(disease)s ruled out for %(name)s.")
                    % {"disease": suspicion.disease.name, "name": suspicion.member.name},
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(_safe_next(request) or reverse("screening:suspected"))


# --- check-ups --------------------------------------------------------------------------------


class CheckUpQuickView(_MemberEntryMixin, FormView):
    template_name = "screening/checkup_quick.html"
    form_class = CheckUpForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(member=self.member, next=_safe_next(self.request))
        return context

    def form_valid(self, form):
        profile = get_profile(self.request.user)
        try:
            services.check_up_record(
                member=self.member,
                institution=profile.institution if profile else None,
                **form.cleaned_data,
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Check-up of %(name)s saved.") % {"name": self.member.name}
        )
        return redirect(_safe_next(self.request) or reverse("screening:not-checked"))


def _half_params(query) -> tuple[HalfYearForm, int, int]:
    form = HalfYearForm(query or None)
    year, half = selectors.current_half()
    if form.is_bound and form.is_valid():
        year = form.cleaned_data.get("year") or year
        half = form.cleaned_data.get("half") or half
    return form, year, half


class CheckUpCoverageView(LoginRequiredMixin, TemplateView):
    """Members checked ÷ members, by township (villages inside a township), for a half year."""

    template_name = "screening/checkup_coverage.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        form, year, half = _half_params(self.request.GET)
        region = _region_param(user, form.cleaned_data.get("region") if form.is_bound else None)
        coverage = selectors.check_up_coverage(user, year=year, half=half, region=region)
        context = super().get_context_data(**kwargs)
        context.update(
            form=form,
            coverage=coverage,
            region=region,
            chart={
                "kind": "bar-rate",
                "title": _("Check-up coverage"),
                "labels": [row.region.name for row in coverage.rows],
                "values": [float(row.rate or 0) for row in coverage.rows],
            },
        )
        return context


class NotCheckedView(LoginRequiredMixin, TemplateView):
    """Members without this half year's check-up, by village and household."""

    template_name = "screening/not_checked.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        year, half = selectors.current_half()
        villages = None
        village = None
        code = self.request.GET.get("village")
        if code:
            village = _village(user, code)
            villages = [village.code]
        queryset = (
            selectors.not_checked(user, year=year, half=half, villages=villages)
            if user_role(user) != Role.HOSPITAL_STAFF
            else Member.objects.none()
        )
        page = Paginator(queryset, 50).get_page(self.request.GET.get("page"))
        context = super().get_context_data(**kwargs)
        context.update(
            page_obj=page,
            year=year,
            half=half,
            village=village,
            can_write=can_write_services(user),
            village_query=f"village={village.code}&" if village else "",
        )
        return context


# --- health prescriptions ---------------------------------------------------------------------


class PrescriptionCatalogueView(LoginRequiredMixin, ListView):
    template_name = "screening/prescription_list.html"
    context_object_name = "prescriptions"

    def get_queryset(self):
        return Prescription.objects.select_related("disease").order_by("disease__sort_order")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile = get_profile(self.request.user)
        context["can_edit"] = (
            self.request.user.is_superuser if profile is None else profile.role in CATALOGUE_ROLES
        )
        return context


class PrescriptionEditView(LoginRequiredMixin, FormView):
    """Create or edit a catalogue prescription (county staff)."""

    template_name = "screening/prescription_edit.html"
    form_class = PrescriptionForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.prescription = (
            get_object_or_404(Prescription.objects.select_related("disease"), pk=kwargs["pk"])
            if "pk" in kwargs
            else None
        )
        _require_catalogue_editor(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "editing": self.prescription is not None}
        if self.prescription is not None and self.request.method == "GET":
            kwargs["initial"] = {
                field: getattr(self.prescription, field)
                for field in (*services.PRESCRIPTION_TEXT_FIELDS, "active")
            }
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["prescription"] = self.prescription
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        disease = data.pop("disease", None)
        active = data.pop("active")
        try:
            services.prescription_save(
                prescription=self.prescription,
                disease=disease,
                active=active,
                by=self.request.user,
                **data,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Health prescription saved."))
        return redirect("screening:prescription-list")


class PrescriptionIssueView(_MemberEntryMixin, FormView):
    template_name = "screening/prescription_issue.html"
    form_class = IssueForm

    def get_form_kwargs(self):
        diseases = MemberDisease.objects.filter(member=self.member).values_list(
            "disease_id", flat=True
        )
        return {**super().get_form_kwargs(), "member_diseases": list(diseases)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            member=self.member,
            issued=list(
                IssuedPrescription.objects.filter(member=self.member)
                .select_related("prescription")
                .order_by("-issued_on")
            ),
        )
        return context

    def form_valid(self, form):
        try:
            services.prescription_issue(
                member=self.member, **form.cleaned_data, by=self.request.user
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Health prescription issued."))
        return redirect("screening:prescription-issue", pk=self.member.pk)


class PrescriptionPdfView(ScopedMixin, View):
    queryset = IssuedPrescription.objects.all()

    """The issued prescriptions of a member or a household as one PDF (A5 pages)."""

    def get(self, request, kind, key):
        user = request.user
        # A village's prescriptions are a job (VillagePrescriptionsView): unbounded work.
        if kind not in ("member", "household"):
            raise Http404
        issued = self.get_queryset()
        if kind == "member":
            member = get_object_or_404(_members(user), pk=key)
            issued = issued.filter(member=member)
            name = f"prescriptions-member-{member.pk}.pdf"
        else:
            household = get_object_or_404(_households(user), pk=key)
            issued = issued.filter(member__household=household)
            name = f"prescriptions-household-{household.number}.pdf"
        pages = printing.pages_for(issued)
        if not pages:
            raise Http404(_("No health prescription has been issued here yet."))
        response = HttpResponse(printing.render_pdf(pages), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response


# --- the five-ones campaign -------------------------------------------------------------------


class CampaignListView(ScopedMixin, ListView):
    model = Campaign
    template_name = "screening/campaign_list.html"
    context_object_name = "campaigns"

    def get_queryset(self):
        return super().get_queryset().select_related("county").prefetch_related("phases", "items")

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_setup=_is_catalogue_editor(self.request.user), **kwargs)


def _campaign(user, pk) -> Campaign:
    return get_object_or_404(
        Campaign.objects.visible_to(user).select_related("county").prefetch_related("phases"),
        pk=pk,
    )


class CampaignDetailView(LoginRequiredMixin, TemplateView):
    """Progress by item, township, village and work team; overdue per team after 组织实施."""

    template_name = "screening/campaign_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        campaign = _campaign(user, kwargs["pk"])
        region = _region_param(user, self.request.GET.get("region"))
        progress = selectors.campaign_progress(campaign, user, region=region)
        units = sorted({row.key.unit_name for row in progress.teams})
        # A county's ninety villages make a long table: villages are listed once the view is
        # a township's (chosen, or the user's own scope); the county sees its townships.
        area = selectors.area_prefix(user, region) or ""
        show_villages = len(area) >= RegionLevel.TOWNSHIP
        context = super().get_context_data(**kwargs)
        context.update(
            campaign=campaign,
            progress=progress,
            region=region,
            units=units,
            show_villages=show_villages,
            can_setup=_is_catalogue_editor(user),
            chart={
                "kind": "bar-rate",
                "title": _("Households done by item"),
                "labels": [item.name for item in progress.items] + [_("All items")],
                "values": [float(r or 0) for r in progress.total.rates]
                + [float(progress.total.all_rate or 0)],
            },
        )
        return context


class CampaignHouseholdsView(LoginRequiredMixin, TemplateView):
    """A village's targeted households with each item's state; a team marks items by hand."""

    template_name = "screening/campaign_households.html"

    def _load(self, pk):
        user = self.request.user
        self.campaign = _campaign(user, pk)
        code = self.request.GET.get("village") or self.request.POST.get("village") or ""
        self.village = _village(user, code) if code else None

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        villages = [
            v for v in _user_villages(user) if v.code.startswith(self.campaign.county.prefix)
        ]
        rows, page = [], None
        if self.village is not None:
            queryset = (
                selectors.targeted_households(self.campaign, user)
                .filter(village=self.village)
                .order_by("number")
            )
            page = Paginator(queryset, 30).get_page(self.request.GET.get("page"))
            rows = selectors.household_states(self.campaign, user, page.object_list)
        context.update(
            campaign=self.campaign,
            village=self.village,
            villages=villages,
            rows=rows,
            page_obj=page,
            items=list(self.campaign.items.all()),
            can_write=can_write_services(user),
            manual=ItemSource.MANUAL,
        )
        return context

    def get(self, request, *args, **kwargs):
        self._load(kwargs["pk"])
        return self.render_to_response(self.get_context_data(**kwargs))

    def post(self, request, *args, **kwargs):
        self._load(kwargs["pk"])
        if self.village is None:
            raise Http404
        household = get_object_or_404(
            selectors.targeted_households(self.campaign, request.user).filter(village=self.village),
            pk=request.POST.get("household") or 0,
        )
        _require_writer(request.user)
        form = MarkItemForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The mark could not be read; try again."))
        else:
            item = get_object_or_404(self.campaign.items, pk=form.cleaned_data["item"])
            try:
                services.household_item_mark(
                    campaign=self.campaign,
                    household=household,
                    item=item,
                    done_on=form.cleaned_data["done_on"],
                    evidence=form.cleaned_data["evidence"],
                    by=request.user,
                )
                messages.success(
                    request,
                    _("%(item)s marked done for household %(number)s.")
                    % {"item": item.name, "number": household.number},
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        query = urlencode({"village": self.village.code, "page": request.GET.get("page", 1)})
        return redirect(
            f"{reverse('screening:campaign-households', args=[self.campaign.pk])}?{query}"
        )


class CampaignOverdueView(LoginRequiredMixin, TemplateView):
    """Households not done after the implementation phase, for one work team."""

    template_name = "screening/campaign_overdue.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        campaign = _campaign(user, kwargs["pk"])
        team = get_object_or_404(
            WorkTeam.objects.visible_to(user).filter(campaign=campaign), pk=kwargs["team"]
        )
        progress = selectors.campaign_progress(campaign, user)
        rows = selectors.overdue_households(progress, team)
        context = super().get_context_data(**kwargs)
        context.update(campaign=campaign, team=team, progress=progress, rows=rows)
        return context


class CampaignSummaryView(ScopedMixin, View):
    """Start the 反馈总结 summary draft of one unit (xlsx: what was done, figures, overdue
    list) as a job; its page shows progress, then the file."""

    queryset = WorkTeam.objects.all()
    http_method_names = ["post"]

    def post(self, request, pk):
        campaign = _campaign(request.user, pk)
        unit = request.POST.get("unit") or ""
        if not self.get_queryset().filter(campaign=campaign, unit_name=unit).exists():
            raise Http404
        return _start_export(request, exports.UNIT_SUMMARY, {"campaign": campaign.pk, "unit": unit})


class VillagePrescriptionsView(LoginRequiredMixin, View):
    """Start the health prescriptions of a village (one PDF, A5 pages) as a job."""

    http_method_names = ["post"]

    def post(self, request, code):
        village = _village(request.user, code)
        return _start_export(request, exports.VILLAGE_PRESCRIPTIONS, {"village": village.code})


def _start_export(request, kind: str, params: dict):
    with transaction.atomic():
        job = exports.new_export_job(kind, user=request.user, params=params)
        job_enqueue(job, export_task)
    return redirect("screening:export-job", uuid=job.uuid)


class ExportJobMixin(ScopedMixin):
    """The user's own screening export jobs (``Job.objects.visible_to``); others' are 404."""

    queryset = Job.objects.filter(kind__in=list(exports.EXPORT_KINDS.values()))
    slug_field = "uuid"
    slug_url_kwarg = "uuid"
    context_object_name = "job"


class ExportJobView(ExportJobMixin, DetailView):
    """Progress while the file is built, then the download."""

    template_name = "screening/export_job.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.object
        kind = exports.export_kind(job)
        if kind == exports.UNIT_SUMMARY:
            back = reverse("screening:campaign-detail", args=[job.params.get("campaign")])
        else:
            back = reverse("screening:prescription-list")
        context.update(
            kind=kind,
            back_url=back,
            files_purged=bool(job.params.get(FILES_PURGED)),
            retention_days=settings.JOB_FILES_RETENTION_DAYS,
        )
        return context


class ExportProgressView(ExportJobMixin, DetailView):
    """The progress bar, polled by htmx; once the job ends the page reloads with the file."""

    template_name = "screening/_export_progress.html"

    def render_to_response(self, context, **response_kwargs):
        if self.object.finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return super().render_to_response(context, **response_kwargs)


class ExportFileView(ExportJobMixin, View):
    def get(self, request, uuid):
        job = get_object_or_404(self.get_queryset(), uuid=uuid)
        if job.status != JobStatus.SUCCEEDED or not job.result_file:
            raise Http404
        kind = exports.export_kind(job)
        response = FileResponse(
            job.result_file.open("rb"),
            as_attachment=kind == exports.UNIT_SUMMARY,
            filename=exports.export_file_name(job),
            content_type=exports.CONTENT_TYPES[kind],
        )
        response["Cache-Control"] = "no-store"
        return response


# --- free clinics -----------------------------------------------------------------------------


class FreeClinicListView(FilteredListView):
    queryset = FreeClinic.objects.select_related("village").prefetch_related("photos")
    filterset_class = FreeClinicFilterSet
    template_name = "screening/freeclinic_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_write"] = can_write_services(self.request.user)
        return context


class FreeClinicCreateView(LoginRequiredMixin, FormView):
    template_name = "screening/freeclinic_form.html"
    form_class = FreeClinicForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require_writer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        photos = self.request.FILES.getlist("photos")
        data.pop("photos", None)
        try:
            clinic = services.free_clinic_record(**data, photos=photos, by=self.request.user)
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Free clinic of %(date)s in %(village)s saved.")
            % {"date": clinic.held_on, "village": clinic.village.name},
        )
        return redirect("screening:freeclinic-list")


class FreeClinicTotalsView(LoginRequiredMixin, TemplateView):
    """Totals by region and period, and the coverage of the target village lists."""

    template_name = "screening/freeclinic_totals.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = TotalsForm(self.request.GET or None)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        region = _region_param(user, data.get("region"))
        start, end = data.get("start"), data.get("end")
        total, rows = selectors.free_clinic_totals(user, region=region, start=start, end=end)
        targets = [
            selectors.target_coverage(target, user)
            for target in FreeClinicTarget.objects.visible_to(user).order_by("-starts_on")[:5]
        ]
        context = super().get_context_data(**kwargs)
        context.update(
            form=form,
            total=total,
            rows=rows,
            targets=targets,
            region=region,
            can_setup=_is_catalogue_editor(user),
            chart={
                "kind": "bar-value",
                "title": _("Service value by area (yuan)"),
                "labels": [r.name for r, _t in rows],
                "series": [
                    {"name": _("Drug value"), "values": [float(t.drug_value) for _r, t in rows]},
                    {
                        "name": _("Service value"),
                        "values": [float(t.service_value) for _r, t in rows],
                    },
                ],
            },
        )
        return context


class MemberPickView(LoginRequiredMixin, TemplateView):
    """Find a member to screen, check up or give a prescription: by name, household number
    or ID number, within the user's scope."""

    template_name = "screening/member_pick.html"

    def get_context_data(self, **kwargs):
        from screening.filtersets import _search

        user = self.request.user
        query = (self.request.GET.get("q") or "").strip()
        members = (
            _search(_members(user), query, prefix="").order_by("household__number", "pk")
            if query
            else Member.objects.none()
        )
        context = super().get_context_data(**kwargs)
        context.update(
            q=query,
            members=list(members[:30]),
            can_write=can_write_services(user),
        )
        return context


# --- set-up by county staff: campaigns, work teams, thresholds, target lists ------------------


class _CountyStaffFormView(LoginRequiredMixin, FormView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.setup_objects(request, **kwargs)
            _require_catalogue_editor(request.user)
        return super().dispatch(request, *args, **kwargs)

    def setup_objects(self, request, **kwargs):
        pass


class CampaignCreateView(_CountyStaffFormView):
    template_name = "screening/setup_form.html"
    form_class = CampaignForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("New five-ones campaign"), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                name=data["name"],
                county=data["county"],
                target=data["target"],
                phases=form.phases(),
                eight_ones=data["eight_ones"],
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Campaign created; now add its work teams."))
        return redirect("screening:workteam-new", pk=campaign.pk)


class WorkTeamCreateView(_CountyStaffFormView):
    template_name = "screening/setup_form.html"
    form_class = WorkTeamForm

    def setup_objects(self, request, **kwargs):
        self.campaign = _campaign(request.user, kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "county": self.campaign.county}

    def get_context_data(self, **kwargs):
        title = _("New work team of %(campaign)s") % {"campaign": self.campaign.name}
        return super().get_context_data(title=title, **kwargs)

    def form_valid(self, form):
        try:
            services.work_team_save(
                campaign=self.campaign, **form.cleaned_data, by=self.request.user
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Work team saved."))
        return redirect("screening:campaign-detail", pk=self.campaign.pk)


class CampaignEditView(_CountyStaffFormView):
    """Change a campaign's name, target and phases (a phase left empty is removed)."""

    template_name = "screening/setup_form.html"
    form_class = CampaignEditForm

    def setup_objects(self, request, **kwargs):
        self.campaign = _campaign(request.user, kwargs["pk"])

    def get_initial(self):
        return CampaignEditForm.initial_for(self.campaign)

    def get_context_data(self, **kwargs):
        title = _("Edit %(campaign)s") % {"campaign": self.campaign.name}
        return super().get_context_data(
            title=title,
            delete_url=reverse("screening:campaign-delete", args=[self.campaign.pk]),
            setup=_setup_context(self.campaign),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.campaign_update(
                campaign=self.campaign,
                name=data["name"],
                target=data["target"],
                phases=form.phases(),
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Campaign saved."))
        return redirect("screening:campaign-edit", pk=self.campaign.pk)


def _setup_context(campaign) -> dict:
    """The campaign's items and teams, listed under its edit form with their own links."""
    return {
        "campaign": campaign,
        "items": list(campaign.items.order_by("order")),
        "teams": list(WorkTeam.objects.filter(campaign=campaign).order_by("unit_name", "name")),
    }


class _SetupDeleteView(LoginRequiredMixin, View):
    """POST: delete a set-up record through its service; refused with the reason when other
    records still refer to it."""

    http_method_names = ["post"]

    def post(self, request, **kwargs):
        _require_catalogue_editor(request.user)
        target, back, done = self.load(request.user, **kwargs)
        try:
            self.delete(target, request.user)
        except (ProtectedError, RestrictedError) as exc:
            messages.error(request, protected_message(exc))
            return redirect(back)
        messages.success(request, _("%(name)s deleted.") % {"name": str(target)})
        return redirect(done)


class CampaignDeleteView(_SetupDeleteView):
    def load(self, user, pk):
        campaign = _campaign(user, pk)
        return campaign, reverse("screening:campaign-edit", args=[pk]), "screening:campaign-list"

    def delete(self, campaign, user):
        services.campaign_delete(campaign=campaign, by=user)


class CampaignItemEditView(_CountyStaffFormView):
    """Add an item to a campaign, or rename it / change what completes it."""

    template_name = "screening/setup_form.html"
    form_class = CampaignItemForm

    def setup_objects(self, request, **kwargs):
        self.campaign = _campaign(request.user, kwargs["pk"])
        self.item = (
            get_object_or_404(self.campaign.items, pk=kwargs["item"]) if "item" in kwargs else None
        )

    def get_initial(self):
        if self.item is None:
            return {"source": ItemSource.MANUAL}
        return {"name": self.item.name, "source": self.item.source}

    def get_context_data(self, **kwargs):
        if self.item is None:
            title = _("New item of %(campaign)s") % {"campaign": self.campaign.name}
            delete_url = ""
        else:
            title = _("Edit item %(item)s") % {"item": self.item.name}
            delete_url = reverse(
                "screening:campaignitem-delete", args=[self.campaign.pk, self.item.pk]
            )
        return super().get_context_data(title=title, delete_url=delete_url, **kwargs)

    def form_valid(self, form):
        try:
            services.campaign_item_save(
                campaign=self.campaign, item=self.item, **form.cleaned_data, by=self.request.user
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Item saved."))
        return redirect("screening:campaign-edit", pk=self.campaign.pk)


class CampaignItemDeleteView(_SetupDeleteView):
    def load(self, user, pk, item):
        campaign = _campaign(user, pk)
        target = get_object_or_404(campaign.items, pk=item)
        back = reverse("screening:campaign-edit", args=[pk])
        return target, back, back

    def delete(self, item, user):
        services.campaign_item_delete(item=item, by=user)


class WorkTeamEditView(_CountyStaffFormView):
    """Change a work team: name, unit, phone, its members and its villages."""

    template_name = "screening/setup_form.html"
    form_class = WorkTeamForm

    def setup_objects(self, request, **kwargs):
        self.campaign = _campaign(request.user, kwargs["pk"])
        self.team = get_object_or_404(
            WorkTeam.objects.visible_to(request.user).filter(campaign=self.campaign),
            pk=kwargs["team"],
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "county": self.campaign.county}

    def get_initial(self):
        team = self.team
        return {
            "name": team.name,
            "unit_name": team.unit_name,
            "phone": team.phone,
            "villages": list(team.villages.all()),
            "members": list(team.members.all()),
        }

    def get_context_data(self, **kwargs):
        title = _("Edit work team %(team)s") % {"team": self.team.name}
        delete_url = reverse("screening:workteam-delete", args=[self.campaign.pk, self.team.pk])
        return super().get_context_data(title=title, delete_url=delete_url, **kwargs)

    def form_valid(self, form):
        try:
            services.work_team_save(
                campaign=self.campaign,
                team=self.team,
                unit=self.team.unit,
                leader=self.team.leader,
                **form.cleaned_data,
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Work team saved."))
        return redirect("screening:campaign-edit", pk=self.campaign.pk)


class WorkTeamDeleteView(_SetupDeleteView):
    def load(self, user, pk, team):
        campaign = _campaign(user, pk)
        target = get_object_or_404(
            WorkTeam.objects.visible_to(user).filter(campaign=campaign), pk=team
        )
        back = reverse("screening:campaign-edit", args=[pk])
        return target, back, back

    def delete(self, team, user):
        services.work_team_delete(team=team, by=user)


class FreeClinicTargetCreateView(_CountyStaffFormView):
    template_name = "screening/setup_form.html"
    form_class = FreeClinicTargetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("New free-clinic target list"), **kwargs)

    def form_valid(self, form):
        try:
            services.free_clinic_target_create(**form.cleaned_data, by=self.request.user)
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Target list saved."))
        return redirect("screening:freeclinic-totals")


class ThresholdListView(LoginRequiredMixin, TemplateView):
    """The screening items and their abnormal thresholds; county staff change them."""

    template_name = "screening/thresholds.html"

    def get_context_data(self, **kwargs):
        profile = get_profile(self.request.user)
        context = super().get_context_data(**kwargs)
        context.update(
            items=list(ScreeningItem.objects.select_related("disease")),
            can_edit=(
                self.request.user.is_superuser
                if profile is None
                else profile.role in CATALOGUE_ROLES
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        _require_catalogue_editor(request.user)
        item = get_object_or_404(ScreeningItem, pk=request.POST.get("item") or 0)
        try:
            services.screening_item_set_threshold(
                item=item,
                threshold=request.POST.get("threshold"),
                active=request.POST.get("active") == "on",
                by=request.user,
            )
            messages.success(
                request,
                _("Threshold of %(item)s saved; screenings recorded from now on use it.")
                % {"item": item.name},
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("screening:thresholds")


class FreeClinicPhotoView(ScopedMixin, View):
    queryset = FreeClinic.objects.all()

    """A free clinic's photo, served only to users who can see the clinic."""

    def get(self, request, pk):
        from django.http import FileResponse

        from screening.models import FreeClinicPhoto

        photo = get_object_or_404(
            FreeClinicPhoto.objects.filter(clinic__in=self.get_queryset()),
            pk=pk,
        )
        try:
            handle = photo.image.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, filename=f"free-clinic-{photo.clinic_id}-{photo.pk}.jpg")
