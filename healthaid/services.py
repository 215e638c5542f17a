"""Writes of the shared core."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from healthaid import audit
from healthaid.choices import RegionLevel, Role
from healthaid.models import Institution, Region, UserProfile

# The levels a role's scope may sit at: a village doctor's scope is a village, etc.
ROLE_LEVELS: dict[str, frozenset[int]] = {
    Role.COUNTY_STAFF: frozenset({RegionLevel.COUNTY}),
    Role.TOWNSHIP_DOCTOR: frozenset({RegionLevel.TOWNSHIP}),
    Role.VILLAGE_DOCTOR: frozenset({RegionLevel.VILLAGE}),
    Role.HOSPITAL_STAFF: frozenset(RegionLevel.values),
    Role.SUPERVISOR: frozenset({RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY}),
}


def resolve_region(text: str) -> Region:
    """A region from a division code or a name path such as ``元谋县/元马镇``.

    Operators know names, not codes. A path matches on its trailing names, so
    ``元马镇`` alone works when only one region has that name.
    """
    text = text.strip().strip("/")
    if not text:
        raise ValidationError(_("Give a region code or name."))
    if text.isdigit():
        code = text.ljust(12, "0")
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise ValidationError(_("No region has the code %(code)s.") % {"code": text})
        return region
    parts = [part.strip() for part in text.split("/") if part.strip()]
    candidates = list(Region.objects.filter(name=parts[-1]))
    suffix = "/" + "/".join(parts)
    matches = [r for r in candidates if ("/" + r.path).endswith(suffix)]
    if not matches:
        raise ValidationError(_("No region is named %(name)s.") % {"name": text})
    if len(matches) > 1:
        raise ValidationError(
            _(
                "%(name)s matches more than one region: %(matches)s. Give more of the path or the code."
            )
            % {"name": text, "matches": "; ".join(f"{r.path} ({r.code})" for r in matches)}
        )
    return matches[0]


@transaction.atomic
def user_provision(
    *,
    username: str,
    role: str,
    region: Region,
    password: str,
    institution: Institution | None = None,
    full_name: str = "",
    by=None,
    check_password: bool = True,
):
    """Create or update an account with a role and scope; audited."""
    if role not in Role.values:
        raise ValidationError(
            _("Unknown role %(role)s. Roles: %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)}
        )
    if region.level not in ROLE_LEVELS[role]:
        allowed = "、".join(str(RegionLevel(level).label) for level in sorted(ROLE_LEVELS[role]))
        raise ValidationError(
            _("A %(role)s's scope must be a %(levels)s; %(region)s is a %(level)s.")
            % {
                "role": Role(role).label,
                "levels": allowed,
                "region": region.path,
                "level": RegionLevel(region.level).label,
            }
        )
    if role == Role.HOSPITAL_STAFF and institution is None:
        raise ValidationError(_("Hospital staff need an institution (--institution CODE)."))
    if institution is not None and not region.contains(institution.region):
        raise ValidationError(
            _("Institution %(institution)s lies outside the region %(region)s.")
            % {"institution": institution.name, "region": region.path}
        )
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    if full_name:
        user.first_name = full_name
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    profile, _created = UserProfile.objects.update_or_create(
        user=user, defaults={"role": role, "region": region, "institution": institution}
    )
    audit.record(
        action="create" if created else "update",
        by=by,
        instance=user,
        target_repr=str(profile),
        after={
            "role": role,
            "region": region.code,
            "institution": institution and institution.pk,
        },
        region_code=region.code,
    )
    return user
