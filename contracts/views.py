"""Pages of the contracts app: thin views over the selectors, filtersets and services.

Scope first: a member, household, contract or team outside the user's scope is not found
(404) for every role, before any role check. Recording work (signing, follow-ups) is for
``SERVICE_WRITE_ROLES``; other roles get 403 on those pages. Reading follows the registry:
every role reads within its scope, hospital staff included (read only).
"""

from __future__ import annotations

import datetime
import mimetypes
import os
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from contracts import selectors, services
from contracts.choices import ContractStatus, WindowStatus
from contracts.filtersets import (
    ContractFilterSet,
    FollowUpFilterSet,
    worklist_params,
    worklist_team,
)
from contracts.forms import (
    ContractRenewForm,
    ContractSignForm,
    ContractTerminateForm,
    FollowUpRuleForm,
    ImportForm,
    QuickFollowUpForm,
)
from contracts.models import Contract, DoctorTeam, FollowUp, FollowUpRule
from contracts.tasks import IMPORT_KINDS, import_task
from healthaid.choices import Role, choice_labels
from healthaid.figures import rate
from healthaid.importing.views import UploadLimitMixin
from healthaid.jobs import job_enqueue
from healthaid.models import Job
from healthaid.rows import detail_url
from healthaid.scoping import can_write_services, get_profile
from healthaid.views import FilteredListView, RoleRequiredMixin, ScopedMixin
from households.choices import ContactKind, Sex
from households.models import Disease, Household, Member, MemberDisease

IMPORT_ROLES = frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR})


def _add_errors(error: ValidationError, form) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _signing(form, service, user, **target):
    """Run a signing service (sign, household sign, renew) with the signing form's fields;
    ``None`` after putting the service's refusal on the form."""
    data = form.cleaned_data
    try:
        return service(
            **target,
            team=data["team"],
            doctor=data["doctor"],
            signed_on=data["signed_on"],
            package=data["package"],
            agreement=data["agreement"],
            by=user,
        )
    except ValidationError as exc:
        _add_errors(exc, form)
        return None


def _village_team(user, village_id: str) -> DoctorTeam | None:
    """The team the signing form proposes: one the user sees that covers the village."""
    return DoctorTeam.objects.visible_to(user).filter(villages=village_id).first()


def _require_service_writer(user) -> None:
    if not can_write_services(user):
        raise PermissionDenied


# The base querysets of the pages below; ``ScopedMixin.get_queryset`` applies the scope.
MEMBERS = Member.objects.select_related("household__village")
CONTRACTS = Contract.objects.select_related(
    "member__household__village", "team__institution", "doctor"
)


# --- the worklist and follow-ups ----------------------------------------------------------------


class WorklistView(LoginRequiredMixin, TemplateView):
    """The doctor's morning list: due and overdue visits of their villages, by village."""

    template_name = "contracts/worklist.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        _require_service_writer(user)
        team = worklist_team(user, self.request.GET)
        params = worklist_params(self.request.GET)
        work = selectors.worklist(user, team=team, **params)
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        base = {"team": str(team.pk)} if team else {}
        context.update(
            work=work,
            sort=params["sort"],
            show=params["show"],
            team_param=f"team={team.pk}&" if team else "",
            page_query=query.urlencode(),
            village_query=urlencode({**base, "sort": params["sort"], "show": params["show"]}),
            groups=worklist_groups(work, next_url=self.request.get_full_path()),
        )
        return context


# A window's badge colour by its status (``contracts/_window_badge.html`` says the same).
WINDOW_BADGE = {
    WindowStatus.DONE: "text-bg-success",
    WindowStatus.DUE: "text-bg-warning",
    WindowStatus.OVERDUE: "text-bg-danger",
    WindowStatus.LATE: "text-bg-secondary",
}


