"""Derived rows the county figures read instead of recomputing every member's schedule and
contracts on every view: ``ContractSpan``, ``OwedSlots`` and ``OwedDiseaseSlots``.

* **Spans**: per member, the runs of days their contracts are in effect (contracts end to
  end make one run), with their team when the member has only one, and the member's village
  and the key-group fields that do not depend on the day. A period's contracted people are
  the spans that overlap it, each member once, without grouping 75,000 contracts by member.
* **Owed slots**: per member with a ruled disease, one row per frequency, calendar year and
  team (and one per disease and year) with, as 12-bit month masks (bit 0 = January), the
  first months ("slots") of the windows the member owes that year (covered by a contract,
  from the diagnosis on), those of them with a visit inside, and the year's last visit. They
  are ``contracts.schedules.member_windows`` itself, run over every year the member's
  contracts touch, so they follow its rules by construction; what depends on the period and
  on ``today`` (which windows have opened) is applied when reading
  (``contracts.selectors.contract_figures``).

The rows depend on a member's contracts, visits, ruled diseases (and the rules), household
and its village, birth date, pregnancy, disability and 4-a-year diseases. Every writer of
those calls ``refresh_owed(member_ids)`` (the registry through
``households.signals.members_changed``) inside its transaction, after its writes, so the
rows are never stale; ``rebuild_owed()`` (``manage.py rebuild_contract_figures``) recomputes
them all.

Members without a contract have no rows, so a caller may pass any member ids: those with
neither a contract nor rows cost one look-up for all of them together (the 50,000 new
members of a first roster import: a few milliseconds).
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from contracts.schedules import Cover, member_windows
from households.signals import sorted_member_ids

__all__ = [
    "diagnosis_saved_receiver",
    "household_saved_receiver",
    "member_saved_receiver",
    "members_changed_receiver",
    "owed_rows",
    "rebuild_owed",
    "refresh_owed",
    "refresh_owed_for_diseases",
    "refresh_targets",
    "refresh_targets_of_households",
]

FAR_FUTURE = datetime.date(9999, 12, 31)
DAY = datetime.timedelta(days=1)
_DONE = "done"
# Key-group diseases: the catalogue's ``key4`` category and whatever it schedules four times a
# year (``contracts.selectors.key_group_q`` reads the same live).
KEY4_CATEGORY = "key4"

# Raw SQL over the tables: the functions also serve the migration that fills the tables.
_SPAN = "contracts_contractspan"
_SLOTS = "contracts_owedslots"
_DISEASE_SLOTS = "contracts_oweddiseaseslots"
_RULE = "contracts_followuprule"
_CONTRACT = "contracts_contract"
_FOLLOW_UP = "contracts_followup"
_MEMBER = "households_member"
_HOUSEHOLD = "households_household"
_MEMBER_DISEASE = "households_memberdisease"
_DISEASE = "households_disease"
_TARGET = "contracts_targetmember"

_INSERT = {
    _SPAN: (
        "member_id",
        "village",
        "team_id",
        "starts_on",
        "ends_on",
        "previous_ends_on",
        "birth_date",
        "key_person",
    ),
    _SLOTS: (
        "member_id",
        "village",
        "household_id",
        "per_year",
        "year",
        "team_id",
        "slots",
        "done",
        "last_visit_on",
    ),
    _DISEASE_SLOTS: (
        "member_id",
        "village",
        "disease_id",
        "per_year",
        "year",
        "slots",
        "done",
        "last_visit_on",
    ),
}


@dataclass
class Rows:
    """Parameter tuples of the three tables, in the columns of ``_INSERT``."""

    spans: list[tuple] = field(default_factory=list)
    slots: list[tuple] = field(default_factory=list)
    disease_slots: list[tuple] = field(default_factory=list)


def _ids_filter(column: str, ids: list[int]) -> tuple[str, list]:
    """``column`` among ``ids`` as one parameter whatever their number: an array on
    PostgreSQL, a JSON list on SQLite (thousands of placeholders cost more than the query)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", ["{%s}" % ",".join(map(str, ids))]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _date(value) -> datetime.date | None:
    # Raw SQLite rows hold dates as ISO text.
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _spans(member_id: int, person: tuple, covers: list[Cover]) -> list[tuple]:
    """A member's runs of contract days (see ``ContractSpan``)."""
    village, birth_date, key_person = person
    teams = {cover.team_id for cover in covers}
    if len(teams) > 1 or any(cover.end < cover.start for cover in covers):
        # The counts read this member's contracts: a row for the village and key group.
        first = min(cover.start for cover in covers)
        last = max(max(cover.start, cover.end) for cover in covers)
        return [(member_id, village, None, first, last, None, birth_date, key_person)]
    team_id = teams.pop()
    runs: list[list[datetime.date]] = []
    for cover in sorted(covers, key=lambda c: c.start):
        if runs and cover.start <= runs[-1][1] + DAY:
            runs[-1][1] = max(runs[-1][1], cover.end)
        else:
            runs.append([cover.start, cover.end])
    rows, previous = [], None
    for first, last in runs:
        rows.append((member_id, village, team_id, first, last, previous, birth_date, key_person))
        previous = last
    return rows


