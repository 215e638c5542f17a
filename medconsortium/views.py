"""Pages of the consortium app: the expert timetable (in the portal, printable, and public
without login), referral worklists and commands, consortia and the county summary.

Scope first, through ``visible_to`` in the base classes: a referral, session or consortium
outside the user's scope is 404 for every role. The services decide who may act (403) and
which transitions are allowed (a message on the page).
"""

from __future__ import annotations

import datetime
import os

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.cache import cache_control
from django.views.generic import DetailView, FormView, TemplateView

from healthaid.choices import RegionLevel, Role
from healthaid.importing.uploads import FORM_OVERHEAD
from healthaid.models import Region
from healthaid.scoping import get_profile
from healthaid.views import FilteredListView, RoleRequiredMixin, ScopedMixin
from households.models import Member
from medconsortium import selectors, services
from medconsortium.choices import ConsultationKind, CooperationItem, Direction
from medconsortium.filtersets import (
    ExpertSessionFilterSet,
    ReferralFilterSet,
    RemoteConsultationFilterSet,
    TraineeExchangeFilterSet,
)
from medconsortium.forms import (
    AdmitForm,
    CapacityForm,
    ConsortiumForm,
    ConsortiumMemberForm,
    ConsultationForm,
    ExchangeForm,
    OutcomeForm,
    ReasonForm,
    ReferralRequestForm,
    SessionPlanForm,
    SessionRecordForm,
)
from medconsortium.models import (
    Consortium,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)

DOCTOR_ROLES = frozenset({Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR})
REQUEST_ROLES = DOCTOR_ROLES | {Role.COUNTY_STAFF}
SUMMARY_ROLES = frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR, Role.HOSPITAL_STAFF})
# The worklist shows closed referrals of the last this many days, so a doctor sees the outcome.
RECENT_DAYS = 30


def _add_errors(error: ValidationError, form) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _monday(day: datetime.date) -> datetime.date:
    return services.week_of(day)


# --- timetable -------------------------------------------------------------------------------


def _timetable_context(sessions, county: Region) -> dict:
    start = _monday(timezone.localdate())
    weeks = selectors.TIMETABLE_WEEKS
    return {
        "county": county,
        "start": start,
        "end": start + datetime.timedelta(days=7 * weeks - 1),
        "hosts": selectors.timetable(sessions, county=county, start=start, weeks=weeks),
    }


class TimetableView(LoginRequiredMixin, TemplateView):
    """专家坐诊时间表: the next four weeks' planned sessions in a county, by host."""

    template_name = "medconsortium/timetable.html"

    def get_county(self) -> Region:
        counties = Region.objects.visible_to(self.request.user).filter(level=RegionLevel.COUNTY)
        code = self.request.GET.get("county")
        if code:
            return get_object_or_404(counties, code=code)
        profile = get_profile(self.request.user)
        if profile is not None and profile.region.level >= RegionLevel.COUNTY:
            return get_object_or_404(Region, code=profile.region.code[:6].ljust(12, "0"))
        county = counties.order_by("code").first()
        if county is None:
            raise Http404
        return county

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        county = self.get_county()
        context.update(_timetable_context(ExpertSession.objects.all(), county))
        context["counties"] = Region.objects.visible_to(self.request.user).filter(
            level=RegionLevel.COUNTY
        )
        context["public_url"] = self.request.build_absolute_uri(
            reverse("public-timetable", args=[county.code])
        )
        return context


class TimetablePrintView(TimetableView):
    """The same timetable on one A4 page, to print and post."""

    template_name = "medconsortium/timetable_print.html"


@method_decorator(cache_control(public=True, max_age=300), name="dispatch")
class PublicTimetableView(TemplateView):
    """The timetable a county links from its website or WeChat account: no login, and
    nothing about patients; the institutions, times, specialties and experts' titles that
    hospitals publish themselves."""

    template_name = "medconsortium/timetable_public.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        county = get_object_or_404(Region, code=self.kwargs["code"], level=RegionLevel.COUNTY)
        # The timetable is public: every planned session of the county, whoever asks.
        context.update(_timetable_context(ExpertSession.objects.all(), county))
        context["public"] = True
        return context


