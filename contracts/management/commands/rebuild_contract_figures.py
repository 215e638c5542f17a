"""``manage.py rebuild_contract_figures``: recompute the derived rows of ``contracts.owed``.

Every writer keeps them exact in its own transaction; this is for safety after a change made
around the services (a restore, a manual SQL fix) and to check that nothing drifted:
``--check`` reports the members whose stored rows differ from recomputed ones and changes
nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from contracts import owed
from contracts.selectors import figures_changed


class Command(BaseCommand):
    help = "Recompute the contract figures' derived rows (spans and owed follow-up slots)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="only compare the stored rows with recomputed ones; exit 1 if they differ",
        )

    def handle(self, *args, check: bool = False, **options):
        if check:
            drifted = owed.drifted_members()
            if drifted:
                raise CommandError(
                    f"{len(drifted)} members' rows differ from their recomputed ones, "
                    f"e.g. {', '.join(map(str, drifted[:10]))}"
                )
            self.stdout.write("The derived rows match their recomputed ones.")
            return
        with transaction.atomic():
            members = owed.rebuild_owed()
            people = owed.rebuild_targets()
        figures_changed()
        self.stdout.write(
            f"Recomputed the derived rows of {members} members "
            f"and the target rows of {people} people."
        )
