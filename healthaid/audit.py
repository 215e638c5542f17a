"""The audit trail: who changed what, when, from where; and every reveal of an ID number.

Services call ``record`` inside their own ``transaction.atomic`` block, so the audit
row commits or rolls back with the change it describes.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from healthaid.choices import AuditAction

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("healthaid_ip", default=None)


@contextlib.contextmanager
def request_context(*, ip: str | None) -> Iterator[None]:
    token = _ip.set(ip)
    try:
        yield
    finally:
        _ip.reset(token)


def current_ip() -> str | None:
    return _ip.get()


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, FieldFile):  # an empty one raises on .url, so test the type
        return value.name or None
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of ``instance``, without the fields it declares sensitive."""
    exclude = set(getattr(instance, "audit_exclude", ())) | {"created_at", "updated_at"}
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or field.attname in exclude:
            continue
        data[field.attname if field.is_relation else field.name] = _jsonable(
            getattr(instance, field.attname)
        )
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Fields whose value differs: ``{field: [before, after]}``."""
    before, after = before or {}, after or {}
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _region_code(instance: models.Model | None) -> str:
    if instance is None:
        return ""
    getter = getattr(instance, "audit_region_code", None)
    if callable(getter):
        return getter() or ""
    return ""


def build(
    *,
    action: str,
    by,
    instance: models.Model | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    target_repr: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    region_code: str | None = None,
):
    """An unsaved audit row; ``record`` saves one, ``record_many`` bulk-inserts many."""
    from healthaid.models import AuditLog

    if instance is not None:
        target_type = target_type or instance._meta.label_lower
        target_id = target_id if target_id is not None else instance.pk
        target_repr = target_repr if target_repr is not None else str(instance)
    actor = by if getattr(by, "is_authenticated", False) else None
    return AuditLog(
        actor=actor,
        actor_name=by.get_username() if actor is not None else "system",
        action=action,
        target_type=target_type or "",
        target_id="" if target_id is None else str(target_id),
        target_repr=(target_repr or "")[:255],
        before=before,
        after=after,
        message=message[:255],
        ip=current_ip(),
        region_code=region_code if region_code is not None else _region_code(instance),
    )


def build_row(
    *,
    action: str,
    by,
    target_type: str,
    target_id: str | int | None = None,
    target_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    region_code: str = "",
    at: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The values of one audit row as a plain dict keyed by ``AuditLog`` attname, no instance.

    For bulk writers that insert tens of thousands of rows with their own statements (the
    roster import): the same columns, truncations and actor/IP rules as ``build``, at a
    fraction of the cost of a model instance.  The caller names the target explicitly and must
    keep clear ID numbers out of ``before``, ``after``, ``target_repr`` and ``message``, as
    with ``build``.  Without ``at`` the dict has no ``at`` key, and the writer fills the column
    (the import stamps every row of one import with the same time).
    """
    actor = by if getattr(by, "is_authenticated", False) else None
    row = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_name": actor.get_username() if actor is not None else "system",
        "action": action,
        "target_type": target_type,
        "target_id": "" if target_id is None else str(target_id),
        "target_repr": target_repr[:255],
        "before": before,
        "after": after,
        "message": message[:255],
        "ip": _ip.get(),
        "region_code": region_code,
    }
    if at is not None:
        row["at"] = at
    return row


def record(**kwargs):
    entry = build(**kwargs)
    entry.save()
    return entry


def record_many(entries: Iterable, batch_size: int = 2000) -> None:
    from healthaid.models import AuditLog

    AuditLog.objects.bulk_create(list(entries), batch_size=batch_size)


def record_create(instance: models.Model, *, by, message: str = ""):
    return record(
        action=AuditAction.CREATE,
        by=by,
        instance=instance,
        after=snapshot(instance),
        message=message,
    )


def record_update(instance: models.Model, before: dict, *, by, message: str = ""):
    after = snapshot(instance)
    changes = diff(before, after)
    if not changes:
        return None
    return record(
        action=AuditAction.UPDATE,
        by=by,
        instance=instance,
        before={k: v[0] for k, v in changes.items()},
        after={k: v[1] for k, v in changes.items()},
        message=message,
    )


def record_delete(instance: models.Model, *, by, message: str = ""):
    return record(
        action=AuditAction.DELETE,
        by=by,
        instance=instance,
        before=snapshot(instance),
        message=message,
    )