# --- referrals -------------------------------------------------------------------------------


class ReferralListView(FilteredListView):
    """Every referral in the user's scope, filtered like the API."""

    queryset = selectors.referral_list()
    filterset_class = ReferralFilterSet
    template_name = "medconsortium/referral_list.html"

    def filter_form_versions(self):
        return []  # fixed choices only

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = selectors.referral_rows(context["object_list"])
        return context


class HospitalWorklistView(RoleRequiredMixin, ScopedMixin, TemplateView):
    """A hospital's referral worklist: incoming to accept, accepted and awaited, admitted
    (or seen) to discharge or send back down."""

    model = Referral
    allowed_roles = frozenset({Role.HOSPITAL_STAFF})
    template_name = "medconsortium/worklist_hospital.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = get_profile(self.request.user).institution
        if institution is None:
            raise Http404
        context["institution"] = institution
        context["queues"] = selectors.hospital_worklist(self.get_queryset(), institution)
        context["queue_rows"] = selectors.referral_queue_rows(context["queues"])
        return context


class DoctorWorklistView(RoleRequiredMixin, ScopedMixin, TemplateView):
    """A township or village doctor's referrals: those they sent up and their status, and
    the patients sent back down to receive and follow up."""

    model = Referral
    allowed_roles = DOCTOR_ROLES
    template_name = "medconsortium/worklist_doctor.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        since = timezone.localdate() - datetime.timedelta(days=RECENT_DAYS)
        context["queues"] = selectors.doctor_worklist(
            self.get_queryset().select_related(
                "member__household__village", "from_institution", "to_institution"
            ),
            recent_since=since,
        )
        context["queue_rows"] = selectors.referral_queue_rows(context["queues"])
        context["query"] = self.request.GET.get("q", "").strip()
        if context["query"]:
            context["found"] = list(
                Member.objects.visible_to(self.request.user)
                .filter(
                    Q(name__contains=context["query"])
                    | Q(household__number__startswith=context["query"])
                )
                .select_related("household__village")
                .order_by("name", "pk")[:20]
            )
        return context


