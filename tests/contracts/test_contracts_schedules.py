"""The schedule rules at the edges of their windows, as pure functions (no database)."""

import datetime as dt

import pytest

from contracts.schedules import Cover, member_windows, tally, window_bounds, windows_overlapping

HTN, DM, CHD = 1, 2, 3
RULES = {HTN: 4, DM: 4, CHD: 1}
YEAR = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
FULL_YEAR_CONTRACT = [Cover(dt.date(2024, 1, 1), dt.date(2024, 12, 31), team_id=7)]


def windows(
    diseases, visits=(), covers=FULL_YEAR_CONTRACT, today=dt.date(2025, 1, 10), period=YEAR
):
    return member_windows(
        diseases=diseases,
        rules=RULES,
        covers=covers,
        visits=sorted(visits),
        start=period[0],
        end=period[1],
        today=today,
    )


def statuses(result):
    return [(w.start.isoformat(), w.status) for w in result]


def test_quarters_and_year_windows():
    assert window_bounds(4, 2024) == (
        (dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        (dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
        (dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
        (dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
    )
    assert window_bounds(1, 2024) == ((dt.date(2024, 1, 1), dt.date(2024, 12, 31)),)
    assert window_bounds(12, 2023)[1] == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    with pytest.raises(ValueError):
        window_bounds(5, 2024)


def test_windows_overlapping_a_period_across_new_year():
    got = windows_overlapping(4, dt.date(2023, 11, 20), dt.date(2024, 2, 1))
    assert got == [
        (dt.date(2023, 10, 1), dt.date(2023, 12, 31)),
        (dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
    ]


def test_visit_on_the_last_day_of_a_quarter_fills_that_quarter_only():
    result = windows([(HTN, None)], visits=[dt.date(2024, 3, 31)])
    assert statuses(result) == [
        ("2024-01-01", "done"),
        ("2024-04-01", "overdue"),
        ("2024-07-01", "overdue"),
        ("2024-10-01", "overdue"),
    ]
    assert result[0].visit_on == dt.date(2024, 3, 31)


def test_visit_on_the_first_day_of_the_next_quarter_is_late_for_the_last():
    result = windows([(HTN, None)], visits=[dt.date(2024, 4, 1)])
    assert statuses(result)[:2] == [("2024-01-01", "late"), ("2024-04-01", "done")]
    assert result[0].visit_on == dt.date(2024, 4, 1)
    assert result[0].days_overdue(dt.date(2024, 4, 1)) == 1


def test_member_diagnosed_mid_year_owes_from_the_window_of_the_diagnosis():
    result = windows([(HTN, dt.date(2024, 8, 15))], visits=[dt.date(2024, 9, 1)])
    assert statuses(result) == [("2024-07-01", "done"), ("2024-10-01", "overdue")]


def test_diagnosis_on_the_last_day_of_a_quarter_owes_that_quarter():
    result = windows([(HTN, dt.date(2024, 6, 30))])
    assert [w.start for w in result][0] == dt.date(2024, 4, 1)


def test_yearly_disease_diagnosed_in_december_owes_the_year():
    result = windows([(CHD, dt.date(2024, 12, 20))])
    assert statuses(result) == [("2024-01-01", "overdue")]


def test_contract_starting_mid_quarter_owes_that_quarter():
    covers = [Cover(dt.date(2024, 5, 20), dt.date(2025, 5, 19), team_id=1)]
    result = windows([(HTN, None)], covers=covers, visits=[dt.date(2024, 6, 30)])
    assert statuses(result) == [
        ("2024-04-01", "done"),
        ("2024-07-01", "overdue"),
        ("2024-10-01", "overdue"),
    ]


def test_contract_ending_mid_quarter_owes_that_quarter_and_not_the_next():
    covers = [Cover(dt.date(2024, 1, 1), dt.date(2024, 8, 10))]
    result = windows([(HTN, None)], covers=covers)
    assert [w.start.month for w in result] == [1, 4, 7]


def test_no_contract_means_nothing_owed():
    assert windows([(HTN, None)], covers=[]) == []


def test_two_diseases_one_visit_fills_the_shared_window_once():
    result = windows([(HTN, None), (DM, None)], visits=[dt.date(2024, 2, 10)])
    assert len(result) == 4
    assert result[0].status == "done"
    assert result[0].disease_ids == (HTN, DM)
    assert tally(result) == (4, 1)


def test_quarterly_and_yearly_disease_one_visit_fills_the_quarter_and_the_year():
    result = windows([(HTN, None), (CHD, None)], visits=[dt.date(2024, 5, 5)])
    done = [(w.per_year, w.start.month) for w in result if w.status == "done"]
    assert done == [(1, 1), (4, 4)]
    assert tally(result) == (5, 2)


def test_statuses_as_of_today_due_upcoming_overdue():
    result = windows([(HTN, None)], visits=[dt.date(2024, 1, 20)], today=dt.date(2024, 5, 15))
    assert statuses(result) == [
        ("2024-01-01", "done"),
        ("2024-04-01", "due"),
        ("2024-07-01", "upcoming"),
        ("2024-10-01", "upcoming"),
    ]
    assert tally(result) == (2, 1)


def test_due_on_the_last_day_then_overdue_the_day_after():
    due = windows([(HTN, None)], today=dt.date(2024, 3, 31))
    assert due[0].status == "due"
    overdue = windows([(HTN, None)], today=dt.date(2024, 4, 1))
    assert overdue[0].status == "overdue"
    assert overdue[0].days_overdue(dt.date(2024, 4, 1)) == 1


def test_late_visit_is_recorded_but_not_counted_done():
    result = windows(
        [(CHD, None)],
        visits=[dt.date(2025, 1, 5)],
        today=dt.date(2025, 1, 10),
    )
    assert statuses(result) == [("2024-01-01", "late")]
    assert result[0].visit_on == dt.date(2025, 1, 5)
    assert tally(result) == (1, 0)


def test_windows_of_a_disease_without_a_rule_are_not_owed():
    assert windows([(99, None)]) == []


def test_team_is_the_latest_contract_overlapping_the_window():
    covers = [
        Cover(dt.date(2023, 4, 1), dt.date(2024, 2, 10), team_id=1),
        Cover(dt.date(2024, 2, 11), dt.date(2025, 2, 10), team_id=2),
    ]
    result = windows([(HTN, None)], covers=covers)
    assert [w.team_id for w in result] == [2, 2, 2, 2]
