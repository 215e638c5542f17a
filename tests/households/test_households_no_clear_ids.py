"""The database never holds a full ID number in clear: not in any table, log or job row.

Members are created and changed every way the registry allows (services, form pages, API),
their numbers revealed and exported in full, a duplicate refused; then every text column of
every table (Member, AuditLog, Job, sessions, ...) is scanned for each number.
"""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from healthaid.choices import AuditAction, JobStatus
from healthaid.idnumbers import make_id_number
from healthaid.models import AuditLog, Job
from households import services
from households.models import Member
from tests.households.exporting import run_export

pytestmark = pytest.mark.django_db(transaction=False)


def every_text_cell():
    """(table, column, value) of every non-empty text-like cell in the database."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # table names from the schema
            columns = [col[0] for col in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    if isinstance(value, str) and value:
                        yield table, column, value


def test_no_table_holds_a_clear_id_number(users, tree, registry, client_as, api_as):
    numbers = [
        make_id_number("532328", datetime.date(1960 + i, 1 + i, 10 + i), 100 + i) for i in range(5)
    ]
    household = registry.households["village"]
    # 1. The service, with the number typed as Excel users do.
    first = services.member_create(
        household=household,
        name="甲",
        id_number=f" {numbers[0][:6]} {numbers[0][6:].lower()}",
        by=users.county_staff,
    )
    # 2. The API.
    response = api_as(users.county_staff).post(
        "/api/v1/members/",
        {"household": household.pk, "name": "乙", "id_number": numbers[1]},
        format="json",
    )
    assert response.status_code == 201
    # 3. The form page, then an edit that changes the number.
    client = client_as(users.county_staff)
    client.post(
        reverse("households:member-create", args=[household.pk]),
        {"name": "丙", "id_number": numbers[2], "relation": "son", "health_status": "healthy"},
    )
    third = Member.objects.get(name="丙")
    client.post(
        reverse("households:member-edit", args=[third.pk]),
        {"name": "丙", "id_number": numbers[3], "relation": "son", "health_status": "healthy"},
    )
    third.refresh_from_db()
    assert third.id_number_masked.endswith(numbers[3][-4:])
    # 4. A duplicate is refused (its message must not carry the number either).
    refused = client.post(
        reverse("households:member-create", args=[household.pk]),
        {"name": "丁", "id_number": numbers[0], "relation": "son", "health_status": "healthy"},
    )
    assert refused.status_code == 200
    # 5. Reveals on the page and the API, and a full-number export.
    assert (
        numbers[0]
        in client.post(reverse("households:member-reveal", args=[first.pk])).content.decode()
    )
    reveal = api_as(users.village_doctor).post(f"/api/v1/members/{first.pk}/reveal-id/")
    assert reveal.json()["id_number"] == numbers[0]
    export = run_export(client, "member", {"full_ids": "1"})
    assert export.status_code == 200
    b"".join(export.streaming_content)
    # 6. A job row of the kind the import writes, with its summary.
    Job.objects.create(kind="households.import", status=JobStatus.SUCCEEDED, result={"rows": 3})
    # 7. Deleting a member keeps an audit snapshot.
    services.member_delete(member=third, by=users.county_staff)
    # Each number as stored canonically and as typed in lower case.
    needles = {n for number in numbers for n in (number, number.lower())}
    assert AuditLog.objects.filter(action=AuditAction.REVEAL).count() == 2
    assert AuditLog.objects.filter(action=AuditAction.EXPORT).count() == 1
    cells = list(every_text_cell())
    tables = {table for table, _column, _value in cells}
    assert {"households_member", "healthaid_auditlog", "healthaid_job"} <= tables
    leaks = [
        (table, column) for table, column, value in cells for needle in needles if needle in value
    ]
    assert leaks == []
    # The scan does see the member rows: their masked numbers are there.
    assert any(
        first.id_number_masked in value
        for table, _c, value in cells
        if table == "households_member"
    )
