from contracts.management.commands._import_base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import follow-up visits from xlsx/csv (证件号码, 随访日期, 随访疾病, 随访方式, 收缩压, "
        "舒张压, 空腹血糖). All or nothing unless --skip-invalid; re-importing changes nothing."
    )
    kind = "followups"