class ReferralRequestView(RoleRequiredMixin, ScopedMixin, FormView):
    """Refer a member of the doctor's scope up to a hospital."""

    allowed_roles = REQUEST_ROLES
    form_class = ReferralRequestForm
    template_name = "medconsortium/referral_request.html"
    queryset = Member.objects.select_related("household__village")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.member = get_object_or_404(
                self.get_queryset(),
                pk=kwargs["member"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.member
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            referral = services.referral_request(
                member=self.member,
                to_institution=data["to_institution"],
                reason=data["reason"],
                diagnosis=data["diagnosis"],
                reserved=data["reserved"],
                appointment_date=data["appointment_date"],
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Referral sent to %(name)s.") % {"name": referral.to_institution.name}
        )
        return redirect("medconsortium:referral-detail", pk=referral.pk)


class ReferralDetailView(ScopedMixin, DetailView):
    """One referral, its history and the commands the user may give."""

    queryset = selectors.referral_list().select_related("contract__team", "parent", "capacity")
    template_name = "medconsortium/referral_detail.html"
    context_object_name = "referral"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        referral = self.object
        context["returns"] = list(referral.returns.select_related("to_institution"))
        context["commands"] = available_commands(referral, self.request.user)
        context["reason_form"] = ReasonForm()
        context["admit_form"] = AdmitForm()
        context["outcome_form"] = OutcomeForm()
        profile = get_profile(self.request.user)
        context["can_record_consultation"] = self.request.user.is_superuser or (
            profile is not None and profile.role in RECORD_ROLES
        )
        return context


def available_commands(referral: Referral, user) -> set[str]:
    """The commands the page offers: allowed from the status, and by the user's side."""
    commands = set()
    for name, (allowed, _target) in services.TRANSITIONS.items():
        if referral.status not in allowed:
            continue
        if name == "return_down" and referral.direction != Direction.UP:
            continue
        try:
            services._check_side(referral, user, receiving=name != "cancel")
        except PermissionDenied:
            continue
        commands.add(name)
    profile = get_profile(user)
    if profile is not None and profile.role == Role.SUPERVISOR:
        return set()
    return commands


COMMANDS = {
    "accept": (lambda referral, post, by: services.referral_accept(referral=referral, by=by)),
    "reject": (
        lambda referral, post, by: services.referral_reject(
            referral=referral, reason=post.get("reason", ""), by=by
        )
    ),
    "admit": (
        lambda referral, post, by: services.referral_admit(
            referral=referral, inpatient=post.get("inpatient", "1") == "1", by=by
        )
    ),
    "discharge": (
        lambda referral, post, by: services.referral_discharge(
            referral=referral, outcome=post.get("outcome", ""), by=by
        )
    ),
    "return_down": (
        lambda referral, post, by: services.referral_return_down(
            referral=referral, outcome=post.get("outcome", ""), by=by
        )
    ),
    "cancel": (
        lambda referral, post, by: services.referral_cancel(
            referral=referral, reason=post.get("reason", ""), by=by
        )
    ),
}
DONE = {
    "accept": lambda: _("Referral accepted."),
    "reject": lambda: _("Referral rejected."),
    "admit": lambda: _("Patient received."),
    "discharge": lambda: _("Patient discharged."),
    "return_down": lambda: _("Patient sent back down; the primary-care end receives them."),
    "cancel": lambda: _("Referral cancelled."),
}


class ReferralCommandView(ScopedMixin, View):
    """POST a command on a referral; back to where it came from with the outcome."""

    queryset = Referral.objects.all()

    def post(self, request, pk, command):
        if command not in COMMANDS:
            raise Http404
        profile = get_profile(request.user)
        if profile is not None and profile.role == Role.SUPERVISOR:
            raise PermissionDenied
        referral = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            COMMANDS[command](referral, request.POST, request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, DONE[command]())
        target = request.POST.get("next", "")
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect("medconsortium:referral-detail", pk=referral.pk)


# --- consortia and the summary ---------------------------------------------------------------


class ConsortiumListView(ScopedMixin, TemplateView):
    model = Consortium
    template_name = "medconsortium/consortium_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["consortia"] = list(
            selectors.consortium_list()
            .filter(pk__in=self.get_queryset().values("pk"))
            .order_by("name")
        )
        context["can_edit"] = _edits_consortia(self.request.user)
        return context


class ConsortiumDetailView(ScopedMixin, DetailView):
    """A consortium: lead and members with their cooperation items, this year's figures."""

    queryset = selectors.consortium_list()
    template_name = "medconsortium/consortium_detail.html"
    context_object_name = "consortium"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = timezone.localdate().year
        consortium = self.object
        context["year"] = year
        context["figures"] = selectors.consortium_year_figures(consortium, year)
        remote = selectors.remote_counts_for(consortium, year)
        context["remote"] = [(ConsultationKind(kind).label, n) for kind, n in remote.items()]
        labels = dict(CooperationItem.choices)
        context["members"] = [
            (m, [labels.get(item, item) for item in m.items]) for m in consortium.memberships.all()
        ]
        context["can_edit"] = _edits_consortia(self.request.user)
        return context


CONSORTIUM_ROLES = frozenset({Role.COUNTY_STAFF})


def _edits_consortia(user) -> bool:
    """Consortia are the bureau's agreements: county staff (and the operator) record them."""
    profile = get_profile(user)
    if profile is None:
        return user.is_superuser
    return profile.role in CONSORTIUM_ROLES


def _agreement_upload_limit() -> int:
    return services.AGREEMENT_MAX_BYTES + FORM_OVERHEAD


class ConsortiumCreateView(RoleRequiredMixin, FormView):
    """新建医联体: the particulars and the signed agreement; members are added next."""

    allowed_roles = CONSORTIUM_ROLES
    form_class = ConsortiumForm
    template_name = "medconsortium/consortium_form.html"
    extra_context = {"title": _lazy("New consortium")}
    upload_limit_bytes = staticmethod(_agreement_upload_limit)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        try:
            consortium = services.consortium_create(**form.cleaned_data, by=self.request.user)
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("The consortium is recorded. Add its members."))
        return redirect("medconsortium:consortium-edit", pk=consortium.pk)


