from django.db import migrations

# The derived tables' village codes compare byte by byte on PostgreSQL (collation "C"). They
# are digits, so the order is the same as the database's own collation; but a collation like
# C.UTF-8 or en_US.UTF-8 compares through the C library, a call per comparison, and the
# figures statement compares every row it reads against the area's range (and its indexes
# every key they pass): the prefecture demo's ten county statements took 2-9% less, switched
# back and forth three times (docs/BENCHMARKS.md). SQLite compares bytes already (BINARY).
#
# Not ``db_collation`` on the fields: SQLite has no collation named "C", and one the two
# databases share does not exist. So the state does not know, and a later AlterField of one
# of these columns would give it the database's collation again:
# tests/contracts/test_contracts_area_bounds.py checks the columns.
TABLES = (
    "contracts_targetmember",
    "contracts_contractspan",
    "contracts_owedslots",
    "contracts_oweddiseaseslots",
)


def _collate(schema_editor, collation: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        # The same type, another collation: no table rewrite; the column's indexes are
        # rebuilt (about a second for the prefecture demo's 2 million rows).
        schema_editor.execute(
            f"ALTER TABLE {table} ALTER COLUMN village TYPE varchar(12) COLLATE {collation}"
        )


def byte_order(apps, schema_editor):
    _collate(schema_editor, '"C"')


def database_order(apps, schema_editor):
    _collate(schema_editor, 'pg_catalog."default"')


class Migration(migrations.Migration):
    dependencies = [("contracts", "0008_warm_figures_schedule")]

    operations = [migrations.RunPython(byte_order, database_order)]
