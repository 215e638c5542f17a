"""Narrative templates: a section's paragraph with its figures as named placeholders.

Filled without running anything the text says: the text is split by ``string.Formatter``'s
parser and each ``{name}`` is replaced by the figure of that name, already formatted. A field
with attribute or index access (``{a.b}``, ``{a[0]}``), a conversion or a format spec, or a
name the section does not have, is refused when the template is saved (and, should one be
in the database already, left as written rather than filled).
"""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_FORMATTER = string.Formatter()


def template_fields(text: str) -> list[str]:
    """The placeholders of ``text`` in order; ``ValueError`` for unbalanced braces."""
    return [field for _literal, field, _spec, _conv in _FORMATTER.parse(text) if field is not None]


def validate_template(text: str, allowed: set[str] | frozenset[str]) -> None:
    """Refuse a template that cannot be filled safely with ``allowed`` placeholders."""
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError:
        raise ValidationError(
            _("Unbalanced braces: write {{ and }} for a brace that is not a placeholder.")
        ) from None
    unknown = []
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field == "" or not field.isidentifier() or spec or conversion:
            raise ValidationError(
                _("“{%(field)s}” is not a placeholder: write a figure's name in braces.")
                % {
                    "field": field
                    + (f"!{conversion}" if conversion else "")
                    + (f":{spec}" if spec else "")
                }
            )
        if field not in allowed:
            unknown.append(field)
    if unknown:
        raise ValidationError(
            _("Unknown placeholders: %(names)s. Available: %(available)s.")
            % {
                "names": "、".join("{" + name + "}" for name in unknown),
                "available": "、".join("{" + name + "}" for name in sorted(allowed)),
            }
        )


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with every ``{name}`` replaced by ``values[name]``; nothing else is evaluated.

    A field that is not a plain known name is kept as written."""
    out = []
    for literal, field, spec, conversion in _FORMATTER.parse(text):
        out.append(literal)
        if field is None:
            continue
        if field in values and not spec and not conversion:
            out.append(values[field])
        else:
            out.append("{" + field + "}")
    return "".join(out)