class ConsortiumEditView(RoleRequiredMixin, ScopedMixin, FormView):
    """Edit a consortium: its particulars and agreement, and its member institutions."""

    model = Consortium
    allowed_roles = CONSORTIUM_ROLES
    form_class = ConsortiumForm
    template_name = "medconsortium/consortium_form.html"
    upload_limit_bytes = staticmethod(_agreement_upload_limit)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.consortium = get_object_or_404(
                self.get_queryset().select_related("lead"), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self):
        c = self.consortium
        return {
            "name": c.name,
            "kind": c.kind,
            "lead": c.lead,
            "status": c.status,
            "signed_on": c.signed_on,
            "note": c.note,
        }

    def get_member_form(self, data=None):
        return ConsortiumMemberForm(data, user=self.request.user, consortium=self.consortium)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        labels = dict(CooperationItem.choices)
        context["consortium"] = self.consortium
        context["title"] = _("Edit the consortium")
        context["members"] = [
            (m, [labels.get(item, item) for item in m.items])
            for m in self.consortium.memberships.select_related("institution").order_by(
                "joined_on", "institution__name"
            )
        ]
        context.setdefault("member_form", self.get_member_form())
        return context

    def form_valid(self, form):
        try:
            services.consortium_update(
                consortium=self.consortium, **form.cleaned_data, by=self.request.user
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("The consortium is saved."))
        return redirect("medconsortium:consortium-detail", pk=self.consortium.pk)


class ConsortiumMemberAddView(ConsortiumEditView):
    """POST a member institution to add to the consortium."""

    http_method_names = ["post"]
    upload_limit_bytes = None

    def post(self, request, *args, **kwargs):
        member_form = self.get_member_form(request.POST)
        if member_form.is_valid():
            try:
                services.consortium_add_member(
                    consortium=self.consortium, **member_form.cleaned_data, by=request.user
                )
            except ValidationError as exc:
                _add_errors(exc, member_form)
            else:
                messages.success(request, _("The member institution is added."))
                return redirect("medconsortium:consortium-edit", pk=self.consortium.pk)
        return self.render_to_response(
            self.get_context_data(form=self.get_form(), member_form=member_form)
        )

    def get_form(self, form_class=None):
        return ConsortiumForm(initial=self.get_initial(), user=self.request.user)


class ConsortiumMemberRemoveView(RoleRequiredMixin, ScopedMixin, View):
    """POST: take a member institution out of the consortium."""

    model = Consortium
    allowed_roles = CONSORTIUM_ROLES

    def dispatch(self, request, *args, **kwargs):
        # Outside the scope is 404 before the role's 403.
        if request.user.is_authenticated:
            self.consortium = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, pk, institution):
        consortium = self.consortium
        member = get_object_or_404(
            consortium.memberships.select_related("institution"), institution_id=institution
        )
        try:
            services.consortium_remove_member(
                consortium=consortium, institution=member.institution, by=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(name)s is no longer a member.") % {"name": member.institution.name},
            )
        return redirect("medconsortium:consortium-edit", pk=consortium.pk)


