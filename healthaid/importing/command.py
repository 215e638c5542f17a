"""The base of every import's management command (``import_roster``, ``import_contracts``,
``import_followups``, ``import_settlements``).

``manage.py import_X FILE [--dry-run] [--skip-invalid] [--user NAME] [--error-file PATH]``

Exit status: 0 when the import applied (or a dry run found nothing that would stop it), 1 when
it was refused (row errors, a role that may not import, an unexpected failure: nothing
written), 2 when the file itself could not be used (not a spreadsheet, empty, no header, too
large) or the arguments are wrong.  Every error is printed with its row number; so is every
row that was not imported for another row's error.
"""

from __future__ import annotations

import logging
import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from healthaid.importing.reader import FileRefused
from healthaid.importing.results import ImportOutcome

logger = logging.getLogger(__name__)

EXIT_APPLIED, EXIT_REFUSED, EXIT_FILE = 0, 1, 2


class ImportStopped(CommandError):
    """The import ran and ended without applying: refused, a dry run with errors, or a file
    that could not be used.  (Wrong arguments are a plain ``CommandError``.)"""


class ImportCommand(BaseCommand):
    """Subclasses set ``help`` and implement :meth:`run_import`; :meth:`print_details` may add
    what their import alone reports."""

    file_help = "the file (.xlsx, .xls or .csv)"
    user_help = "import as this user, within their area (default: an unscoped operator run)"

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, write nothing"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the valid rows and report the others (default: any error refuses all)",
        )
        parser.add_argument("--user", help=self.user_help)
        parser.add_argument(
            "--error-file", help="write the rows with errors and an error column to this xlsx"
        )

    def run_import(
        self, *, path: str, user, dry_run: bool, skip_invalid: bool
    ) -> ImportOutcome:  # pragma: no cover - each command says its own
        raise NotImplementedError

    def print_details(self, result: ImportOutcome) -> None:
        """What only this import reports, after the summary (new villages, moves, ...)."""

    def handle(self, *args, **options):
        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(_("No such file: %(path)s") % {"path": path}, returncode=EXIT_FILE)
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(
                    _("No user is called %(name)s.") % {"name": options["user"]},
                    returncode=EXIT_FILE,
                )
        try:
            result = self.run_import(
                path=path,
                user=user,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
            )
        except FileRefused as exc:
            raise ImportStopped(exc.message, returncode=EXIT_FILE) from None
        except Exception as exc:  # a bug, not the user's file: log it, say so, no traceback
            logger.exception("%s failed on %s", self.__module__.rsplit(".", 1)[-1], path)
            raise ImportStopped(
                _("The import failed unexpectedly (%(error)s); nothing was written.")
                % {"error": type(exc).__name__},
                returncode=EXIT_REFUSED,
            ) from None

        if result.file_error:
            code = EXIT_REFUSED if result.file_error_code == "forbidden" else EXIT_FILE
            raise ImportStopped(result.file_error, returncode=code)
        self.print_result(result)
        if options["error_file"]:
            self.write_error_file(result, options["error_file"])
        if result.applied or (result.dry_run and result.would_apply):
            return
        if result.dry_run:
            raise ImportStopped(
                _("Dry run: the file has errors; the import would write nothing."),
                returncode=EXIT_REFUSED,
            )
        raise ImportStopped(result.refusal_line(), returncode=EXIT_REFUSED)

    def print_result(self, result: ImportOutcome) -> None:
        out, err = self.stdout, self.stderr
        for line in result.summary_lines():
            out.write(line)
        self.print_details(result)
        if getattr(result, "extra_headers", None):
            out.write(
                _("Columns ignored: %(columns)s.") % {"columns": ", ".join(result.extra_headers)}
            )
        for error in result.errors:
            err.write(self.style.ERROR(self.format_issue(error)))
        for warning in result.warnings:
            out.write(self.style.WARNING(self.format_issue(warning)))
        for note in result.not_imported:
            out.write(self.style.WARNING(self.format_issue(note)))
        if result.dry_run:
            out.write(_("Dry run: nothing was written."))
        elif result.applied:
            if result.errors or result.not_imported:
                out.write(
                    _("Import applied; %(rows)d rows with errors were skipped.")
                    % {"rows": result.error_row_count}
                )
            else:
                out.write(self.style.SUCCESS(_("Import applied.")))

    @staticmethod
    def format_issue(issue) -> str:
        if issue.value:
            return _("Row %(row)d, %(column)s “%(value)s”: %(message)s") % {
                "row": issue.row,
                "column": issue.column,
                "value": issue.value,
                "message": issue.message,
            }
        return _("Row %(row)d, %(column)s: %(message)s") % {
            "row": issue.row,
            "column": issue.column,
            "message": issue.message,
        }

    def write_error_file(self, result: ImportOutcome, path: str) -> None:
        data = result.error_workbook()
        if data is None:
            self.stdout.write(_("No rows with errors; no error file written."))
            return
        with open(path, "wb") as handle:
            handle.write(data)
        self.stdout.write(_("Error file written to %(path)s.") % {"path": path})
