"""Pages of the rectification tracker: the list (filters; cards on a phone), the county's
overdue list, an item with its evidence and history, create and edit, progress, closing (销号),
evidence upload and download, and the 问题清单 import with its job page."""

from __future__ import annotations

import os

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView

from healthaid.choices import Role
from healthaid.importing.uploads import FORM_OVERHEAD
from healthaid.importing.views import UploadLimitMixin
from healthaid.jobs import job_enqueue
from healthaid.models import Job, Region
from healthaid.scoping import get_profile
from healthaid.views import FilteredListView, RoleRequiredMixin, ScopedMixin
from rectification import selectors, services
from rectification.choices import ItemStatus
from rectification.filtersets import RectificationItemFilterSet
from rectification.forms import CloseForm, EvidenceForm, ImportForm, ItemForm, ProgressForm
from rectification.importing import COLUMNS
from rectification.models import Evidence, RectificationItem
from rectification.tasks import RECTIFICATION_IMPORT_KIND, rectification_import_task

COUNTY = frozenset({Role.COUNTY_STAFF})
READERS = frozenset(Role.values) - {Role.HOSPITAL_STAFF}


class _ItemRowsMixin:
    """The list's rows as plain values (``selectors.item_rows``), and its filter form cached:
    its choices are the fixed sources and statuses."""

    queryset = RectificationItem.objects.all()
    filterset_class = RectificationItemFilterSet
    template_name = "rectification/item_list.html"

    def filter_form_versions(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = selectors.item_rows(context["object_list"])
        return context


class ItemListView(RoleRequiredMixin, _ItemRowsMixin, FilteredListView):
    """Every item of the scope, those not closed first."""

    allowed_roles = READERS

    def get_queryset(self):
        return selectors.items_open_first(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = services.can_edit(self.request.user)
        return context


class OverdueListView(RoleRequiredMixin, _ItemRowsMixin, FilteredListView):
    """The county's overdue items, the longest overdue first."""

    allowed_roles = COUNTY

    def get_queryset(self):
        return selectors.overdue_items(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["overdue_page"] = True
        return context


class ItemDetailView(RoleRequiredMixin, ScopedMixin, DetailView):
    queryset = RectificationItem.objects.select_related("region", "closed_by")
    template_name = "rectification/item_detail.html"
    context_object_name = "item"
    allowed_roles = READERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        user = self.request.user
        context["evidence"] = list(item.evidence.all())
        context["history"] = selectors.item_history(item)
        open_ = item.status != ItemStatus.CLOSED
        context["progress_form"] = (
            ProgressForm() if open_ and services.can_report_progress(user) else None
        )
        context["evidence_form"] = (
            EvidenceForm() if open_ and services.can_report_progress(user) else None
        )
        context["close_form"] = (
            CloseForm()
            if item.status == ItemStatus.AWAITING_CHECK and services.can_close(user)
            else None
        )
        context["can_edit"] = open_ and services.can_edit(user)
        return context


def _apply(request, item, call, success: str):
    try:
        call()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("rectification:detail", pk=item.pk)


class ItemActionView(RoleRequiredMixin, ScopedMixin, View):
    """POST only: report progress, close (销号) or attach evidence; errors come back as messages."""

    queryset = RectificationItem.objects.all()
    allowed_roles = frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR})
    upload_limit_bytes = services.EVIDENCE_MAX_BYTES + FORM_OVERHEAD

    def post(self, request, pk, what):
        item = get_object_or_404(self.get_queryset(), pk=pk)
        user = request.user
        if what == "progress":
            form = ProgressForm(request.POST)
            if not form.is_valid():
                return _apply(request, item, lambda: _raise(form), "")
            return _apply(
                request,
                item,
                lambda: services.item_set_status(
                    item=item,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                    by=user,
                ),
                _("Status changed."),
            )
        if what == "close":
            form = CloseForm(request.POST)
            if not form.is_valid():
                return _apply(request, item, lambda: _raise(form), "")
            return _apply(
                request,
                item,
                lambda: services.item_close(
                    item=item,
                    closed_on=form.cleaned_data["closed_on"],
                    note=form.cleaned_data["note"],
                    by=user,
                ),
                _("Closed."),
            )
        if what == "evidence":
            form = EvidenceForm(request.POST, request.FILES)
            if not form.is_valid():
                return _apply(request, item, lambda: _raise(form), "")
            return _apply(
                request,
                item,
                lambda: services.evidence_add(
                    item=item,
                    upload=form.cleaned_data["file"],
                    note=form.cleaned_data["note"],
                    by=user,
                ),
                _("Evidence attached."),
            )
        raise Http404


def _raise(form):
    raise ValidationError([e for errors in form.errors.values() for e in errors])


class EvidenceDownloadView(ScopedMixin, View):
    """An evidence file of an item in the user's scope, as an attachment."""

    queryset = Evidence.objects.all()

    def get(self, request, pk):
        evidence = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, as_attachment=True, filename=evidence.name)


class _ItemFormMixin(RoleRequiredMixin, ScopedMixin):
    allowed_roles = COUNTY
    queryset = RectificationItem.objects.all()
    form_class = ItemForm
    template_name = "rectification/item_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["regions"] = Region.objects.visible_to(self.request.user)
        return kwargs

    def _save(self, form, call):
        try:
            item = call(**form.cleaned_data, by=self.request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("rectification:detail", pk=item.pk)


class ItemCreateView(_ItemFormMixin, FormView):
    def get_initial(self):
        profile = get_profile(self.request.user)
        return {"region": profile.region if profile else None}

    def form_valid(self, form):
        return self._save(form, services.item_create)


class ItemUpdateView(_ItemFormMixin, FormView):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.item = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {name: getattr(self.item, name) for name in services.EDITABLE_FIELDS}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["item"] = self.item
        return context

    def form_valid(self, form):
        return self._save(form, lambda **values: services.item_update(item=self.item, **values))


# --- the 问题清单 import ---------------------------------------------------------------------


class _ImportAccess(RoleRequiredMixin, ScopedMixin):
    allowed_roles = COUNTY
    queryset = Job.objects.filter(kind=RECTIFICATION_IMPORT_KIND)


class ImportView(_ImportAccess, UploadLimitMixin, FormView):
    template_name = "rectification/import.html"
    form_class = ImportForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["headers"] = [spec.label for spec in COLUMNS]
        context["jobs"] = list(self.get_queryset().order_by("-created_at")[:10])
        return context

    def form_valid(self, form):
        user = self.request.user
        profile = get_profile(user)
        upload = form.cleaned_data["file"]
        name = os.path.basename(upload.name)[:255]
        job = Job(
            kind=RECTIFICATION_IMPORT_KIND,
            created_by=user,
            region_code=profile.region.code if profile else "",
            input_name=name,
            params={
                "dry_run": form.cleaned_data["dry_run"],
                "skip_invalid": form.cleaned_data["skip_invalid"],
                "language": get_language(),
            },
        )
        with transaction.atomic():
            job.input_file.save(name, upload, save=False)
            job.save()
            job_enqueue(job, rectification_import_task)
        return redirect("rectification:import-job", uuid=job.uuid)