class ConsortiumAgreementView(ScopedMixin, View):
    """The signed agreement of a consortium in the user's scope, as an attachment."""

    model = Consortium

    def get(self, request, pk):
        consortium = get_object_or_404(self.get_queryset(), pk=pk)
        if not consortium.agreement_file:
            raise Http404
        try:
            handle = consortium.agreement_file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        ext = os.path.splitext(consortium.agreement_file.name)[1].lower()
        stem = _("%(name)s agreement") % {"name": consortium.name}
        return FileResponse(handle, as_attachment=True, filename=f"{stem}{ext}")


# --- recording: expert sessions and reserved capacity ----------------------------------------

RECORD_ROLES = frozenset({Role.HOSPITAL_STAFF, Role.COUNTY_STAFF})


def _own_institutions(user):
    """What the user records for: hospital staff their institution; county staff the
    county's hospitals and township centres."""
    from healthaid.models import Institution

    profile = get_profile(user)
    if profile is None:
        return Institution.objects.exclude(kind="bureau").order_by("region_id", "name")
    if profile.role == Role.HOSPITAL_STAFF:
        return Institution.objects.filter(pk=profile.institution_id)
    return (
        Institution.objects.filter(region__code__startswith=profile.region.prefix)
        .exclude(kind__in=["bureau", "village"])
        .order_by("region_id", "name")
    )


class SessionListView(FilteredListView):
    """Expert sessions in the user's scope: planned and held, with what each did."""

    queryset = ExpertSession.objects.select_related("host", "visiting").order_by(
        "-date", "half_day", "pk"
    )
    filterset_class = ExpertSessionFilterSet
    template_name = "medconsortium/session_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile = get_profile(self.request.user)
        context["can_record"] = self.request.user.is_superuser or (
            profile is not None and profile.role in RECORD_ROLES
        )
        context["today"] = timezone.localdate()
        return context


class SessionPlanView(RoleRequiredMixin, FormView):
    """Put an expert session on the timetable."""

    allowed_roles = RECORD_ROLES
    form_class = SessionPlanForm
    template_name = "medconsortium/record_form.html"
    extra_context = {"title": _lazy("Plan an expert session")}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["hosts"] = _own_institutions(self.request.user)
        kwargs["consortia"] = Consortium.objects.visible_to(self.request.user).order_by("name")
        return kwargs

    def form_valid(self, form):
        try:
            services.expert_session_plan(**form.cleaned_data, by=self.request.user)
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("The session is on the timetable."))
        return redirect("medconsortium:session-list")


class SessionRecordView(RoleRequiredMixin, ScopedMixin, FormView):
    """Record what a held session did."""

    model = ExpertSession
    allowed_roles = RECORD_ROLES
    form_class = SessionRecordForm
    template_name = "medconsortium/record_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.session = get_object_or_404(
                self.get_queryset().select_related("host", "visiting"), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        session = self.session
        initial = {field: getattr(session, field) for field in services.SESSION_FIGURES}
        initial.update(clinic=session.clinic, expert_count=session.expert_count)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        session = self.session
        context["title"] = _("Record the session")
        context["subtitle"] = (
            f"{session.date:%Y-%m-%d} {session.get_half_day_display()} · {session.host.name} · "
            f"{session.visiting.name} · {session.specialty}"
        )
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        clinic, expert_count = data.pop("clinic"), data.pop("expert_count")
        try:
            services.expert_session_record(
                session=self.session,
                figures=data,
                clinic=clinic,
                expert_count=expert_count,
                by=self.request.user,
            )
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("The session's figures are recorded."))
        return redirect("medconsortium:session-list")


