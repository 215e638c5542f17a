"""``make_briefing --region CODE --start YYYY-MM-DD --end YYYY-MM-DD --out FILE.xlsx [--docx FILE.docx]``:
write a briefing of a region's figures to files, unnumbered (未编号), as the page's job writes
it (the numbered issue is the one published on the briefings page)."""

from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from healthaid.models import Region
from reports.briefings.docx import write_docx
from reports.briefings.services import build_document
from reports.briefings.xlsx import write_xlsx
from reports.models import Briefing, BriefingKind


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Write a region's briefing (xlsx, and docx if asked) for a period."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="division code of the publisher")
        parser.add_argument("--start", required=True, type=_date)
        parser.add_argument("--end", required=True, type=_date)
        parser.add_argument("--out", required=True, help="the xlsx file to write")
        parser.add_argument("--docx", help="a Word file to write as well")
        parser.add_argument(
            "--kind", choices=BriefingKind.values, default=BriefingKind.WORK, help="the title"
        )

    def handle(self, *args, **options):
        region = Region.objects.filter(code=options["region"].ljust(12, "0")).first()
        if region is None:
            raise CommandError(f"no region {options['region']}")
        if options["start"] > options["end"]:
            raise CommandError("--start is after --end")
        briefing = Briefing(
            publisher=region, kind=options["kind"], start=options["start"], end=options["end"]
        )
        began = time.perf_counter()
        document = build_document(briefing)
        write_xlsx(document, options["out"])
        if options["docx"]:
            write_docx(document, options["docx"])
        self.stdout.write(
            f"{options['out']}: {len(document.sections)} sections "
            f"in {time.perf_counter() - began:.2f} s"
        )
