"""Pages of the registry: thin views over the selectors, filtersets and services.

Scope is applied once, by ``ScopedMixin``: a household or member outside the user's scope
is not found (404) for every role, before any role check. Writes are for county bureau
staff (``REGISTRY_WRITE_ROLES``); other roles get 403 on those pages.

Hospital staff see only the members their institution's records involve (referrals,
encounters, settlements: ``households.involvement``) and those members' households, read
only; a new patient they find with the exact look-up by full ID number (``MemberLookupView``,
audited and throttled).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, TemplateView

from healthaid.audit import current_ip
from healthaid.choices import JobStatus
from healthaid.errors import protected_message
from healthaid.jobs import FILES_PURGED, job_enqueue
from healthaid.models import Job
from healthaid.scoping import can_reveal_id, can_write_registry, get_profile, user_role
from healthaid.versions import regions_version
from healthaid.views import FilteredListView, ScopedMixin
from households import exports, selectors, services
from households.filtersets import HouseholdFilterSet, MemberFilterSet
from households.forms import ContactsForm, HouseholdForm, MemberForm, MemberLookupForm
from households.models import Household, Member
from households.tasks import export_task
from households.throttles import IdLookupThrottle, RevealThrottle
from households.timeline import events_for


def _add_errors(error: ValidationError, form, **other_forms) -> None:
    """Attach a service's errors to the form's fields (unknown fields go to the top).

    ``other_forms`` maps an error key to another form shown on the page (``contacts=...``).
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        if field in other_forms:
            other_forms[field].add_error(None, messages_)
        else:
            form.add_error(field if field in form.fields else None, messages_)


class RegistryWriteMixin:
    """County staff only; the record is looked up in scope first, so outside is 404, not 403."""

    def get_write_object(self):
        return None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)  # LoginRequiredMixin redirects
        self.object = self.get_write_object()
        if not can_write_registry(request.user):
            raise PermissionDenied(_("Only county bureau staff may change the registry."))
        return super().dispatch(request, *args, **kwargs)


class UserContextMixin:
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_write"] = can_write_registry(user)
        context["can_reveal"] = can_reveal_id(user)
        return context


# --- lists -----------------------------------------------------------------------------------


class HouseholdListView(UserContextMixin, FilteredListView):
    filterset_class = HouseholdFilterSet
    template_name = "households/household_list.html"

    def get_base_queryset(self):
        return selectors.household_list_queryset(self.request.user)

    def cached_count(self, queryset):
        return lambda: selectors.registry_list_count(
            "households", self.request.user, self.filter_key(), queryset.count
        )

    def filter_form_versions(self):
        return [selectors.registry_version(), regions_version()]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = selectors.household_rows(context["object_list"])
        return context


class MemberListView(UserContextMixin, FilteredListView):
    filterset_class = MemberFilterSet
    template_name = "households/member_list.html"

    def get_base_queryset(self):
        return selectors.member_list_queryset()

    def cached_count(self, queryset):
        return lambda: selectors.registry_list_count(
            "members", self.request.user, self.filter_key(), queryset.count
        )

    def filter_form_versions(self):
        return [selectors.registry_version(), regions_version()]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = selectors.member_rows(context["object_list"])
        return context


class ExportView(ScopedMixin, View):
    """Start an xlsx export of the filtered list as a job; its page shows progress, then the
    file. Masked numbers unless ``full_ids`` is asked for by a role that may reveal them."""

    http_method_names = ["post"]
    kind = ""

    def post(self, request, *args, **kwargs):
        full_ids = bool(request.POST.get("full_ids"))
        if full_ids and not can_reveal_id(request.user):
            raise PermissionDenied(_("Your role may not see full ID numbers."))
        profile = get_profile(request.user)
        job = Job(
            kind=exports.EXPORT_KINDS[self.kind],
            created_by=request.user,
            region_code=profile.region.code if profile else "",
            params={
                "query": request.GET.urlencode(),
                "full_ids": full_ids,
                "language": get_language(),
                # The export's audit row, written by the worker, names the asking address.
                "ip": current_ip(),
            },
        )
        with transaction.atomic():
            job.save()
            job_enqueue(job, export_task)
        return redirect("households:export-job", uuid=job.uuid)


class HouseholdExportView(ExportView):
    kind = "household"


class MemberExportView(ExportView):
    kind = "member"


