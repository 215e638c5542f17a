"""django-import-export Resources for the registry: the roster as spreadsheets see it.

``MemberRosterResource`` is one row per member under the Chinese headers of the national
system's roster (县, 乡镇, 村, 户编号, 姓名, ...).  Exporting renders that layout (ID numbers
masked).  Importing runs import-export's own workflow (``before_import`` → ``import_row`` per
row → ``after_import``, inside its transaction, so the admin's preview-and-confirm screens work),
but every hook hands the work to the roster import service rather than to per-row model
saves:

* ``before_import`` reads the dataset with the service's reader (so header variants, blank rows
  and row numbers behave as in a file upload) and runs the service's ``normalise`` and ``plan``
  stages: the same cell normalisers, ID-number checks, region matching, scope checks and
  existing-record look-ups as ``roster_import``;
* ``import_row`` reports, for each row, what the plan does with it (new, update, skip) or its
  errors, as a ``ValidationError`` keyed by column;
* ``after_import`` runs the service's bulk ``write`` stage, audit rows included, unless it is a
  dry run or a row has errors (all or nothing, as everywhere else; pass ``skip_invalid=True``
  to ``import_data`` to write the valid rows).

So the admin cannot write around scope, audit or validation, and there is one implementation.
``HouseholdResource`` exports households and updates their poverty columns by 户编号, cleaning
each cell with the same parsers (as widgets) and recording each change in the audit log.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.results import RowResult

from healthaid import audit
from healthaid.importing.normalize import CellError, to_bool, to_year
from healthaid.importing.reader import FileRefused, RawTable, parse_table
from healthaid.scoping import can_write_registry
from households.choices import (
    ATTRIBUTE_LABELS,
    CAUSE_LABELS,
    RELATION_LABELS,
    SEX_LABELS,
    PovertyStatus,
)
from households.importing.columns import ROSTER_COLUMNS
from households.importing.service import (
    LABELS,
    ImportResult,
    RosterImport,
    parse_poverty_attribute,
    parse_poverty_cause,
    parse_relation,
)
from households.models import Household, Member

__all__ = ["HouseholdResource", "MemberRosterResource"]


class ParserWidget(widgets.Widget):
    """A widget that cleans a cell with one of the import's parsers and renders roster text."""

    def __init__(self, parse, labels: dict[str, str] | None = None) -> None:
        super().__init__(coerce_to_string=True)
        self.parse = parse
        self.labels = labels or {}

    def clean(self, value, row=None, **kwargs):
        try:
            return self.parse(value)
        except CellError as exc:
            raise ValueError(exc.message) from None

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.labels.get(value, str(value))


class YesNoWidget(ParserWidget):
    def __init__(self) -> None:
        super().__init__(to_bool)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else ("是" if value else "否")


def _place(member_or_household, depth: int) -> str:
    """县 (depth 3), 乡镇 (2) or 村 (1) from the village's full name (no extra query)."""
    village = (
        member_or_household.household.village
        if isinstance(member_or_household, Member)
        else member_or_household.village
    )
    parts = village.path.split("/")
    return parts[-depth] if len(parts) >= depth else ""


def sheet_from_dataset(dataset) -> Any:
    """The dataset as the service's reader sees a file whose header is in row 1."""
    table = RawTable(
        rows=[list(dataset.headers or []), *[list(r) for r in dataset]], source_format=""
    )
    return parse_table(table, ROSTER_COLUMNS)


