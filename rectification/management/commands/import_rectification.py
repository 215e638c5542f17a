from healthaid.importing.command import ImportCommand
from rectification.importing import rectification_import


class Command(ImportCommand):
    help = (
        "Import a rectification list (问题清单: 来源, 问题, 责任单位, 整改措施, 整改时限) from "
        "xlsx/xls/csv. All or nothing unless --skip-invalid; importing it again adds nothing."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--region",
            help="division code of the county (or township) the list belongs to "
            "(default: the --user's own region)",
        )

    def handle(self, *args, **options):
        self.region_code = options.get("region")
        return super().handle(*args, **options)

    def run_import(self, *, path, user, dry_run, skip_invalid):
        return rectification_import(
            source=path,
            filename=path,
            by=user,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            region_code=self.region_code,
        )