class ExportJobMixin(ScopedMixin):
    """The user's own export jobs (``Job.objects.visible_to``); anyone else's are 404."""

    queryset = Job.objects.filter(kind__in=list(exports.EXPORT_KINDS.values()))
    slug_field = "uuid"
    slug_url_kwarg = "uuid"
    context_object_name = "job"


class ExportJobView(ExportJobMixin, DetailView):
    """Progress while the export runs, then the download."""

    template_name = "households/export_job.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kind = exports.export_kind(self.object)
        context.update(
            kind=kind,
            list_url=reverse(f"households:{kind}-list")
            + (f"?{self.object.params['query']}" if self.object.params.get("query") else ""),
            files_purged=bool(self.object.params.get(FILES_PURGED)),
            retention_days=settings.JOB_FILES_RETENTION_DAYS,
        )
        return context


class ExportProgressView(ExportJobMixin, DetailView):
    """The progress bar, polled by htmx; once the job ends the page reloads with the file."""

    template_name = "households/_export_progress.html"

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
        response = FileResponse(
            job.result_file.open("rb"),
            as_attachment=True,
            filename=exports.export_file_name(exports.export_kind(job), job.created_at),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Cache-Control"] = "no-store"
        return response


# --- details ---------------------------------------------------------------------------------


class HouseholdDetailView(UserContextMixin, ScopedMixin, DetailView):
    template_name = "households/household_detail.html"
    context_object_name = "household"

    def get_base_queryset(self):
        return selectors.household_detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = selectors.household_page(self.object, self.request.user)
        context.update(
            members=page.members,
            contacts=page.contacts,
            history=page.history,
            timeline=events_for(self.object, self.request.user),
        )
        return context


class MemberDetailView(UserContextMixin, ScopedMixin, DetailView):
    template_name = "households/member_detail.html"
    context_object_name = "member"

    def get_base_queryset(self):
        return selectors.member_page_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = selectors.member_history(self.object, self.request.user)
        return context


@method_decorator(never_cache, name="dispatch")
class MemberRevealView(ScopedMixin, View):
    """POST: the full ID number in place of the masked one (htmx swaps this fragment in)."""

    model = Member

    def post(self, request, pk: int):
        if not RevealThrottle().allow_request(request, self):
            return HttpResponse(
                _("Too many full numbers shown in a short time. Wait a while and try again."),
                status=429,
            )
        try:
            member = get_object_or_404(self.get_queryset(), pk=pk)
        except Http404:
            services.member_reveal_refused_out_of_scope(member_pk=pk, by=request.user)
            raise
        number = services.member_reveal_id_number(member=member, by=request.user)
        return render(
            request, "households/_id_number.html", {"member": member, "id_number": number}
        )

    def get(self, request, pk: int):
        return HttpResponseNotAllowed(["POST"])


# --- writes ----------------------------------------------------------------------------------


class HouseholdFormView(RegistryWriteMixin, UserContextMixin, ScopedMixin, TemplateView):
    """Create (no pk) or edit a household and its 亲情号码 contacts."""

    model = Household
    template_name = "households/household_form.html"

    def get_write_object(self):
        if "pk" in self.kwargs:
            return get_object_or_404(
                self.get_queryset().prefetch_related("contacts"), pk=self.kwargs["pk"]
            )
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def forms(self, data=None):
        household = self.object
        return (
            HouseholdForm(data, user=self.request.user, instance=household),
            ContactsForm(data, household=household),
        )

    def get(self, request, *args, **kwargs):
        form, contacts = self.forms()
        return self.render_to_response(self.get_context_data(form=form, contacts_form=contacts))

    def post(self, request, *args, **kwargs):
        form, contacts = self.forms(request.POST)
        if form.is_valid() and contacts.is_valid():
            try:
                with transaction.atomic():
                    household = self.save(form, contacts)
            except ValidationError as exc:
                _add_errors(exc, form, contacts=contacts)
            else:
                messages.success(request, _("Household %(number)s saved.") % {"number": household})
                return redirect("households:household-detail", pk=household.pk)
        return self.render_to_response(self.get_context_data(form=form, contacts_form=contacts))

    def save(self, form, contacts) -> Household:
        user = self.request.user
        if self.object is None:
            household = services.household_create(**form.cleaned_data, by=user)
        else:
            household = services.household_update(
                household=self.object, **form.cleaned_data, by=user
            )
        services.household_set_contacts(household=household, contacts=contacts.contacts(), by=user)
        return household


class HouseholdDeleteView(RegistryWriteMixin, ScopedMixin, TemplateView):
    model = Household
    template_name = "households/household_confirm_delete.html"

    def get_write_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["household"] = self.object
        return context

    def post(self, request, *args, **kwargs):
        household = self.object
        try:
            services.household_delete(household=household, by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("households:household-detail", pk=household.pk)
        except (ProtectedError, RestrictedError) as exc:
            messages.error(request, protected_message(exc))
            return redirect("households:household-detail", pk=household.pk)
        messages.success(request, _("Household %(number)s deleted.") % {"number": household})
        return redirect("households:household-list")


class MemberFormView(RegistryWriteMixin, UserContextMixin, ScopedMixin, TemplateView):
    """Add a member to a household (``household_pk``) or edit one (``pk``)."""

    template_name = "households/member_form.html"

    def get_write_object(self):
        if "pk" in self.kwargs:
            self.model = Member
            member = get_object_or_404(
                self.get_queryset().select_related("household", "household__village"),
                pk=self.kwargs["pk"],
            )
            self.household = member.household
            return member
        self.model = Household
        self.household = get_object_or_404(self.get_queryset(), pk=self.kwargs["household_pk"])
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(member=self.object, household=self.household)
        return context

    def get(self, request, *args, **kwargs):
        form = MemberForm(instance=self.object)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = MemberForm(request.POST, instance=self.object)
        if form.is_valid():
            try:
                with transaction.atomic():
                    member = self.save(form)
            except ValidationError as exc:
                _add_errors(exc, form)
            else:
                messages.success(request, _("%(name)s saved.") % {"name": member.name})
                return redirect("households:member-detail", pk=member.pk)
        return self.render_to_response(self.get_context_data(form=form))

    def save(self, form) -> Member:
        user = self.request.user
        data = form.cleaned_data
        values = form.member_values()
        if self.object is None:
            member = services.member_create(
                household=self.household,
                id_number=data["id_number"],
                sex=data["sex"] or None,
                diseases=data["diseases"],
                by=user,
                **values,
            )
        else:
            member = services.member_update(
                member=self.object,
                id_number=data["id_number"] or None,
                sex=data["sex"] or None,
                diseases=data["diseases"],
                by=user,
                **values,
            )
        if data.get("card_number"):
            services.special_card_add(
                member=member,
                number=data["card_number"],
                disease=data.get("card_disease") or None,
                issued_on=data.get("card_issued_on"),
                by=user,
            )
        return member


class MemberDeleteView(RegistryWriteMixin, ScopedMixin, TemplateView):
    model = Member
    template_name = "households/member_confirm_delete.html"

    def get_write_object(self):
        return get_object_or_404(
            self.get_queryset().select_related("household"), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.object
        return context

    def post(self, request, *args, **kwargs):
        member = self.object
        household_pk = member.household_id
        try:
            services.member_delete(member=member, by=request.user)
        except (ProtectedError, RestrictedError) as exc:
            # Contracts and follow-ups keep their person: the delete is refused, nothing lost.
            messages.error(request, protected_message(exc))
            return redirect("households:member-detail", pk=member.pk)
        messages.success(request, _("%(name)s deleted.") % {"name": member.name})
        return redirect(reverse("households:household-detail", kwargs={"pk": household_pk}))


# --- hospital staff's exact look-up ----------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class MemberLookupView(LoginRequiredMixin, TemplateView):
    """Hospital staff find a person by full ID number to register them as a patient.

    POST only carries the number (never in a URL); the answer is shown on this page, once,
    audited and throttled (``IdLookupThrottle``, shared with the API).
    """

    template_name = "households/member_lookup.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and user_role(request.user) not in services.LOOKUP_ROLES:
            raise PermissionDenied(_("Only hospital staff look people up by ID number."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=MemberLookupForm()))

    def post(self, request, *args, **kwargs):
        form = MemberLookupForm(request.POST)
        context = {"form": form, "searched": False}
        throttle = IdLookupThrottle()
        if not throttle.allow_request(request, self):
            context["throttled"] = True
            return self.render_to_response(self.get_context_data(**context), status=429)
        if form.is_valid():
            try:
                member = services.member_lookup_by_id_number(
                    id_number=form.cleaned_data["id_number"], by=request.user
                )
            except ValidationError as exc:
                _add_errors(exc, form)
            else:
                context.update(searched=True, member=member)
                # The number typed is not sent back into the form.
                context["form"] = MemberLookupForm()
        return self.render_to_response(self.get_context_data(**context))
