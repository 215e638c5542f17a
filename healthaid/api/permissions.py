"""API permissions by role. Scope (which records) is the queryset's job, not this."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from healthaid.scoping import REGISTRY_WRITE_ROLES, get_profile


class RolePermission(BasePermission):
    """Authenticated users with a profile read; the view's ``write_roles`` may write.

    A view sets ``write_roles`` (a set of ``Role`` values) to open writes to more
    roles; by default only county bureau staff write. Supervisors never write.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_superuser and get_profile(user) is None:
            return True
        profile = get_profile(user)
        if profile is None:
            return False
        if request.method in SAFE_METHODS:
            read_roles = getattr(view, "read_roles", None)
            return read_roles is None or profile.role in read_roles
        write_roles = getattr(view, "write_roles", REGISTRY_WRITE_ROLES)
        return profile.role in write_roles