class MemberRosterResource(resources.ModelResource):
    """One row per member, under the roster's Chinese headers; imports through the service.

    ``import_data(dataset, dry_run=..., user=..., skip_invalid=...)``: ``user`` scopes the
    import as in ``roster_import`` (``None`` is an unscoped operator run).
    """

    dry_run = False
    roster: RosterImport | None = None

    county = fields.Field(column_name="县", readonly=True)
    township = fields.Field(column_name="乡镇", readonly=True)
    village = fields.Field(column_name="村", readonly=True)
    household_number = fields.Field(
        attribute="household__number", column_name="户编号", readonly=True
    )
    name = fields.Field(attribute="name", column_name="姓名")
    sex = fields.Field(attribute="sex", column_name="性别", widget=ParserWidget(str, SEX_LABELS))
    id_number = fields.Field(attribute="id_number_masked", column_name="证件号码", readonly=True)
    relation = fields.Field(
        attribute="relation",
        column_name="与户主关系",
        widget=ParserWidget(parse_relation, RELATION_LABELS),
    )
    ethnicity = fields.Field(attribute="ethnicity", column_name="民族")
    phone = fields.Field(attribute="phone", column_name="联系电话")
    poverty_attribute = fields.Field(
        attribute="household__poverty_attribute",
        column_name="贫困户属性",
        widget=ParserWidget(parse_poverty_attribute, ATTRIBUTE_LABELS),
        readonly=True,
    )
    poverty_cause = fields.Field(
        attribute="household__poverty_cause",
        column_name="主要致贫原因",
        widget=ParserWidget(parse_poverty_cause, CAUSE_LABELS),
        readonly=True,
    )
    illness_caused = fields.Field(
        attribute="household__illness_caused",
        column_name="是否因病致贫",
        widget=YesNoWidget(),
        readonly=True,
    )
    lifted_year = fields.Field(
        attribute="household__lifted_year",
        column_name="脱贫年度",
        widget=ParserWidget(to_year),
        readonly=True,
    )
    diseases = fields.Field(column_name="患病情况", readonly=True)
    card_number = fields.Field(column_name="慢病卡号", readonly=True)

    class Meta:
        model = Member
        fields = (
            "county",
            "township",
            "village",
            "household_number",
            "name",
            "sex",
            "id_number",
            "relation",
            "ethnicity",
            "phone",
            "poverty_attribute",
            "poverty_cause",
            "illness_caused",
            "lifted_year",
            "diseases",
            "card_number",
        )
        export_order = fields
        import_id_fields = ("id_number",)
        skip_diff = False
        skip_html_diff = True
        use_transactions = True

    # -- export ----------------------------------------------------------------------------------

    def get_queryset(self):
        return Member.objects.select_related("household__village").prefetch_related(
            "diseases", "special_cards"
        )

    def dehydrate_county(self, member: Member) -> str:
        return _place(member, 3)

    def dehydrate_township(self, member: Member) -> str:
        return _place(member, 2)

    def dehydrate_village(self, member: Member) -> str:
        return _place(member, 1)

    def dehydrate_diseases(self, member: Member) -> str:
        names = [disease.name for disease in member.diseases.all()]
        return "、".join(names) if names else "健康"

    def dehydrate_card_number(self, member: Member) -> str:
        return "、".join(card.number for card in member.special_cards.all())

    # -- import: the service's stages inside import-export's workflow ----------------------------

    def import_data(self, dataset, dry_run=False, *args, **kwargs):
        # before_import() and an empty dataset's after_import() are not told about dry runs.
        self.dry_run = dry_run
        return super().import_data(dataset, dry_run, *args, **kwargs)

    def before_import(self, dataset, **kwargs):
        self.roster = None
        user = kwargs.get("user")
        if user is not None and not can_write_registry(user):
            raise PermissionDenied(_("Your role may not import rosters."))
        try:
            sheet = sheet_from_dataset(dataset)
        except FileRefused as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        # Canonical headers, so import-export finds its columns whatever spelling the file used.
        headers = list(dataset.headers)
        for key, index in sheet.columns.items():
            headers[index] = LABELS[key]
        dataset.headers = headers
        self.import_result = ImportResult(
            filename=kwargs.get("file_name", "") or "",
            dry_run=self.dry_run,
            skip_invalid=bool(kwargs.get("skip_invalid")),
        )
        self.roster = RosterImport(sheet, by=user, result=self.import_result)
        self.roster.normalise()
        self.roster.plan()
        self.rows_by_number = {row.number: row for row in self.roster.rows}
        self.errors_by_number: dict[int, list] = {}
        for error in self.import_result.errors:
            self.errors_by_number.setdefault(error.row, []).append(error)
        self.rejected = {
            number: message for number, _c, message in self.import_result.rejected_rows
        }

    def import_row(self, row, instance_loader, **kwargs):
        number = kwargs["row_number"] + 1  # the header is sheet row 1
        row_result = self.get_row_result_class()()
        row_result.row_values = row
        if self.roster is None:  # before_import refused the file; its error is reported
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
            return row_result
        parsed = self.rows_by_number.get(number)
        if parsed is None:  # a blank row: the reader skipped it
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
            return row_result
        row_result.object_repr = (
            f"{parsed.name} ({parsed.masked})" if parsed.masked else parsed.name
        )
        if parsed.pk is not None:  # the registered person the row names (not written yet)
            row_result.object_id = parsed.pk
        errors = self.errors_by_number.get(number)
        if errors or number in self.rejected:
            messages: dict[str, list[str]] = OrderedDict()
            for error in errors or ():
                messages.setdefault(error.column, []).append(error.message)
            if not errors:
                messages["__all__"] = [self.rejected[number]]
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = ValidationError(messages)
            return row_result
        outcome = self.import_result.row_outcomes.get(number)
        row_result.import_type = {
            "created": RowResult.IMPORT_TYPE_NEW,
            "updated": RowResult.IMPORT_TYPE_UPDATE,
        }.get(outcome, RowResult.IMPORT_TYPE_SKIP)
        row_result.diff = [
            parsed.source.cells.get(key) if key != "id_number" else parsed.masked
            for key in (spec.key for spec in ROSTER_COLUMNS)
        ]
        return row_result

    def get_diff_headers(self):
        return [spec.label for spec in ROSTER_COLUMNS]

    def after_import(self, dataset, result, **kwargs):
        if self.dry_run or self.roster is None or not self.roster.rows:
            return
        if self.import_result.errors and not self.import_result.skip_invalid:
            return  # all or nothing
        with transaction.atomic():
            self.roster.write()
        self.import_result.applied = True