def owed_rows(member_ids: list[int] | None) -> Rows:
    """The rows of the three tables for ``member_ids`` (``None``: every member). Six queries."""
    rows = Rows()
    if member_ids is not None and not member_ids:
        return rows

    def where(column: str) -> tuple[str, list]:
        if member_ids is None:
            return "1 = 1", []
        return _ids_filter(column, member_ids)

    clause, params = where("member_id")
    covers: dict[int, list[Cover]] = defaultdict(list)
    for member_id, valid_from, valid_to, terminated_on, team_id, contract_id in _fetch(
        f"SELECT member_id, valid_from, valid_to, terminated_on, team_id, id FROM {_CONTRACT}"
        f" WHERE {clause}",
        params,
    ):
        valid_from, valid_to, terminated_on = (
            _date(valid_from),
            _date(valid_to),
            _date(terminated_on),
        )
        ends = terminated_on if terminated_on and terminated_on < valid_to else valid_to
        covers[member_id].append(Cover(valid_from, ends, team_id, contract_id))
    if not covers:
        return rows
    contracted = sorted(covers)
    clause, params = _ids_filter("m.id", contracted)
    key4 = {
        member_id
        for (member_id,) in _fetch(
            f"SELECT DISTINCT d.member_id FROM {_MEMBER_DISEASE} d"
            f" JOIN {_DISEASE} c ON c.id = d.disease_id JOIN {_MEMBER} m ON m.id = d.member_id"
            f" WHERE (c.category = %s OR c.follow_ups_per_year = 4) AND {clause}",
            [KEY4_CATEGORY, *params],
        )
    }
    people, households = {}, {}
    for member_id, village, household_id, birth_date, pregnant, disabled in _fetch(
        f"SELECT m.id, h.village_id, m.household_id, m.birth_date, m.pregnant, m.disabled"
        f" FROM {_MEMBER} m JOIN {_HOUSEHOLD} h ON h.id = m.household_id WHERE {clause}",
        params,
    ):
        key_person = bool(pregnant or disabled) or member_id in key4
        people[member_id] = (village, _date(birth_date), key_person)
        households[member_id] = household_id
    for member_id in contracted:
        rows.spans += _spans(member_id, people[member_id], covers[member_id])

    rules = dict(_fetch(f"SELECT disease_id, visits_per_year FROM {_RULE}", []))
    if not rules:
        return rows
    clause, params = _ids_filter("d.member_id", contracted)
    diseases: dict[int, list[tuple[int, datetime.date | None]]] = defaultdict(list)
    for member_id, disease_id, diagnosed_on in _fetch(
        f"SELECT d.member_id, d.disease_id, d.diagnosed_on FROM {_MEMBER_DISEASE} d"
        f" JOIN {_RULE} r ON r.disease_id = d.disease_id WHERE {clause}",
        params,
    ):
        diseases[member_id].append((disease_id, _date(diagnosed_on)))
    if not diseases:
        return rows
    clause, params = _ids_filter("member_id", sorted(diseases))
    visits: dict[int, list[datetime.date]] = defaultdict(list)
    for member_id, visited_on in _fetch(
        f"SELECT member_id, visited_on FROM {_FOLLOW_UP} WHERE {clause}"
        " ORDER BY member_id, visited_on",
        params,
    ):
        visits[member_id].append(_date(visited_on))

    for member_id, member_diseases in diseases.items():
        member_covers = covers[member_id]
        village, household_id = people[member_id][0], households[member_id]
        member_visits = visits.get(member_id, [])
        first_year = min(cover.start.year for cover in member_covers)
        last_year = max(max(cover.start, cover.end).year for cover in member_covers)
        windows = member_windows(
            diseases=member_diseases,
            rules=rules,
            covers=member_covers,
            visits=member_visits,
            start=datetime.date(first_year, 1, 1),
            end=datetime.date(last_year, 12, 31),
            today=FAR_FUTURE,
        )
        if not windows:
            continue
        last_visit: dict[int, datetime.date] = {}
        for visited_on in member_visits:
            last_visit[visited_on.year] = visited_on
        by_team: dict[tuple[int, int, int], list[int]] = {}
        by_disease: dict[tuple[int, int, int], list[int]] = {}
        for window in windows:
            bit = 1 << (window.start.month - 1)
            done = bit if window.status == _DONE else 0
            year = window.start.year
            masks = by_team.setdefault((window.per_year, year, window.team_id), [0, 0])
            masks[0] |= bit
            masks[1] |= done
            for disease_id in window.disease_ids:
                masks = by_disease.setdefault((disease_id, window.per_year, year), [0, 0])
                masks[0] |= bit
                masks[1] |= done
        for (per_year, year, team_id), (slots, done) in by_team.items():
            rows.slots.append(
                (
                    member_id,
                    village,
                    household_id,
                    per_year,
                    year,
                    team_id,
                    slots,
                    done,
                    last_visit.get(year),
                )
            )
        for (disease_id, per_year, year), (slots, done) in by_disease.items():
            rows.disease_slots.append(
                (member_id, village, disease_id, per_year, year, slots, done, last_visit.get(year))
            )
    return rows


