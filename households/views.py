"""Pages of the registry: thin views over the selectors, filtersets and services.

Scope is applied once, by ``ScopedMixin``: a household or member outside the user's scope
is not found (404) for every role, before any role check. Writes are for county bureau
staff (``REGISTRY_WRITE_ROLES``); other roles get 403 on those pages.

Hospital staff see the households of their county (their scope region), read only: they
look patients up for referrals and settlements. This is a design decision; the navigation
does not list these pages for them, but the pages answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, TemplateView

from healthaid.errors import protected_message
from healthaid.scoping import can_reveal_id, can_write_registry
from healthaid.views import FilteredListView, ScopedMixin
from households import exports, selectors, services
from households.filtersets import HouseholdFilterSet, MemberFilterSet
from households.forms import ContactsForm, HouseholdForm, MemberForm
from households.models import Household, Member
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
        return selectors.household_list_queryset()


class MemberListView(UserContextMixin, FilteredListView):
    filterset_class = MemberFilterSet
    template_name = "households/member_list.html"

    def get_base_queryset(self):
        return selectors.member_list_queryset()


class ExportView(ScopedMixin, View):
    """The filtered list as xlsx. GET exports masked numbers; POST may ask for full ones."""

    filterset_class = None
    kind = ""

    def get_base_queryset(self):
        return self.model._default_manager.all()

    def export(self, request, full_ids: bool):
        queryset = self.get_queryset()
        filterset = self.filterset_class(request.GET or None, queryset=queryset, request=request)
        if filterset.is_bound and not filterset.is_valid():
            queryset = queryset.none()
        else:
            queryset = filterset.qs
        if full_ids and not can_reveal_id(request.user):
            raise PermissionDenied(_("Your role may not see full ID numbers."))
        export = exports.export_households if self.kind == "household" else exports.export_members
        handle, _count = export(queryset, by=request.user, full_ids=full_ids)
        stem = _("households") if self.kind == "household" else _("members")
        return exports.xlsx_response(handle, stem)

    def get(self, request, *args, **kwargs):
        return self.export(request, full_ids=False)

    def post(self, request, *args, **kwargs):
        return self.export(request, full_ids=bool(request.POST.get("full_ids")))


class HouseholdExportView(ExportView):
    model = Household
    filterset_class = HouseholdFilterSet
    kind = "household"


class MemberExportView(ExportView):
    model = Member
    filterset_class = MemberFilterSet
    kind = "member"


# --- details ---------------------------------------------------------------------------------


class HouseholdDetailView(UserContextMixin, ScopedMixin, DetailView):
    template_name = "households/household_detail.html"
    context_object_name = "household"

    def get_base_queryset(self):
        return selectors.household_detail_queryset()

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
        member = get_object_or_404(self.get_queryset(), pk=pk)
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
