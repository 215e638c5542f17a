"""Shared body of ``import_contracts`` and ``import_followups``."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from contracts.importing import IMPORTERS, ImportRefused


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help="xlsx, xls or csv")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the valid rows and report the others (default: all or nothing)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--user",
            help="act as this user: members and teams are looked up in their scope, and the "
            "audit log names them (default: the whole database, audited as 'system')",
        )
        parser.add_argument(
            "--error-file", help="write the rejected rows with their errors to this xlsx"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']}")
        try:
            result = IMPORTERS[self.kind](
                path,
                path.name,
                by=user,
                skip_invalid=options["skip_invalid"],
                dry_run=options["dry_run"],
            )
        except ImportRefused as exc:
            raise CommandError(exc.message) from None
        for error in result.errors:
            self.stderr.write(f"row {error.row}, {error.column} “{error.value}”: {error.message}")
        if result.error_file and options["error_file"]:
            Path(options["error_file"]).write_bytes(result.error_file)
            self.stderr.write(f"rejected rows written to {options['error_file']}")
        summary = (
            f"{result.total} rows: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.skipped} skipped"
        )
        if result.dry_run:
            self.stdout.write(f"Dry run, nothing written. {summary}; {len(result.errors)} errors.")
            if result.errors:
                raise CommandError("The file has errors.")
            return
        if not result.applied:
            raise CommandError(
                f"Refused, nothing written: {len(result.errors)} errors in "
                f"{result.skipped} rows. Fix them or use --skip-invalid."
            )
        self.stdout.write(self.style.SUCCESS(f"Imported. {summary}."))
