"""Briefing pages: the list (with the form that starts one and the download history), a
briefing's page (progress while its job runs, files, publish), downloads, schedules and the
narrative templates. Logic lives in ``reports.briefings.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from healthaid.models import Job
from healthaid.scoping import get_profile
from healthaid.views import RoleRequiredMixin, ScopedMixin
from reports.briefing_forms import BriefingForm, ScheduleForm, TemplateForm
from reports.briefings import services
from reports.briefings.sections import (
    DEFAULT_TEXTS,
    SECTION_TITLES,
    allowed_placeholders,
    available_sections,
)
from reports.models import (
    Briefing,
    BriefingAction,
    BriefingEvent,
    BriefingSchedule,
    NarrativeTemplate,
)
from reports.tasks import briefing_task


class GenerateRoleMixin(RoleRequiredMixin):
    allowed_roles = services.GENERATE_ROLES


class EditRoleMixin(RoleRequiredMixin):
    allowed_roles = services.EDIT_ROLES


class BriefingListView(ScopedMixin, GenerateRoleMixin, ListView):
    """The briefings of the scope, newest first, the form that starts one, and the latest
    events of the download history."""

    template_name = "reports/briefing_list.html"
    paginate_by = 20
    context_object_name = "briefings"

    def get_base_queryset(self):
        return Briefing.objects.select_related("publisher", "created_by", "published_by").order_by(
            "-created_at", "-id"
        )

    def form(self, data=None):
        return BriefingForm(
            data,
            publishers=services.publishers_for(self.request.user),
            today=timezone.localdate(),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        context["events"] = list(
            BriefingEvent.objects.visible_to(self.request.user)
            .select_related("briefing__publisher", "user")
            .order_by("-at", "-id")[:20]
        )
        context["can_edit"] = services.can_edit_schedules(self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if not form.is_valid():
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        briefing = services.briefing_create(
            user=request.user,
            publisher=data["publisher"],
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
        )
        services.briefing_start(briefing, user=request.user, action="generate", task=briefing_task)
        return redirect("briefings:detail", uuid=briefing.uuid)


class BriefingMixin(ScopedMixin, GenerateRoleMixin):
    queryset = Briefing.objects.select_related("publisher", "created_by", "published_by")
    slug_field = "uuid"
    slug_url_kwarg = "uuid"
    context_object_name = "briefing"


def latest_job(briefing: Briefing, user) -> Job | None:
    return (
        Job.objects.visible_to(user)
        .filter(kind=services.JOB_KIND, params__briefing=briefing.pk)
        .order_by("-created_at", "-id")
        .first()
    )


class BriefingDetailView(BriefingMixin, DetailView):
    template_name = "reports/briefing_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        briefing = self.object
        context.update(
            job=latest_job(briefing, self.request.user),
            events=list(briefing.events.select_related("user").order_by("-at", "-id")),
            can_publish=services.can_publish(briefing),
            can_regenerate=services.can_regenerate(briefing),
        )
        return context


class BriefingProgressView(BriefingMixin, DetailView):
    """The progress bar, polled by htmx; once the job ends the page reloads with the files."""

    template_name = "reports/_briefing_progress.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["job"] = latest_job(self.object, self.request.user)
        return context

    def render_to_response(self, context, **response_kwargs):
        job = context["job"]
        if job is None or job.finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return super().render_to_response(context, **response_kwargs)


class BriefingActionView(BriefingMixin, View):
    """POST: publish the briefing, or write it again (a job either way)."""

    action = "generate"

    def post(self, request, uuid):
        briefing = get_object_or_404(self.get_queryset(), uuid=uuid)
        try:
            services.briefing_start(
                briefing, user=request.user, action=self.action, task=briefing_task
            )
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect("briefings:detail", uuid=briefing.uuid)


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class BriefingFileView(BriefingMixin, View):
    def get(self, request, uuid, file_format):
        if file_format not in CONTENT_TYPES:
            raise Http404
        briefing = get_object_or_404(self.get_queryset(), uuid=uuid)
        field = briefing.xlsx_file if file_format == "xlsx" else briefing.docx_file
        if not field:
            raise Http404
        services.record_event(briefing, BriefingAction.DOWNLOADED, request.user, file_format)
        response = FileResponse(
            field.open("rb"),
            as_attachment=True,
            filename=f"{services.file_stem(briefing)}.{file_format}",
            content_type=CONTENT_TYPES[file_format],
        )
        response["Cache-Control"] = "no-store"
        return response


# --- schedules ---------------------------------------------------------------------------


class ScheduleListView(ScopedMixin, EditRoleMixin, ListView):
    template_name = "reports/briefing_schedules.html"
    context_object_name = "schedules"

    def get_base_queryset(self):
        return BriefingSchedule.objects.select_related("publisher").order_by(
            "publisher_id", "frequency", "kind"
        )

    def form(self, data=None, instance=None):
        return ScheduleForm(
            data, instance=instance, publishers=services.publishers_for(self.request.user)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        return context

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            services.schedule_save(form.instance)
            messages.success(request, _("The schedule was saved."))
            return redirect("briefings:schedules")
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form))


class ScheduleEditView(ScopedMixin, EditRoleMixin, DetailView):
    template_name = "reports/briefing_schedule_edit.html"
    queryset = BriefingSchedule.objects.select_related("publisher")
    context_object_name = "schedule"

    def form(self, data=None):
        return ScheduleForm(
            data, instance=self.object, publishers=services.publishers_for(self.request.user)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if request.POST.get("delete"):
            services.schedule_delete(self.object)
            messages.success(request, _("The schedule was deleted."))
            return redirect("briefings:schedules")
        form = self.form(request.POST)
        if form.is_valid():
            services.schedule_save(form.instance)
            messages.success(request, _("The schedule was saved."))
            return redirect("briefings:schedules")
        return self.render_to_response(self.get_context_data(form=form))


# --- narrative templates ------------------------------------------------------------------


def own_publisher(user):
    profile = get_profile(user)
    if profile is None:
        raise PermissionDenied(_("Only staff of a county or prefecture edit the wording."))
    return profile.region


class TemplateListView(LoginRequiredMixin, EditRoleMixin, TemplateView):
    """Each section's paragraph as the publisher words it, with its placeholders."""

    template_name = "reports/briefing_templates.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        publisher = own_publisher(self.request.user)
        own = dict(
            NarrativeTemplate.objects.filter(publisher=publisher).values_list("section", "text")
        )
        context.update(
            publisher=publisher,
            sections=[
                {
                    "key": key,
                    "title": SECTION_TITLES[key],
                    "text": own.get(key, DEFAULT_TEXTS[key]),
                    "custom": key in own,
                    "placeholders": sorted(allowed_placeholders(key)),
                    "form": kwargs.get("forms", {}).get(key)
                    or TemplateForm(initial={"text": own.get(key, DEFAULT_TEXTS[key])}),
                }
                for key in available_sections()
            ],
        )
        return context

    def post(self, request, *args, **kwargs):
        publisher = own_publisher(request.user)
        section = request.POST.get("section", "")
        if section not in available_sections():
            raise Http404
        if request.POST.get("reset"):
            services.template_reset(publisher=publisher, section=section)
            messages.success(request, _("The default wording is used again."))
            return redirect(reverse("briefings:templates") + f"#section-{section}")
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                services.template_save(
                    publisher=publisher,
                    section=section,
                    text=form.cleaned_data["text"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error("text", exc)
            else:
                messages.success(request, _("The wording was saved."))
                return redirect(reverse("briefings:templates") + f"#section-{section}")
        return self.render_to_response(self.get_context_data(forms={section: form}))
