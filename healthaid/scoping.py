"""The one scoping mechanism: ``Model.objects.visible_to(user)``.

Every scoped model's default manager is built from ``ScopedQuerySet``; it names the
field that holds a region code (``scope_field``) and the user's scope is the prefix
of their region's code. Views and viewsets call ``visible_to`` once, in their base
classes (``healthaid.views.ScopedMixin`` and ``healthaid.api.views.ScopedViewSet``),
so a record outside the scope is simply not found: 404, never 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db import models

from healthaid.choices import Role

if TYPE_CHECKING:
    from healthaid.models import UserProfile

LEVEL_LENGTHS = (2, 4, 6, 9, 12)

# Roles allowed to see a resident's full ID number (each reveal is audited).
REVEAL_ROLES = frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR})
# Roles that manage the registry and run imports.
REGISTRY_WRITE_ROLES = frozenset({Role.COUNTY_STAFF})
# Roles that record family-doctor work (contracts, follow-ups, screenings).
SERVICE_WRITE_ROLES = frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR})
# Roles that only read.
READ_ONLY_ROLES = frozenset({Role.SUPERVISOR})


def ancestor_codes(code: str) -> list[str]:
    """The 12-digit codes of every region above ``code`` (province first)."""
    significant = code.rstrip("0")
    return [
        code[:n].ljust(12, "0")
        for n in LEVEL_LENGTHS
        if n < 12 and n < len(significant) and code[:n].ljust(12, "0") != code
    ]


def get_profile(user) -> UserProfile | None:
    """The user's profile with its region and institution, loaded once per user object."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_healthaid_profile", False)
    if cached is not False:
        return cached
    # Through the app registry: healthaid.models imports this module (no import cycle).
    profile = (
        apps.get_model("healthaid", "UserProfile")
        .objects.select_related("region", "institution")
        .filter(user_id=user.pk)
        .first()
    )
    user._healthaid_profile = profile
    return profile


def user_role(user) -> str | None:
    profile = get_profile(user)
    return profile.role if profile else None


def can_reveal_id(user) -> bool:
    return user_role(user) in REVEAL_ROLES


def can_write_registry(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser) or (
        user_role(user) in REGISTRY_WRITE_ROLES
    )


def can_write_services(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser) or (
        user_role(user) in SERVICE_WRITE_ROLES
    )


def scope_prefix(user) -> str | None:
    """The region-code prefix of the user's scope; ``""`` for an unrestricted superuser."""
    profile = get_profile(user)
    if profile is not None:
        return profile.region.prefix
    if user is not None and user.is_authenticated and user.is_superuser:
        return ""
    return None


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows which field holds its records' region code."""

    scope_field: str = ""

    @staticmethod
    def _profile(user) -> UserProfile | None:
        return get_profile(user)

    @staticmethod
    def _is_unrestricted(user) -> bool:
        # A superuser without a profile is the operator's own account (created with
        # createsuperuser); with a profile, even a superuser is held to its scope.
        return bool(user is not None and user.is_authenticated and user.is_superuser)

    def visible_to_institution(self, institution):
        """What hospital staff of ``institution`` see: by default nothing.

        Hospital staff see only the records that involve their institution (DESIGN.md), not
        their region's: a model whose records can involve an institution overrides this (the
        registry's members through ``households.involvement``, the consortium's referrals and
        encounters through their institution fields). ``institution`` may be ``None``.
        """
        return self.none()

    def _institution_rule(self, user):
        """For hospital staff, their institution's records; ``None`` for every other role."""
        profile = get_profile(user)
        if profile is not None and profile.role == Role.HOSPITAL_STAFF:
            return self.visible_to_institution(profile.institution)
        return None

    def visible_to(self, user):
        """Records whose region lies within the user's scope (hospital staff: see above)."""
        if not self.scope_field:
            raise NotImplementedError(f"{type(self).__name__} must set scope_field")
        by_institution = self._institution_rule(user)
        if by_institution is not None:
            return by_institution
        prefix = scope_prefix(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.all()
        return self.filter(**{f"{self.scope_field}__startswith": prefix})


# Roles that record a hospital's consortium work (expert sessions, consultations, referrals,
# reserved capacity): hospital staff for their own institution, county staff for the county.
HOSPITAL_WRITE_ROLES = frozenset({Role.COUNTY_STAFF, Role.HOSPITAL_STAFF})


def can_write_hospital(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser) or (
        user_role(user) in HOSPITAL_WRITE_ROLES
    )


def scope_prefix_within(user, region=None) -> str | None:
    """The user's scope narrowed to ``region``: the prefix of the records both cover.

    ``region`` inside the scope narrows it to the region; ``region`` above the scope (a
    county's staff asking for their prefecture) leaves the scope; a region outside it, or a
    user who sees nothing, gives ``None``. Figures computed by hand-written SQL filter on
    this prefix with ``prefix_sql``, the same condition ``visible_to`` puts in the ORM.
    """
    prefix = scope_prefix(user)
    if prefix is None or region is None:
        return prefix
    if region.prefix.startswith(prefix):
        return region.prefix
    if prefix.startswith(region.prefix):
        return prefix
    return None


def prefix_bounds(prefix: str) -> tuple[str, str] | None:
    """The first and last 12-digit code under ``prefix`` (``None`` for all).

    Codes are 12 digits, so "under the prefix" is a closed range of strings, which a B-tree
    index serves on any collation (``LIKE 'prefix%'`` is served on PostgreSQL only with
    pattern operators, and the planner then scans whole tables): figures of a county read
    that county's rows, however large the database around it.
    """
    if not prefix:
        return None
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def prefix_sql(column: str, prefix: str) -> tuple[str, list[str]]:
    """SQL: ``column`` (a 12-digit region code) lies in the scope of ``prefix``: the same
    records as ``__startswith``, as a range an index serves."""
    bounds = prefix_bounds(prefix)
    if bounds is None:
        return "1 = 1", []
    return f"{column} BETWEEN %s AND %s", list(bounds)


def by_area(queryset, column: str, level: int, **aggregates) -> dict[str, dict]:
    """``aggregates`` of ``queryset`` grouped by the first ``level`` characters of the region
    code in ``column`` (a village's code: ``level`` 9 groups by township, 6 by county), in
    one GROUP BY: ``{code prefix: {name: value}}``."""
    from django.db.models.functions import Substr

    rows = queryset.order_by().values(area=Substr(column, 1, level)).annotate(**aggregates)
    return {row.pop("area"): row for row in rows}
