"""Navigation that follows the user's role.

The menu of a role is the same on every page but for the active entry, so its URLs and
labels (reversed and translated) are worked out once per role, language and URL
configuration, and its HTML (``includes/nav_menu.html``) rendered once per role, language
and page: every page of the portal prints it, and rendering its nested loops again was
about half a millisecond a page.
"""

from functools import lru_cache

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import lazy
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from healthaid.choices import Role
from healthaid.scoping import can_reveal_id, get_profile

ALL = frozenset(Role.values)

# (url name, label, roles that see it). Entries whose URL does not exist yet are skipped,
# so an app adds its pages here and they appear once its URLs are wired.
NAVIGATION = (
    ("home", _("Home"), ALL),
    (
        "dashboard:dashboard",
        _("Dashboard"),
        frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.HOSPITAL_STAFF, Role.SUPERVISOR}),
    ),
    ("households:household-list", _("Households"), ALL - {Role.HOSPITAL_STAFF}),
    # Hospital staff: the members their institution's records involve (households.involvement).
    ("households:member-list", _("Members"), ALL),
    ("households:member-lookup", _("Look up by ID number"), frozenset({Role.HOSPITAL_STAFF})),
    ("households:import", _("Import roster"), frozenset({Role.COUNTY_STAFF})),
    (
        "contracts:worklist",
        _("My worklist"),
        frozenset({Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR}),
    ),
    ("contracts:contract-list", _("Contracts"), ALL - {Role.HOSPITAL_STAFF}),
    ("reports:county-view", _("Contract rates"), frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR})),
    # screening app
    ("screening:screening-list", _("Screenings"), ALL - {Role.HOSPITAL_STAFF}),
    ("screening:campaign-list", _("Five-ones"), ALL - {Role.HOSPITAL_STAFF}),
    ("screening:freeclinic-totals", _("Free clinics"), ALL - {Role.HOSPITAL_STAFF}),
    ("institutions", _("Institutions"), ALL),
    ("audit-log", _("Audit log"), frozenset({Role.COUNTY_STAFF})),
    ("settlements:figures", _("Settlements"), ALL),
    (
        "settlements:register",
        _("Major diseases"),
        frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.HOSPITAL_STAFF, Role.SUPERVISOR}),
    ),
    # Consortia and referrals (medconsortium, issue 8).
    ("medconsortium:worklist-hospital", _("Referral worklist"), frozenset({Role.HOSPITAL_STAFF})),
    (
        "medconsortium:worklist-doctor",
        _("My referrals"),
        frozenset({Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR}),
    ),
    (
        "medconsortium:referral-list",
        _("Referrals"),
        frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR}),
    ),
    ("medconsortium:timetable", _("Expert timetable"), ALL),
    # Data approval and the rectification tracker (issue 11).
    ("approvals:list", _("Data approval"), ALL - {Role.VILLAGE_DOCTOR}),
    (
        "approvals:submit",
        _("Submit figures"),
        frozenset({Role.TOWNSHIP_DOCTOR, Role.HOSPITAL_STAFF}),
    ),
    ("rectification:list", _("Rectification items"), ALL - {Role.HOSPITAL_STAFF}),
    ("rectification:overdue", _("Overdue rectification"), frozenset({Role.COUNTY_STAFF})),
    ("rectification:import", _("Import rectification list"), frozenset({Role.COUNTY_STAFF})),
    # Briefings (reports, issue 11).
    (
        "briefings:list",
        _("Briefings"),
        frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR, Role.TOWNSHIP_DOCTOR}),
    ),
)


@lru_cache(maxsize=256)
def _menu_of(role, is_superuser, language, urlconf, prefix) -> tuple[dict, ...]:
    """The role's menu with URLs reversed and labels in ``language`` (the active one)."""
    items = []
    for name, label, roles in NAVIGATION:
        if role is None and not is_superuser:
            continue
        if role is not None and role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"name": name, "label": str(label), "url": url})
    return tuple(items)


# The menu's sections, by the first part of an entry's URL name; an entry not named here
# stands alone. A section the role sees one entry of shows that entry as a plain link.
SECTIONS = (
    ("households", _("Registry")),
    ("contracts", _("Family doctors")),
    ("reports", _("Family doctors")),
    ("screening", _("Screening and five-ones")),
    ("medconsortium", _("Consortia and referrals")),
    ("settlements", _("Settlements")),
    ("approvals", _("Approval and rectification")),
    ("rectification", _("Approval and rectification")),
)


def _groups(menu: list[dict]) -> list[dict]:
    """The flat menu as top-level links and sections (dropdowns), in the menu's order."""
    labels = dict(SECTIONS)
    groups: list[dict] = []
    by_label: dict[str, dict] = {}
    for item in menu:
        label = labels.get(item["name"].split(":")[0])
        if label is None:
            groups.append({"label": item["label"], "items": [item], "active": item["active"]})
            continue
        group = by_label.get(str(label))
        if group is None:
            group = by_label[str(label)] = {"label": str(label), "items": [], "active": False}
            groups.append(group)
        group["items"].append(item)
        group["active"] = group["active"] or item["active"]
    return groups


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    profile = get_profile(user)
    current = request.resolver_match.view_name if request.resolver_match else ""
    key = (
        profile.role if profile else None,
        user.is_superuser,
        get_language(),
        get_urlconf(),
        get_script_prefix(),
    )
    return {
        "nav_items": _menu_of(*key),
        # Rendered when the page prints it (inside the page's own rendering).
        "nav_menu": _lazy_menu_html(current, *key),
        "user_profile": profile,
        "user_can_reveal_id": can_reveal_id(user),
    }


@lru_cache(maxsize=1024)
def _menu_html(current: str, *key) -> str:
    """The menu's HTML with ``current`` (a URL name) marked active; ``key`` is
    ``_menu_of``'s. Bounded by the roles, languages and pages."""
    menu = [dict(item, active=item["name"] == current) for item in _menu_of(*key)]
    return render_to_string("includes/nav_menu.html", {"nav_groups": _groups(menu)})


_lazy_menu_html = lazy(_menu_html, SafeString)