def worklist_groups(work, *, next_url: str) -> list[dict]:
    """The worklist page's villages and entries as printed values, labels resolved once.

    The page prints up to 50 people with their windows and 亲情号码; looked up in the
    template each was a few dozen look-ups and choice labels translated again per row.
    """
    sexes = choice_labels(Sex.choices)
    kinds = choice_labels(ContactKind.choices)
    statuses = choice_labels(WindowStatus.choices)
    schedule = detail_url("contracts:member-schedule")
    quick = detail_url("contracts:followup-quick")
    back = "next=" + quote(next_url, safe="/")  # as the ``urlencode`` filter did
    today = work.today
    # Windows repeat from one person to the next (this quarter, this year), and so do the
    # days overdue: each label is made once a page.
    window_labels: dict[tuple[int, datetime.date], str] = {}
    overdue_texts: dict[int, str] = {}

    def window_text(window) -> str:
        key = (window.per_year, window.start)
        if key not in window_labels:
            window_labels[key] = window.label
        text = f"{window_labels[key]} · {statuses[window.status]}"
        return text + (f" {window.visit_on.month}/{window.visit_on.day}" if window.visit_on else "")

    def overdue_text(days: int) -> str:
        if days not in overdue_texts:
            overdue_texts[days] = ngettext(
                "%(days)s day overdue", "%(days)s days overdue", days
            ) % {"days": days}
        return overdue_texts[days]

    groups = []
    for group in work.groups:
        entries = []
        for entry in group.entries:
            member = entry.member
            entries.append(
                {
                    "pk": member.pk,
                    "name": member.name,
                    "schedule_url": schedule(member.pk),
                    "quick_url": f"{quick(member.pk)}?{back}",
                    "sex": sexes.get(member.sex, member.sex),
                    "age": member.age_on(today),
                    "household_number": member.household_number,
                    "diseases": "、".join(entry.disease_names),
                    "days_overdue": entry.days_overdue,
                    "overdue_text": overdue_text(entry.days_overdue),
                    "windows": [
                        {
                            "status": window.status,
                            "badge": WINDOW_BADGE.get(window.status, "text-bg-light border"),
                            "text": window_text(window),
                        }
                        for window in entry.windows
                    ],
                    # Y-m-d, as the page prints every date.
                    "last_visit_on": (
                        entry.last_visit_on.isoformat() if entry.last_visit_on else ""
                    ),
                    "phone": member.phone,
                    "contacts": [
                        {
                            "phone": c.phone,
                            "text": f"{kinds.get(c.kind, c.kind)}"
                            + (f" {c.name}" if c.name else "")
                            + f" {c.phone}",
                        }
                        for c in entry.contacts
                    ],
                }
            )
        groups.append({"village": group.village.name, "entries": entries})
    return groups


def _ruled_diseases(member: Member) -> list[Disease]:
    return list(
        Disease.objects.filter(
            pk__in=MemberDisease.objects.filter(member=member).values("disease_id"),
            follow_up_rule__isnull=False,
        ).order_by("-follow_up_rule__visits_per_year", "sort_order")
    )