def _insert(rows: Rows) -> None:
    with connection.cursor() as cursor:
        for table, values in (
            (_SPAN, rows.spans),
            (_SLOTS, rows.slots),
            (_DISEASE_SLOTS, rows.disease_slots),
        ):
            if values:
                columns = _INSERT[table]
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)})"
                    f" VALUES ({', '.join(['%s'] * len(columns))})",
                    values,
                )


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as runs of consecutive ones (an import's new members are one run)."""
    ranges: list[list[int]] = []
    for pk in ids:
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return [(low, high) for low, high in ranges]


def _with_contract_or_rows(ids: list[int]) -> list[int]:
    """Those of ``ids`` with a contract, or with rows left from one (a contract deleted):
    the members to recompute. Every member with a contract has a span once its writer has
    refreshed it, so the spans stand for all three tables.

    The ids go as runs of consecutive ones, each probed by an index range scan, so the
    50,000 new members of a roster import (one or a few runs) cost about a millisecond,
    not a 50,000-element array for the planner to read."""
    source, params, low, high = _id_ranges_source(ids)
    return [
        row[0]
        for row in _fetch(
            f"SELECT c.member_id FROM {source}"
            f" JOIN {_CONTRACT} c ON c.member_id BETWEEN {low} AND {high}"
            f" UNION SELECT s.member_id FROM {source}"
            f" JOIN {_SPAN} s ON s.member_id BETWEEN {low} AND {high}",
            params + params,
        )
    ]


def _id_ranges_source(ids: list[int]) -> tuple[str, list, str, str]:
    """SQL: ``ids`` as a row source of (low, high) runs of consecutive ids (one parameter, or
    two, whatever their number), with the expressions of a run's first and last id."""
    ranges = _ranges(ids)
    if connection.vendor == "postgresql":
        source = "unnest(%s::bigint[], %s::bigint[]) AS r(low, high)"
        params = [
            "{%s}" % ",".join(str(low) for low, _high in ranges),
            "{%s}" % ",".join(str(high) for _low, high in ranges),
        ]
        return source, params, "r.low", "r.high"
    source = "json_each(%s) AS r"
    params = [json.dumps(ranges)]
    return source, params, "json_extract(r.value, '$[0]')", "json_extract(r.value, '$[1]')"


# A member's target row from the registry: the household's village, the birth date, and
# whether they are a key person whatever the day (``contracts.selectors.key_group_q``).
_TARGET_SELECT = f"""SELECT m.id, h.village_id, m.birth_date,
    CASE WHEN m.pregnant OR m.disabled OR EXISTS (
        SELECT 1 FROM {_MEMBER_DISEASE} d JOIN {_DISEASE} c ON c.id = d.disease_id
        WHERE d.member_id = m.id AND (c.category = %s OR c.follow_ups_per_year = 4)
    ) THEN TRUE ELSE FALSE END
FROM {{source}} JOIN {_HOUSEHOLD} h ON h.id = m.household_id"""

# (SQLite needs the SELECT's WHERE to tell the upsert's ON from a join's.)
_TARGET_UPSERT = f"""INSERT INTO {_TARGET} (member_id, village, birth_date, key_person)
{{select}} WHERE {{where}}
ON CONFLICT (member_id) DO UPDATE SET
    village = excluded.village, birth_date = excluded.birth_date,
    key_person = excluded.key_person
WHERE {_TARGET}.village <> excluded.village OR {_TARGET}.birth_date <> excluded.birth_date
    OR {_TARGET}.key_person <> excluded.key_person"""


def refresh_targets(member_ids: Iterable[int]) -> set[str]:
    """Bring the target rows (``TargetMember``) of ``member_ids`` in line with the registry:
    one statement whatever their number (an import's new members are one run of ids, read
    by one index range; two on SQLite). Deleted members' rows go with them (a foreign key's
    cascade). Returns the villages whose people changed: the old and the new village of
    every row written."""
    ids = sorted_member_ids(member_ids)
    if not ids:
        return set()
    source, params, low, high = _id_ranges_source(ids)
    select = _TARGET_SELECT.format(
        source=f"{source} JOIN {_MEMBER} m ON m.id BETWEEN {low} AND {high}"
    )
    return _upsert_targets(
        _TARGET_UPSERT.format(select=select, where="1 = 1"),
        [KEY4_CATEGORY, *params],
        f"SELECT t.member_id, t.village FROM {source}"
        f" JOIN {_TARGET} t ON t.member_id BETWEEN {low} AND {high}",
        params,
    )


def refresh_targets_of_households(household_ids: Iterable[int]) -> set[str]:
    """``refresh_targets`` for every member of ``household_ids`` (a household moved)."""
    ids = sorted({int(pk) for pk in household_ids})
    if not ids:
        return set()
    clause, params = _ids_filter("m.household_id", ids)
    select = _TARGET_SELECT.format(source=f"{_MEMBER} m")
    return _upsert_targets(
        _TARGET_UPSERT.format(select=select, where=clause),
        [KEY4_CATEGORY, *params],
        f"SELECT t.member_id, t.village FROM {_TARGET} t"
        f" JOIN {_MEMBER} m ON m.id = t.member_id WHERE {clause}",
        params,
    )


def _upsert_targets(upsert: str, params: list, old: str, old_params: list) -> set[str]:
    """Run the target rows' ``upsert``; the old (``old``: member, village of the rows before)
    and new villages of the rows it wrote. PostgreSQL reads the rows before and writes them
    in one statement (its CTEs see the table as it was); SQLite, whose RETURNING gives only
    the new values, reads them first."""
    upsert += " RETURNING member_id, village"
    if connection.vendor == "postgresql":
        rows = _fetch(
            f"WITH old AS ({old}), up AS ({upsert})"
            " SELECT village FROM up"
            " UNION SELECT o.village FROM old o JOIN up u ON u.member_id = o.member_id",
            [*old_params, *params],
        )
        return {village for (village,) in rows}
    before = dict(_fetch(old, old_params))
    villages: set[str] = set()
    with connection.cursor() as cursor:
        cursor.execute(upsert, params)
        # Row by row: a prefecture's roster import writes 500,000 rows here, which as a list
        # of tuples took some 80 MB.
        for member, village in cursor:
            villages.add(village)
            if member in before:
                villages.add(before[member])
    return villages


def rebuild_targets() -> int:
    """Recompute every target row. Returns their number."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_TARGET}")
        cursor.execute(
            f"INSERT INTO {_TARGET} (member_id, village, birth_date, key_person) "
            + _TARGET_SELECT.format(source=f"{_MEMBER} m"),
            [KEY4_CATEGORY],
        )
        return cursor.rowcount


def drifted_targets() -> list[int]:
    """Members whose target row is missing or differs from the registry, and rows left
    without a member (none, if every writer keeps them)."""
    fresh = _TARGET_SELECT.format(source=f"{_MEMBER} m")
    stored = f"SELECT member_id, village, birth_date, key_person FROM {_TARGET}"
    rows = _fetch(
        f"SELECT id FROM ({fresh} EXCEPT {stored}) a"
        f" UNION SELECT member_id FROM ({stored} EXCEPT {fresh}) b",
        [KEY4_CATEGORY, KEY4_CATEGORY],
    )
    return sorted(row[0] for row in rows)


def refresh_owed(member_ids: Iterable[int]) -> int:
    """Recompute the rows of ``member_ids`` (any members: those with neither a contract nor
    rows are skipped after one query) and their target rows (``refresh_targets``, one
    more). Call it inside the writer's transaction, after its writes. Bumps the figures
    versions of the counties whose rows changed (``contracts.selectors.figures_changed``:
    the villages of the rows removed, the spans standing for the three tables, and of those
    written). Returns how many members' contract rows were recomputed."""
    ids = sorted_member_ids(member_ids)
    if not ids:
        _figures_changed(())
        return 0
    villages = refresh_targets(ids)
    affected = _with_contract_or_rows(ids)
    if not affected:
        _figures_changed(villages)
        return 0
    clause, params = _ids_filter("member_id", affected)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_SPAN} WHERE {clause} RETURNING village", params)
        villages.update(village for (village,) in cursor.fetchall())
        for table in (_SLOTS, _DISEASE_SLOTS):
            cursor.execute(f"DELETE FROM {table} WHERE {clause}", params)
    rows = owed_rows(affected)
    _insert(rows)
    villages.update(row[1] for row in rows.spans)
    villages.update(row[1] for row in rows.slots)
    _figures_changed(villages)
    return len(affected)


