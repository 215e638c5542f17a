"""Fixtures of the screening tests: the contracts tests' teams and the shipped catalogue."""

import pytest

from tests.contracts.conftest import other_team, rules, team  # noqa: F401


@pytest.fixture
def catalogue(rules):  # noqa: F811
    """Thresholds and prescriptions (a flushed database gets them back from the catalogue)."""
    from screening.services import screening_catalogue_sync

    screening_catalogue_sync()


@pytest.fixture(autouse=True)
def uncached_progress(settings):
    """Campaign progress computed afresh in every test (one test turns the cache on)."""
    settings.SCREENING_PROGRESS_CACHE_SECONDS = 0
