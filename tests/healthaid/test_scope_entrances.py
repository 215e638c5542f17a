"""One way into the scope: ``Model.objects.visible_to(user)``, applied by the base classes.

The side entrances the architecture review found are gone and stay gone: pages and
endpoints that filtered by the scope's code prefix by hand, views that called
``visible_to`` themselves instead of the base mixin, and two Region methods with different
meanings.
"""

import ast
from pathlib import Path

import pytest

from healthaid.models import Region

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "healthaid",
    "households",
    "contracts",
    "screening",
    "medconsortium",
    "approvals",
    "rectification",
    "reports",
)
# Where the scope is defined: the prefix and its SQL form live in ``healthaid.scoping``, and
# the querysets' ``visible_to`` methods read it. The roster import computes its scope once
# per import for its own bulk statements (its refactoring into the shared import framework
# is a separate change).
DEFINES_SCOPE = {"healthaid/scoping.py"}
PREFIX_READERS_ALLOWED = {"households/importing/service.py"}


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text("utf-8"))


def _functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _calls(node, name):
    return [
        call
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and (
            (isinstance(call.func, ast.Name) and call.func.id == name)
            or (isinstance(call.func, ast.Attribute) and call.func.attr == name)
        )
    ]


def test_the_scope_prefix_is_read_only_by_visible_to():
    offenders = []
    for path, tree in _modules():
        if path in DEFINES_SCOPE | PREFIX_READERS_ALLOWED:
            continue
        for function in _functions(tree):
            if function.name == "visible_to":
                continue
            for call in _calls(function, "scope_prefix"):
                offenders.append(f"{path}:{call.lineno} {function.name}")
    assert offenders == []


def test_views_take_their_objects_from_the_base_mixin():
    """A page's own object comes from ``ScopedMixin.get_queryset``: no ``visible_to`` in a
    view's ``get_queryset``, ``dispatch``, ``get`` or ``post``."""
    offenders = []
    for path, tree in _modules():
        if not path.endswith("views.py"):
            continue
        for function in _functions(tree):
            if function.name in ("get_queryset", "dispatch", "get", "post"):
                for call in _calls(function, "visible_to"):
                    # the base classes themselves
                    if path in ("healthaid/views.py", "healthaid/api/views.py"):
                        continue
                    offenders.append(f"{path}:{call.lineno} {function.name}")
    assert offenders == []


def test_regions_have_one_scope_method():
    assert not hasattr(Region.objects, "in_scope_of")
    assert not any(
        "LIKE" in ast.unparse(node)
        for path, tree in _modules()
        if path == "contracts/selectors.py"
        for node in _functions(tree)
        if node.name in ("for_user", "where")
    )


@pytest.mark.django_db
def test_a_region_outside_the_scope_is_not_found_by_code(users, tree):
    regions = Region.objects.visible_to(users.township_doctor)
    assert regions.by_code("532328101") == tree.township
    assert regions.by_code(tree.village.code) == tree.village
    assert regions.by_code("532328102") is None  # the other township
    assert regions.by_code("532328") is None  # above the scope
    assert list(regions.above(tree.village)) == [tree.township]