def _figures_changed(villages: Iterable[str]) -> None:
    from contracts.selectors import figures_changed

    figures_changed(villages)


def members_changed_receiver(sender, member_ids, **kwargs) -> None:
    """``households.signals.members_changed`` (connected in ``contracts.apps``): the rows,
    and the cached figures' versions (``refresh_owed``: the people counted changed too)."""
    refresh_owed(member_ids)


def member_saved_receiver(sender, instance, raw=False, **kwargs) -> None:
    """``post_save`` of a member: its target row, whoever saved it (the services also send
    ``members_changed``; a member written around them still counts at once)."""
    if not raw:
        _targets_changed(refresh_targets([instance.pk]))


def member_deleted_receiver(sender, instance, **kwargs) -> None:
    """``post_delete`` of a member: their target row, spans and owed slots went with them
    (foreign-key cascade), so nothing is left to return their village; their county's
    figures change all the same (one query: the household's village)."""
    from households.models import Household

    village = (
        Household.objects.filter(pk=instance.household_id)
        .values_list("village_id", flat=True)
        .first()
    )
    _targets_changed({village} if village else set())


def household_saved_receiver(sender, instance, created=False, raw=False, **kwargs) -> None:
    """``post_save`` of a household: its members' target rows follow its village (and the
    figures of both villages' counties)."""
    if not raw and not created:
        _targets_changed(refresh_targets_of_households([instance.pk]))


