"""``manage.py import_roster FILE``: the roster import from the command line.

Exit status: 0 when the import applied (or a dry run found nothing that would stop it),
1 when it was refused (row errors, or a role that may not import), 2 when the file itself could
not be used (not a spreadsheet, empty, no header, too large) or the arguments are wrong.
"""

from __future__ import annotations

import logging
import os
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from households.importing.service import ImportResult, roster_import

logger = logging.getLogger(__name__)

EXIT_APPLIED, EXIT_REFUSED, EXIT_FILE = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Import a 建档立卡 roster (xlsx, xls or csv): all or nothing unless --skip-invalid. "
        "Prints the summary and every error with its row number."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the roster file (.xlsx, .xls or .csv)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, write nothing"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the valid rows and report the others (default: any error refuses all)",
        )
        parser.add_argument(
            "--user",
            help="import as this user, within their area (default: an unscoped operator run)",
        )
        parser.add_argument(
            "--error-file", help="write the rows with errors and an error column to this xlsx"
        )

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
            result = roster_import(
                source=path,
                filename=os.path.basename(path),
                by=user,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
            )
        except Exception as exc:  # a bug, not the user's file: log it, say so, no traceback
            logger.exception("import_roster failed on %s", path)
            raise CommandError(
                _("The import failed unexpectedly (%(error)s); nothing was written.")
                % {"error": type(exc).__name__},
                returncode=EXIT_REFUSED,
            ) from None

        self.print_result(result)
        if options["error_file"]:
            self.write_error_file(result, options["error_file"])
        code = self.exit_status(result)
        if code:
            sys.exit(code)

    @staticmethod
    def exit_status(result: ImportResult) -> int:
        if result.file_error:
            return EXIT_REFUSED if result.file_error_code == "forbidden" else EXIT_FILE
        if result.applied or (result.dry_run and result.would_apply):
            return EXIT_APPLIED
        return EXIT_REFUSED

    def print_result(self, result: ImportResult) -> None:
        out, err = self.stdout, self.stderr
        if result.file_error:
            err.write(result.file_error)
            return
        for line in result.summary_lines():
            out.write(line)
        for path in result.villages_created:
            out.write("  " + _("New village: %(path)s") % {"path": path})
        for move in result.moves:
            out.write(
                "  "
                + _("Row %(row)d: %(name)s (%(id)s) moves from household %(from)s to %(to)s.")
                % {
                    "row": move.row,
                    "name": move.name,
                    "id": move.id_number,
                    "from": move.from_household,
                    "to": move.to_household,
                }
            )
        if result.extra_headers:
            out.write(
                _("Columns ignored: %(columns)s.") % {"columns": ", ".join(result.extra_headers)}
            )
        for error in result.errors:
            err.write(self.style.ERROR(self.format_issue(error)))
        for warning in result.warnings:
            out.write(self.style.WARNING(self.format_issue(warning)))
        if result.dry_run:
            out.write(_("Dry run: nothing was written."))
        elif result.applied:
            if result.errors:
                out.write(
                    _("Import applied; %(rows)d rows with errors were skipped.")
                    % {"rows": result.error_row_count}
                )
            else:
                out.write(self.style.SUCCESS(_("Import applied.")))
        else:
            err.write(
                _(
                    "Nothing was written. Correct the rows above and import again, or use "
                    "--skip-invalid to import the valid rows."
                )
            )

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

    def write_error_file(self, result: ImportResult, path: str) -> None:
        data = result.error_workbook()
        if data is None:
            self.stdout.write(_("No rows with errors; no error file written."))
            return
        with open(path, "wb") as handle:
            handle.write(data)
        self.stdout.write(_("Error file written to %(path)s.") % {"path": path})