class FollowUpQuickView(ScopedMixin, FormView):
    """One tap from the worklist: the fewest fields, saved through the service."""

    template_name = "contracts/followup_quick.html"
    form_class = QuickFollowUpForm
    queryset = MEMBERS

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.member = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        _require_service_writer(request.user)
        self.diseases = _ruled_diseases(self.member)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "diseases": self.diseases}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.member
        context["next"] = self._next_url()
        return context

    def _next_url(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next") or ""
        return candidate if candidate.startswith("/") and not candidate.startswith("//") else ""

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            follow_up = services.follow_up_record(
                member=self.member,
                visited_on=data["visited_on"],
                disease=data["disease"],
                place=data["place"],
                systolic=data["systolic"],
                diastolic=data["diastolic"],
                fasting_glucose=data["fasting_glucose"],
                weight=data["weight"],
                heart_rate=data["heart_rate"],
                adherence=data["adherence"],
                symptoms=data["symptoms"],
                next_visit_on=data["next_visit_on"],
                notes=data["notes"],
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        status = follow_up.get_control_status_display() if follow_up.control_status else ""
        messages.success(
            self.request,
            _("Follow-up of %(name)s on %(date)s saved. %(status)s")
            % {"name": self.member.name, "date": follow_up.visited_on, "status": status},
        )
        url = reverse("contracts:member-schedule", args=[self.member.pk])
        return redirect(f"{url}?saved={follow_up.pk}")


class MemberScheduleView(ScopedMixin, DetailView):
    """A member's follow-up windows for a year, contracts and visits."""

    template_name = "contracts/member_schedule.html"
    context_object_name = "member"
    queryset = MEMBERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.object
        today = timezone.localdate()
        try:
            year = int(self.request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        year = min(max(year, 2013), today.year + 1)
        windows = selectors.member_schedule(member, year=year, today=today)
        rules = selectors.follow_up_rules()
        follow_ups = list(
            FollowUp.objects.filter(member=member)
            .select_related("disease", "doctor")
            .order_by("-visited_on", "-pk")[:30]
        )
        contracts = list(
            Contract.objects.filter(member=member)
            .select_related("team", "doctor")
            .order_by("-valid_from")
        )
        saved = self.request.GET.get("saved")
        context.update(
            year=year,
            years=[today.year - 1, today.year],
            windows=windows,
            disease_names=rules.names,
            follow_ups=follow_ups,
            contracts=contracts,
            active_contract=next((c for c in contracts if c.status == "active"), None),
            saved_id=int(saved) if saved and saved.isdigit() else None,
            can_write=can_write_services(self.request.user),
            today=today,
        )
        return context


class FollowUpListView(FilteredListView):
    queryset = FollowUp.objects.select_related(
        "member__household__village", "disease", "doctor", "contract__team"
    )
    filterset_class = FollowUpFilterSet
    template_name = "contracts/followup_list.html"


# --- contracts ----------------------------------------------------------------------------------


class ContractListView(FilteredListView):
    queryset = Contract.objects.select_related(
        "member__household__village", "team", "doctor"
    ).order_by("-valid_from", "-pk")
    filterset_class = ContractFilterSet
    template_name = "contracts/contract_list.html"
    title = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title or _("Contracts")
        context["can_write"] = can_write_services(self.request.user)
        return context


class ExpiringContractListView(ContractListView):
    """Active contracts that end within 30 days: the ones to renew this month."""

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .expiring_within(timezone.localdate(), 30)
            .order_by("valid_to", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Contracts expiring within 30 days")
        context["expiring"] = True
        return context


class ContractDetailView(ScopedMixin, DetailView):
    template_name = "contracts/contract_detail.html"
    context_object_name = "contract"
    queryset = CONTRACTS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        can_write = can_write_services(self.request.user)
        context.update(
            can_write=can_write,
            follow_ups=list(
                contract.follow_ups.select_related("disease", "doctor").order_by("-visited_on")[:20]
            ),
            renew_form=(
                ContractRenewForm(user=self.request.user, contract=contract)
                if can_write
                and contract.status != ContractStatus.TERMINATED
                and not contract.renewed_as_id
                else None
            ),
            terminate_form=(
                ContractTerminateForm()
                if can_write and contract.status == ContractStatus.ACTIVE
                else None
            ),
        )
        return context


class ContractSignView(ScopedMixin, FormView):
    """Sign one member (``?member=ID``) with a team."""

    template_name = "contracts/contract_sign.html"
    form_class = ContractSignForm
    queryset = MEMBERS

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        member_id = request.GET.get("member") or request.POST.get("member") or ""
        if not member_id.isdigit():
            raise Http404
        self.member = get_object_or_404(self.get_queryset(), pk=member_id)
        _require_service_writer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        team = _village_team(self.request.user, self.member.household.village_id)
        return {**super().get_form_kwargs(), "user": self.request.user, "team": team}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.member
        return context

    def form_valid(self, form):
        contract = _signing(form, services.contract_sign, self.request.user, member=self.member)
        if contract is None:
            return self.form_invalid(form)
        messages.success(self.request, _("Contract signed."))
        return redirect("contracts:contract-detail", pk=contract.pk)


class HouseholdSignView(ScopedMixin, FormView):
    """Sign a whole household at once: one agreement, one action."""

    template_name = "contracts/household_sign.html"
    form_class = ContractSignForm
    queryset = Household.objects.select_related("village")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.household = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        _require_service_writer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        team = _village_team(self.request.user, self.household.village_id)
        return {**super().get_form_kwargs(), "user": self.request.user, "team": team}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        members = list(Member.objects.filter(household=self.household).order_by("pk"))
        active = set(
            Contract.objects.filter(member__in=members, status=ContractStatus.ACTIVE).values_list(
                "member_id", flat=True
            )
        )
        context.update(
            household=self.household,
            members=[(m, m.pk in active) for m in members],
        )
        return context

    def form_valid(self, form):
        signed = _signing(
            form, services.household_sign, self.request.user, household=self.household
        )
        if signed is None:
            return self.form_invalid(form)
        created, skipped = signed
        messages.success(
            self.request,
            _("%(created)d members signed; %(skipped)d already had a contract.")
            % {"created": len(created), "skipped": len(skipped)},
        )
        return redirect(f"{reverse('contracts:contract-list')}?household={self.household.pk}")


class ContractActionView(ScopedMixin, FormView):
    """Base of renew and terminate: the contract is found in scope, then the role checked."""

    template_name = "contracts/contract_action.html"
    queryset = CONTRACTS

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.contract = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        _require_service_writer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contract"] = self.contract
        context["action_title"] = self.action_title
        return context


class ContractRenewView(ContractActionView):
    form_class = ContractRenewForm

    @property
    def action_title(self):
        return _("Renew contract")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "contract": self.contract}

    def form_valid(self, form):
        renewal = _signing(form, services.contract_renew, self.request.user, contract=self.contract)
        if renewal is None:
            return self.form_invalid(form)
        messages.success(self.request, _("Contract renewed."))
        return redirect("contracts:contract-detail", pk=renewal.pk)


class ContractTerminateView(ContractActionView):
    form_class = ContractTerminateForm

    @property
    def action_title(self):
        return _("Terminate contract")

    def form_valid(self, form):
        try:
            services.contract_terminate(
                contract=self.contract,
                reason=form.cleaned_data["reason"],
                terminated_on=form.cleaned_data["terminated_on"],
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("Contract terminated."))
        return redirect("contracts:contract-detail", pk=self.contract.pk)


class AgreementView(ScopedMixin, View):
    """The signed agreement, served only to users who can see the contract."""

    model = Contract

    def get(self, request, pk):
        contract = get_object_or_404(self.get_queryset(), pk=pk)
        if not contract.agreement:
            raise Http404
        try:
            handle = contract.agreement.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        content_type = mimetypes.guess_type(contract.agreement.name)[0]
        return FileResponse(
            handle,
            content_type=content_type or "application/octet-stream",
            filename=f"agreement-{contract.pk}{os.path.splitext(contract.agreement.name)[1]}",
        )


# --- teams --------------------------------------------------------------------------------------


class TeamListView(ScopedMixin, TemplateView):
    model = DoctorTeam
    template_name = "contracts/team_list.html"

    def get_context_data(self, **kwargs):
        from django.db.models import Count

        context = super().get_context_data(**kwargs)
        context["teams"] = list(
            self.get_queryset()
            .select_related("institution", "leader")
            .annotate(
                village_count=Count("villages", distinct=True),
                staff_count=Count("members", distinct=True),
            )
            .order_by("institution__region_id", "name")
        )
        return context


class TeamDetailView(ScopedMixin, DetailView):
    template_name = "contracts/team_detail.html"
    context_object_name = "team"
    queryset = DoctorTeam.objects.select_related("institution", "leader")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = selectors.team_summary(self.object, self.request.user)
        context.update(
            summary=summary,
            contract_rate=rate(summary.contracted, summary.target),
            completion_rate=rate(summary.windows_done, summary.windows_due),
        )
        return context


# --- rules --------------------------------------------------------------------------------------


class RuleListView(LoginRequiredMixin, TemplateView):
    """The follow-up rules; county staff change them here (or in the admin)."""

    template_name = "contracts/rule_list.html"

    def can_edit(self) -> bool:
        profile = get_profile(self.request.user)
        if profile is None:
            return self.request.user.is_superuser
        return profile.role == Role.COUNTY_STAFF

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rules = {r.disease_id: r for r in FollowUpRule.objects.all()}
        diseases = Disease.objects.filter(category__in=("key4", "annual")) | Disease.objects.filter(
            pk__in=list(rules)
        )
        context.update(
            rows=[
                (
                    disease,
                    rules.get(disease.pk),
                    FollowUpRuleForm(
                        prefix=f"d{disease.pk}",
                        initial={
                            "visits_per_year": rules[disease.pk].visits_per_year
                            if disease.pk in rules
                            else ""
                        },
                    ),
                )
                for disease in diseases.distinct().order_by("sort_order")
            ],
            can_edit=self.can_edit(),
            all_diseases=Disease.objects.exclude(pk__in=list(rules)).order_by("sort_order"),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.can_edit():
            raise PermissionDenied
        disease_id = request.POST.get("disease", "")
        if not disease_id.isdigit():
            raise Http404
        disease = get_object_or_404(Disease, pk=disease_id)
        prefix = "add" if "add-visits_per_year" in request.POST else f"d{disease.pk}"
        form = FollowUpRuleForm(request.POST, prefix=prefix)
        if form.is_valid():
            services.follow_up_rule_set(
                disease=disease,
                visits_per_year=form.cleaned_data["visits_per_year"] or None,
                by=request.user,
            )
            messages.success(request, _("Rule for %(disease)s saved.") % {"disease": disease})
        else:
            messages.error(request, _("Choose how often to follow up."))
        return redirect("contracts:rule-list")


# --- imports ------------------------------------------------------------------------------------


class ImportView(LoginRequiredMixin, RoleRequiredMixin, UploadLimitMixin, FormView):
    """Upload contracts or follow-ups; the import runs as a background job."""

    template_name = "contracts/import.html"
    form_class = ImportForm
    allowed_roles = IMPORT_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["jobs"] = list(
            Job.objects.visible_to(self.request.user)
            .filter(kind__in=list(IMPORT_KINDS))
            .order_by("-created_at")[:10]
        )
        return context

    def form_valid(self, form):
        user = self.request.user
        profile = get_profile(user)
        upload = form.cleaned_data["file"]
        kind = f"{form.cleaned_data['kind']}_import"
        job = Job(
            kind=kind,
            created_by=user,
            region_code=profile.region.code if profile else "",
            params={
                "skip_invalid": form.cleaned_data["skip_invalid"],
                "dry_run": form.cleaned_data["dry_run"],
            },
            input_name=os.path.basename(upload.name)[:255],
        )
        job.input_file.save(f"upload{os.path.splitext(upload.name)[1].lower()}", upload, save=False)
        job.save()
        job_enqueue(job, import_task)
        return redirect("contracts:import-job", uuid=job.uuid)