class HouseholdResource(resources.ModelResource):
    """Households under the roster's headers; importing updates their poverty columns.

    An import only updates households that exist and lie in the user's area (pass ``user`` to
    ``import_data``); new households come in through the roster, which has their members.
    """

    number = fields.Field(attribute="number", column_name="户编号", readonly=True)
    county = fields.Field(column_name="县", readonly=True)
    township = fields.Field(column_name="乡镇", readonly=True)
    village = fields.Field(column_name="村", readonly=True)
    poverty_attribute = fields.Field(
        attribute="poverty_attribute",
        column_name="贫困户属性",
        widget=ParserWidget(parse_poverty_attribute, ATTRIBUTE_LABELS),
    )
    poverty_cause = fields.Field(
        attribute="poverty_cause",
        column_name="主要致贫原因",
        widget=ParserWidget(parse_poverty_cause, CAUSE_LABELS),
    )
    illness_caused = fields.Field(
        attribute="illness_caused", column_name="是否因病致贫", widget=YesNoWidget()
    )
    lifted_year = fields.Field(
        attribute="lifted_year", column_name="脱贫年度", widget=ParserWidget(to_year)
    )
    members = fields.Field(column_name="人数", readonly=True)

    class Meta:
        model = Household
        fields = (
            "number",
            "county",
            "township",
            "village",
            "poverty_attribute",
            "poverty_cause",
            "illness_caused",
            "lifted_year",
            "members",
        )
        export_order = fields
        import_id_fields = ("number",)
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, user=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user

    def get_queryset(self):
        queryset = Household.objects.select_related("village")
        if self.user is not None:
            queryset = queryset.visible_to(self.user)
        return queryset

    def dehydrate_county(self, household: Household) -> str:
        return _place(household, 3)

    def dehydrate_township(self, household: Household) -> str:
        return _place(household, 2)

    def dehydrate_village(self, household: Household) -> str:
        return _place(household, 1)

    def dehydrate_members(self, household: Household) -> int:
        count = getattr(household, "member_count", None)
        return count if count is not None else household.members.count()

    def before_import(self, dataset, **kwargs):
        user = kwargs.get("user") or self.user
        if user is not None and not can_write_registry(user):
            raise PermissionDenied(_("Your role may not import rosters."))
        self.user = user

    def get_instance(self, instance_loader, row):
        number = "".join(str(row.get("户编号") or "").split())
        return self.get_queryset().filter(number=number).first()

    def import_instance(self, instance, row, **kwargs):
        self._before = audit.snapshot(instance) if instance.pk else None
        super().import_instance(instance, row, **kwargs)
        if "lifted_year" in self.fields and "脱贫年度" in row:
            if instance.lifted_year is not None:
                instance.status = PovertyStatus.LIFTED
            elif instance.status == PovertyStatus.LIFTED:
                instance.status = PovertyStatus.REGISTERED

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not instance.pk:  # not in the register, or outside the user's area
            return True
        return super().skip_row(instance, original, row, import_validation_errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        if self._is_dry_run(kwargs):
            return
        instance.save()
        audit.record_update(
            instance, self._before, by=self.user, message=_("Updated by a household import")
        )
