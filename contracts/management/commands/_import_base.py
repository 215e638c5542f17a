"""Shared body of ``import_contracts`` and ``import_followups``: the import framework's command
(:class:`healthaid.importing.command.ImportCommand`, exit codes 0/1/2) on a contracts importer."""

from __future__ import annotations

import os

from contracts.importing import IMPORTERS
from healthaid.importing.command import ImportCommand as BaseImportCommand


class ImportCommand(BaseImportCommand):
    kind = ""
    file_help = "xlsx, xls or csv"
    user_help = (
        "act as this user: members and teams are looked up in their scope, and the "
        "audit log names them (default: the whole database, audited as 'system')"
    )

    def run_import(self, *, path, user, dry_run, skip_invalid):
        return IMPORTERS[self.kind](
            path,
            os.path.basename(path),
            by=user,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
        )

    @staticmethod
    def format_issue(issue) -> str:
        """These commands' own line format, unchanged: ``row N, column “value”: message``."""
        return f"row {issue.row}, {issue.column} “{issue.value}”: {issue.message}"
