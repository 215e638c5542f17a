"""``manage.py import_settlements FILE [--skip-invalid] [--dry-run] [--user NAME]``.

The settlement import (结算明细) from the command line, on the shared import command: exit 0
when applied (or a dry run found nothing that would stop it), 1 when refused, 2 when the file
or the arguments cannot be used.
"""

from __future__ import annotations

import os

from healthaid.importing.command import ImportCommand
from medconsortium.settlement_importing import SettlementImportResult, settlement_import


class Command(ImportCommand):
    help = (
        "Import a settlement file (结算明细: 医疗机构, 就诊类型, 姓名, 证件号码, 入院日期, 出院日期, "
        "总费用, 基本医保统筹支付, 大病保险, 医疗救助, 其他保障, 个人自付, 目录外费用, 一站式结算, "
        "先诊疗后付费): all or nothing unless --skip-invalid; re-importing changes nothing."
    )
    file_help = "the settlement file (.xlsx, .xls or .csv)"
    user_help = (
        "import as this user: county staff within their county, hospital staff their own "
        "institution's rows (default: an unscoped operator run)"
    )

    def run_import(self, *, path, user, dry_run, skip_invalid) -> SettlementImportResult:
        return settlement_import(
            source=path,
            filename=os.path.basename(path),
            by=user,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )
