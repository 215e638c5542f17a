"""Formatting helpers of the registry templates."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

_EXTRA_LABELS = {"diseases": gettext_lazy("Diseases"), "contacts": gettext_lazy("Contact numbers")}


def _label(target_type: str, name: str) -> str:
    if name in _EXTRA_LABELS:
        return str(_EXTRA_LABELS[name])
    try:
        model = apps.get_model(target_type)
        field = model._meta.get_field(name.removesuffix("_id"))
    except (LookupError, ValueError, FieldDoesNotExist):
        return name
    return str(field.verbose_name)


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return (
            "、".join(
                " ".join(str(part) for part in item if part)
                if isinstance(item, list)
                else str(item)
                for item in value
            )
            or "—"
        )
    return str(value)


def _audit_hidden(target_type: str) -> tuple[str, ...]:
    """Fields a model keeps out of audit snapshots: rows written before it did are hidden too."""
    try:
        return tuple(getattr(apps.get_model(target_type), "audit_exclude", ()))
    except (LookupError, ValueError):
        return ()


@register.simple_tag
def audit_changes(entry) -> list[tuple[str, str, str]]:
    """(field label, before, after) for each field an audit row records."""
    before = entry.before or {}
    after = entry.after or {}
    rows = []
    hidden = _audit_hidden(entry.target_type)
    for key in list(dict.fromkeys([*before, *after])):
        if key in ("id", "created_by_id") or key in hidden:
            continue
        rows.append((_label(entry.target_type, key), _show(before.get(key)), _show(after.get(key))))
    return rows
