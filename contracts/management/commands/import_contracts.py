from contracts.management.commands._import_base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import family-doctor contracts from xlsx/csv (证件号码, 团队, 签约医生, 签约日期, "
        "服务包). All or nothing unless --skip-invalid; re-importing changes nothing."
    )
    kind = "contracts"
