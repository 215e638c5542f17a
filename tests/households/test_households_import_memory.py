"""The roster import's memory grows by a bounded amount a row (issue 13: imports in flat memory).

Measured with tracemalloc, which counts Python's allocations whatever the machine: the peak of
an import of ``2 * N`` rows minus the peak of ``N`` rows, divided by ``N``, is what one more
row costs.  Before the import streamed its rows this was about 4 KB (334 MB for 50,000 rows);
the rows are now read lazily, kept slotted with shared values, and written in chunks.
"""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc

from healthaid.idnumbers import make_id_number
from households.importing.service import roster_import
from households.models import Member
from tests.households.test_households_import_fixtures import PLAIN_HEADER, csv_bytes

PLACES = (["元谋县", "元马", "能禹村"], ["元谋", "元马镇", "丙间村委会"])
BYTES_PER_ROW = 3000
"""What one more row may cost at the peak.  Measured with this test at 800 and 1,600 rows:
4,463 bytes before the import streamed, 2,220 after; at 400 and 800 rows (as it runs now)
about 2,300 on SQLite and 2,850-3,020 on PostgreSQL (its driver's buffers) until the rows
were packed (issue 13, 500,000 rows: the row's texts in one bytes object, the blind index as
32 bytes, outcomes one byte a row, shared household values).  Then: 1,760-1,790 on SQLite
and 2,360 on PostgreSQL run alone, 1,930 and 2,750 after the service and bulk tests in the
same session (3,000 on PostgreSQL before the packing).  At this size the peak still holds the
chunked parts whole (the audit rows are saved 5,000 at a time, the inserts made 5,000 at a
time), which a large file does not: a prefecture's 500,000 rows grow the process by about
0.55 KB a row."""


def _rows(count: int, start: int) -> list[list]:
    rows = []
    for n in range(start, start + count):
        household = f"53232810120{n // 3:05d}"
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=n % 20000)
        place = PLACES[(n // 3) % 2]
        rows.append(
            [
                *place,
                household,
                f"李{n % 97}",
                None,
                make_id_number("532328", birth, n % 900 + 1),
                "户主" if n % 3 == 0 else "之子",
                "彝族",
                None,
                "一般贫困户",
                "因病",
                "是",
                2019,
                "高血压、糖尿病" if n % 4 == 0 else None,
                None,
            ]
        )
    return rows


def _peak(rows: list[list], user, *, unchanged: bool = False) -> int:
    data = csv_bytes(rows, encoding="utf-8", header=PLAIN_HEADER)
    gc.collect()
    tracemalloc.start()
    try:
        result = roster_import(source=data, filename="roster.csv", by=user)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.applied, result.errors[:3]
    if unchanged:
        assert result.members.unchanged == len(rows), result.members.as_dict()
    return peak - len(data)


def test_memory_per_row_is_bounded(users, tree):
    small = 400
    peak_small = _peak(_rows(small, 0), users.county_staff)
    Member.objects.all().delete()
    peak_large = _peak(_rows(2 * small, 10_000), users.county_staff)
    assert Member.objects.count() == 2 * small
    per_row = (peak_large - peak_small) / small
    assert per_row < BYTES_PER_ROW, f"{per_row:.0f} bytes a row"


REIMPORT_BYTES_PER_ROW = 2000
"""What one more row may cost at the peak of a re-import of the same file over itself
(everything unchanged).  Measured with this test at 400 and 800 rows on SQLite: 2,583 bytes
while every registered person met was held as a dict (with a set and a dict in it), 1,623-1,632
since they are compared as they are looked up (docs/BENCHMARKS.md, "Re-importing 500,000 rows
over themselves")."""


def _reimport_peak(rows: list[list], user) -> int:
    first = roster_import(
        source=csv_bytes(rows, encoding="utf-8", header=PLAIN_HEADER),
        filename="roster.csv",
        by=user,
    )
    assert first.applied and first.members.created == len(rows)
    return _peak(rows, user, unchanged=True)


def test_reimport_memory_per_row_is_bounded(users, tree):
    """The registered people a re-import meets are compared as they are looked up, not held
    as a dict each (850 MB for a prefecture's 500,000)."""
    small = 400
    peak_small = _reimport_peak(_rows(small, 0), users.county_staff)
    Member.objects.all().delete()
    peak_large = _reimport_peak(_rows(2 * small, 10_000), users.county_staff)
    per_row = (peak_large - peak_small) / small
    assert per_row < REIMPORT_BYTES_PER_ROW, f"{per_row:.0f} bytes a row"