class CapacityView(RoleRequiredMixin, ScopedMixin, FormView):
    """A hospital's weekly expert appointments and beds, and the share kept for family-doctor
    referrals: the coming weeks, and a form to set one."""

    model = ReservedCapacity
    allowed_roles = RECORD_ROLES
    form_class = CapacityForm
    template_name = "medconsortium/capacity.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["institutions"] = _own_institutions(self.request.user).exclude(kind__in=["township"])
        return kwargs

    def get_initial(self):
        return {"week_start": _monday(timezone.localdate()) + datetime.timedelta(days=7)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        since = _monday(timezone.localdate()) - datetime.timedelta(days=7)
        context["weeks"] = list(
            self.get_queryset()
            .filter(week_start__gte=since)
            .select_related("institution")
            .order_by("week_start", "institution__name")[:200]
        )
        return context

    def form_valid(self, form):
        try:
            services.reserved_capacity_set(**form.cleaned_data, by=self.request.user)
        except ValidationError as exc:
            _add_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, _("The week's capacity is saved."))
        return redirect("medconsortium:capacity")


class _RecordListView(FilteredListView):
    """A list of the user's scope with a form, for the roles that record, to add one."""

    form_class = None
    service = None
    success_message = ""

    def can_record(self) -> bool:
        profile = get_profile(self.request.user)
        return self.request.user.is_superuser or (
            profile is not None and profile.role in RECORD_ROLES
        )

    def get_form(self, data=None):
        return self.form_class(data, institutions=_own_institutions(self.request.user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_record"] = self.can_record()
        if context["can_record"] and "form" not in kwargs:
            context["form"] = self.get_form()
        return context

    def post(self, request, *args, **kwargs):
        if not self.can_record():
            raise PermissionDenied
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                type(self).service(**form.cleaned_data, by=request.user)
            except ValidationError as exc:
                _add_errors(exc, form)
            else:
                messages.success(request, self.success_message())
                return redirect(request.path)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form))


class ConsultationListView(_RecordListView):
    """Remote consultations, ECG and imaging reads of the user's scope, and a form to add one."""

    queryset = RemoteConsultation.objects.select_related("requesting", "reading").order_by(
        "-date", "-pk"
    )
    filterset_class = RemoteConsultationFilterSet
    template_name = "medconsortium/consultation_list.html"
    form_class = ConsultationForm
    service = services.remote_consultation_record
    success_message = staticmethod(lambda: _("The consultation is recorded."))

    def get_form(self, data=None):
        initial = {}
        chosen = self.chosen_member()
        if data is None and chosen is not None:
            initial["member"] = chosen.pk
        return self.form_class(
            data,
            initial=initial,
            institutions=_own_institutions(self.request.user),
            user=self.request.user,
        )

    def chosen_member(self):
        """The member named by ``?member=ID`` (from a referral's page), if in the scope."""
        if not hasattr(self, "_chosen"):
            raw = self.request.GET.get("member", "")
            self._chosen = (
                Member.objects.visible_to(self.request.user)
                .select_related("household__village")
                .filter(pk=int(raw))
                .first()
                if raw.isdigit()
                else None
            )
        return self._chosen

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["chosen_member"] = self.chosen_member() if context["can_record"] else None
        return context


class ExchangeListView(_RecordListView):
    """Trainee exchanges (进修) from or to the user's scope, a form to add one, and the
    status commands."""

    queryset = TraineeExchange.objects.select_related(
        "from_institution", "to_institution"
    ).order_by("-start", "pk")
    filterset_class = TraineeExchangeFilterSet
    template_name = "medconsortium/exchange_list.html"
    form_class = ExchangeForm
    service = services.trainee_exchange_create
    success_message = staticmethod(lambda: _("The trainee exchange is recorded."))


class ExchangeStatusView(ScopedMixin, View):
    """POST a trainee exchange's next status."""

    model = TraineeExchange

    def post(self, request, pk):
        exchange = get_object_or_404(self.get_queryset(), pk=pk)
        profile = get_profile(request.user)
        if not request.user.is_superuser and (profile is None or profile.role not in RECORD_ROLES):
            raise PermissionDenied
        try:
            services.trainee_exchange_set_status(
                exchange=exchange, status=request.POST.get("status", ""), by=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The trainee exchange is updated."))
        return redirect("medconsortium:exchange-list")
