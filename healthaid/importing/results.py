"""What an import says about a file: notes on rows, and the outcome every import shares.

A note names the row as Excel shows it, the column's header, the value as the file has it (ID
numbers masked) and the reason.  Errors stop their row; warnings do not; a row that is not
imported for a reason that is not its own (another row of its household was refused, say) is
named in ``not_imported``, so every row of the file that was not imported is accounted for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from django.utils.translation import gettext as _

from healthaid.importing.errorfile import build_error_workbook

__all__ = ["ImportOutcome", "RowError", "RowNote", "RowWarning", "notes_by_row"]


@dataclass(slots=True)
class RowNote:
    """Something said about one cell: the row number as Excel shows it, the column's header,
    the value as the file has it (ID numbers masked) and the message."""

    row: int
    column: str
    value: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "code": self.code,
        }


@dataclass(slots=True)
class RowError(RowNote):
    """A cell that stops its row."""


@dataclass(slots=True)
class RowWarning(RowNote):
    """Something worth telling the user that does not stop the row."""

    code: str = "warning"


def notes_by_row(notes: Sequence[RowNote]) -> dict[int, list[RowNote]]:
    grouped: dict[int, list[RowNote]] = {}
    for note in notes:
        grouped.setdefault(note.row, []).append(note)
    return grouped


NOTE_TYPES = {"errors": RowError, "warnings": RowWarning, "not_imported": RowNote}


@dataclass
class ImportOutcome:
    """The part of an import's result every import has (each import adds its own counts).

    ``file_error`` is set when the file as a whole could not be used (nothing was read);
    ``errors`` stop their rows; ``not_imported`` names the rows left out for another row's
    error.  The rows kept in ``rejected_rows`` (in memory only) make the error workbook: the
    rejected rows as the file had them, plus an error column.
    """

    filename: str = ""
    dry_run: bool = False
    skip_invalid: bool = False
    applied: bool = False
    total_rows: int = 0
    header_row: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    not_imported: list[RowNote] = field(default_factory=list)
    file_error: str = ""
    file_error_code: str = ""
    # In memory only (the error file is built from them; Job rows never store them).
    header: list[Any] = field(default_factory=list, repr=False)
    rejected_rows: list[tuple[int, list[Any], str]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """No file error and no row error."""
        return not self.file_error and not self.errors

    @property
    def would_apply(self) -> bool:
        """Whether the real import would write (all rows valid, or invalid ones skipped)."""
        return not self.file_error and (not self.errors or self.skip_invalid)

    @property
    def refused(self) -> bool:
        return not self.dry_run and not self.applied

    @property
    def error_row_count(self) -> int:
        return len({error.row for error in self.errors})

    @property
    def rows_not_imported(self) -> int:
        """Rows of the file that were (or, in a dry run, would be) left out, each named."""
        if self.file_error:
            return 0
        if not self.applied and not (self.dry_run and self.would_apply):
            return self.total_rows
        return len({note.row for note in self.errors} | {note.row for note in self.not_imported})

    def error_workbook(self) -> bytes | None:
        """The rejected rows as the file had them, plus an error column; None if there are none."""
        if not self.rejected_rows:
            return None
        return build_error_workbook(
            self.header, [(cells, message) for _row, cells, message in self.rejected_rows]
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """A job's stored summary read back (the job pages): each stored field by its name, the
        notes as notes; what is kept in memory only (``repr=False``) is not stored."""
        values = {}
        for spec in fields(cls):
            if spec.repr and spec.name in data:
                value = data[spec.name]
                if spec.name in NOTE_TYPES:
                    value = [NOTE_TYPES[spec.name](**note) for note in value]
                values[spec.name] = value
        return cls(**values)

    def notes_dict(self) -> dict[str, Any]:
        return {
            "errors": [error.as_dict() for error in self.errors],
            "warnings": [warning.as_dict() for warning in self.warnings],
            "not_imported": [note.as_dict() for note in self.not_imported],
        }

    def refusal_line(self) -> str:
        return _(
            "Nothing was written. Correct the rows above and import again, or use "
            "--skip-invalid to import the valid rows."
        )

    def summary_lines(self) -> list[str]:  # pragma: no cover - each import says its own
        raise NotImplementedError
