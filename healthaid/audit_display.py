"""The audit trail as people read it: names, Chinese labels, region and institution names.

An audit row stores what the change was in the terms of the data: the actor's id, the
record's model label (``households.member``) and field values keyed by field name or
attname, with choice values and foreign keys raw (``role: hospital_staff``,
``region: 532328000000``). ``present`` turns a page of rows into what the audit page shows:
the actor's name, the record type's and the fields' ``verbose_name``, choice labels, and the
names of referenced records. References are resolved in bulk for the whole page: one query
for the people, one per kind of record referred to, never one per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# A user's audited fields are those of their profile (role, scope region, institution).
FIELDS_OF = {"auth.user": "healthaid.userprofile"}
# Keys that are no model field: lists kept beside a record's own fields.
EXTRA_LABELS = {
    "diseases": gettext_lazy("diseases"),
    "contacts": gettext_lazy("contact numbers"),
}
EMPTY = "—"


@dataclass
class Change:
    label: str
    before: str | None = None
    after: str | None = None
    # True when the row holds the value before only (a deleted record's fields).
    removed: bool = False


@dataclass
class AuditRow:
    entry: Any
    actor: str
    record_type: str
    changes: list[Change] = field(default_factory=list)


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(FIELDS_OF.get(label, label))
    except (LookupError, ValueError):
        return None


def _record_type(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def _field(model: type[models.Model] | None, key: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        for candidate in model._meta.concrete_fields:
            if candidate.attname == key:
                return candidate
    return None


def _person(user) -> str:
    full = user.get_full_name().strip()
    return f"{full}（{user.get_username()}）" if full else user.get_username()


def _name(obj: models.Model) -> str:
    # A region by its full name (元谋县/元马镇/能禹村委会): village names repeat across townships.
    path = getattr(obj, "path", "")
    if obj._meta.label_lower == "healthaid.region" and path:
        return path
    if isinstance(obj, get_user_model()):
        return _person(obj)
    return str(obj)


class _References:
    """The referenced records of one page, fetched with one query per related model."""

    def __init__(self):
        self.wanted: dict[type[models.Model], set] = defaultdict(set)
        self.found: dict[type[models.Model], dict] = {}

    def want(self, model: type[models.Model], value: Any) -> None:
        if value not in (None, ""):
            self.wanted[model].add(value)

    def fetch(self) -> None:
        for model, values in self.wanted.items():
            keys = set()
            for value in values:
                try:
                    keys.add(model._meta.pk.to_python(value))
                except Exception:  # a value the key cannot take stays shown as stored
                    continue
            self.found[model] = {
                str(pk): _name(obj) for pk, obj in model._base_manager.in_bulk(keys).items()
            }

    def name(self, model: type[models.Model], value: Any) -> str | None:
        return self.found.get(model, {}).get(str(value))


def _plain(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return "、".join(_plain(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return " ".join(_plain(v) for v in value.values() if v not in (None, ""))
    return str(value)


def _display(model_field: models.Field | None, value: Any, references: _References) -> str:
    if model_field is None or value is None or value == "":
        return _plain(value)
    if model_field.is_relation and model_field.related_model is not None:
        return references.name(model_field.related_model, value) or _plain(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return _plain(value)


def present(entries: Sequence) -> list[AuditRow]:
    """Display rows for a page of ``AuditLog`` entries (queries: people, then one per kind of
    referenced record)."""
    entries = list(entries)
    references = _References()
    User = get_user_model()
    plans = []
    for entry in entries:
        model = _model(entry.target_type)
        keys = list(dict.fromkeys([*(entry.before or {}), *(entry.after or {})]))
        fields = {key: _field(model, key) for key in keys}
        for key, model_field in fields.items():
            if model_field is not None and model_field.is_relation and model_field.related_model:
                for side in (entry.before, entry.after):
                    if side and key in side:
                        references.want(model_field.related_model, side[key])
        if entry.actor_id:
            references.want(User, entry.actor_id)
        plans.append((entry, fields))
    references.fetch()
    return [_row(entry, fields, references) for entry, fields in plans]


def _row(entry, fields: dict, references: _References) -> AuditRow:
    if entry.actor_id:
        actor = references.name(get_user_model(), entry.actor_id) or entry.actor_name
    else:
        actor = _("System")
    before, after = entry.before or {}, entry.after or {}
    changes = []
    for key, model_field in fields.items():
        label = (
            str(model_field.verbose_name)
            if model_field is not None
            else str(EXTRA_LABELS.get(key, key))
        )
        old = _display(model_field, before[key], references) if key in before else None
        new = _display(model_field, after[key], references) if key in after else None
        changes.append(Change(label=label, before=old, after=new, removed=key not in after))
    return AuditRow(
        entry=entry,
        actor=actor,
        record_type=_record_type(entry.target_type),
        changes=changes,
    )