def diagnosis_saved_receiver(sender, instance, raw=False, **kwargs) -> None:
    """``post_save`` of a diagnosis: the member's key-group flag. (Deletes are not hooked:
    a receiver would make every bulk delete of diagnoses fetch and signal each row; the
    writers that delete diagnoses send ``members_changed``.)"""
    if not raw:
        _targets_changed(refresh_targets([instance.member_id]))


def _targets_changed(villages: set[str]) -> None:
    """The figures of the counties whose target rows a save changed, if any did."""
    if villages:
        _figures_changed(villages)


def refresh_owed_for_diseases(disease_ids: Iterable[int]) -> int:
    """After a rule or a catalogue change: recompute the members diagnosed with
    ``disease_ids``."""
    ids = sorted({int(pk) for pk in disease_ids})
    if not ids:
        return 0
    clause, params = _ids_filter("disease_id", ids)
    members = [
        row[0]
        for row in _fetch(
            f"SELECT DISTINCT member_id FROM {_MEMBER_DISEASE} WHERE {clause}", params
        )
    ]
    return refresh_owed(members)


def rebuild_owed() -> int:
    """Recompute every row (the management command, the demo, the migration). Returns how
    many members have rows."""
    with connection.cursor() as cursor:
        for table in (_SPAN, _SLOTS, _DISEASE_SLOTS):
            cursor.execute(f"DELETE FROM {table}")
    rows = owed_rows(None)
    _insert(rows)
    return len({row[0] for row in rows.spans})


