"""``manage.py import_roster FILE``: the roster import from the command line.

Exit status (the shared import command's, :mod:`healthaid.importing.command`): 0 when the
import applied (or a dry run found nothing that would stop it), 1 when it was refused (row
errors, or a role that may not import), 2 when the file itself could not be used (not a
spreadsheet, empty, no header, too large) or the arguments are wrong.
"""

from __future__ import annotations

import os

from django.utils.translation import gettext as _

from healthaid.importing.command import ImportCommand
from households.importing.service import ImportResult, roster_import


class Command(ImportCommand):
    help = (
        "Import a 建档立卡 roster (xlsx, xls or csv): all or nothing unless --skip-invalid. "
        "Prints the summary and every error with its row number."
    )
    file_help = "the roster file (.xlsx, .xls or .csv)"

    def run_import(self, *, path, user, dry_run, skip_invalid) -> ImportResult:
        return roster_import(
            source=path,
            filename=os.path.basename(path),
            by=user,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )

    def print_details(self, result: ImportResult) -> None:
        out = self.stdout
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
