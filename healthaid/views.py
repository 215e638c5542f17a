"""Base page classes (scope applied once, here) and the core's pages."""

from __future__ import annotations

import logging

from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.db import connection
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, TemplateView

from healthaid import selectors
from healthaid.audit_display import present
from healthaid.choices import Role
from healthaid.filtersets import AuditLogFilterSet, InstitutionFilterSet
from healthaid.models import AuditLog, Institution
from healthaid.paging import CountedPaginator, filter_key, names_a_filter
from healthaid.scoping import get_profile
from healthaid.versions import cached_for_scope

logger = logging.getLogger(__name__)


class ScopedMixin(LoginRequiredMixin):
    """Pages over a scoped model: the queryset is ``visible_to(user)``, so outside is 404."""

    model = None
    queryset = None

    def get_base_queryset(self):
        if self.queryset is not None:
            return self.queryset.all()
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.get_base_queryset().visible_to(self.request.user)


class RoleRequiredMixin(UserPassesTestMixin):
    """Restricts a page to some roles; others get 403 (a page they have no use for)."""

    allowed_roles: frozenset[str] = frozenset()

    def test_func(self) -> bool:
        user = self.request.user
        profile = get_profile(user)
        if profile is None:
            return user.is_superuser
        return profile.role in self.allowed_roles


FILTER_FIELDS_CACHE_SECONDS = 600


class FilteredListView(ScopedMixin, ListView):
    """A scoped list with a FilterSet shared with the API, paginated with counts.

    A list whose count is costly and whose data has a cache version may override
    :meth:`cached_count`; by default every page counts its rows.
    """

    filterset_class = None
    # The filter form's fields as the list prints them (``filter_fields`` caches them).
    filter_fields_template = "includes/filter_fields.html"
    paginate_by = 50
    page_size_choices = (20, 50, 100, 200)

    def get_paginate_by(self, queryset):
        try:
            size = int(self.request.GET.get("page_size", self.paginate_by))
        except ValueError:
            return self.paginate_by
        return size if size in self.page_size_choices else self.paginate_by

    def get_queryset(self):
        self.scoped_queryset = queryset = super().get_queryset()
        if not names_a_filter(self.request.GET):
            # Nothing to filter by: the filterset (its filters and form deep-copied, half a
            # millisecond of a registry list) is built only if the page renders its form.
            return queryset
        if not self.filterset.is_valid():
            return queryset.none()
        return self.filterset.qs

    @cached_property
    def filterset(self):
        return self.filterset_class(
            self.request.GET or None, queryset=self.scoped_queryset, request=self.request
        )

    paginator_class = CountedPaginator

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        return super().get_paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            count=self.cached_count(queryset),
            **kwargs,
        )

    def cached_count(self, queryset):
        """``None`` (count every time), or a function that returns the filtered list's count,
        from a cache keyed by :meth:`filter_key` and the data's versions."""
        return None

    def filter_key(self) -> str:
        """The filters asked for, the same whatever their order or the page asked for."""
        return filter_key(self.request.GET)

    def filter_form_versions(self) -> list | None:
        """The versions of the data the filter form's choices come from (the scope's
        villages, say), when its rendered fields may be cached under them; ``None`` renders
        them on every request."""
        return None

    def filter_fields(self) -> str | None:
        """The empty filter form's fields as HTML, from the cache when the view names the
        versions of its choices: per view, language and scope. A county's filter form is
        some 250 options and a dozen widgets, 3–4 ms of a 14 ms list page, and most views of
        a list (its pages) ask for no filter. A form with filters is rendered each time: what
        was typed (a whole ID number, say) is not kept in the cache."""
        versions = self.filter_form_versions()
        if versions is None or names_a_filter(self.request.GET):
            return None
        return mark_safe(
            cached_for_scope(
                "lists:filter-fields",
                type(self).__module__,
                self.request.user,
                None,
                [type(self).__qualname__, get_language()],
                versions,
                self._render_filter_fields,
                FILTER_FIELDS_CACHE_SECONDS,
            )
        )

    def _render_filter_fields(self) -> str:
        return render_to_string(
            self.filter_fields_template, {"filter": self.filterset}, request=self.request
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = SimpleLazyObject(lambda: self.filterset)
        context["filter_fields"] = self.filter_fields()
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        return context


class HomeView(LoginRequiredMixin, TemplateView):
    """Each role's dashboard: what they need first when they log in."""

    templates = {
        Role.COUNTY_STAFF: "dashboards/county_staff.html",
        Role.TOWNSHIP_DOCTOR: "dashboards/doctor.html",
        Role.VILLAGE_DOCTOR: "dashboards/doctor.html",
        Role.HOSPITAL_STAFF: "dashboards/hospital_staff.html",
        Role.SUPERVISOR: "dashboards/supervisor.html",
    }

    def get_template_names(self) -> list[str]:
        profile = get_profile(self.request.user)
        if profile is None:
            return ["dashboards/operator.html"]
        return [self.templates[profile.role]]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.dashboard_context(self.request.user))
        return context


class AuditLogListView(RoleRequiredMixin, FilteredListView):
    model = AuditLog
    filterset_class = AuditLogFilterSet
    template_name = "healthaid/audit_list.html"
    allowed_roles = frozenset({Role.COUNTY_STAFF})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Names and labels for the page's rows, resolved in bulk (healthaid.audit_display).
        context["rows"] = present(context["object_list"])
        return context


class InstitutionListView(FilteredListView):
    queryset = Institution.objects.select_related("region")
    filterset_class = InstitutionFilterSet
    template_name = "healthaid/institution_list.html"


@never_cache
def healthz(request):
    """Database and broker reachability, for load balancers and operators."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, don't crash: this endpoint exists to say what is down
        logger.warning("healthz: database unreachable: %s", exc)
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        from healthaid.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        checks["broker"] = "ok"
    except Exception as exc:
        logger.warning("healthz: broker unreachable: %s", exc)
        checks["broker"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", **checks}
    if checks["database"] == "ok":
        body["last_heartbeat"] = selectors.last_heartbeat()
    return JsonResponse(body, status=200 if healthy else 503)