_DATE_COLUMNS = {
    _SPAN: {"starts_on", "ends_on", "previous_ends_on", "birth_date"},
    _SLOTS: {"last_visit_on"},
    _DISEASE_SLOTS: {"last_visit_on"},
}


def stored_rows(member_ids: list[int] | None = None) -> Rows:
    """The rows the tables hold (``None``: all), in ``owed_rows``' form, sorted."""
    rows = Rows()
    for table, target in (
        (_SPAN, rows.spans),
        (_SLOTS, rows.slots),
        (_DISEASE_SLOTS, rows.disease_slots),
    ):
        clause, params = (
            ("1 = 1", []) if member_ids is None else _ids_filter("member_id", member_ids)
        )
        columns = _INSERT[table]
        dates = [column in _DATE_COLUMNS[table] for column in columns]
        target += [
            tuple(_date(v) if is_date else v for v, is_date in zip(row, dates, strict=True))
            for row in _fetch(f"SELECT {', '.join(columns)} FROM {table} WHERE {clause}", params)
        ]
    return _sorted(rows)


def _sorted(rows: Rows) -> Rows:
    def key(row):
        return tuple((value is None, value if value is not None else 0) for value in row)

    return Rows(
        sorted(((*r[:7], bool(r[7])) for r in rows.spans), key=key),
        sorted(rows.slots, key=key),
        sorted(rows.disease_slots, key=key),
    )


def drifted_members() -> list[int]:
    """Members whose stored rows differ from recomputed ones (none, if every writer keeps
    them): ``manage.py rebuild_contract_figures --check`` and the tests."""
    stored, fresh = stored_rows(), _sorted(owed_rows(None))
    drifted = set()
    for have, want in (
        (stored.spans, fresh.spans),
        (stored.slots, fresh.slots),
        (stored.disease_slots, fresh.disease_slots),
    ):
        drifted |= {row[0] for row in set(have) ^ set(want)}
    drifted.update(drifted_targets())
    return sorted(drifted)
