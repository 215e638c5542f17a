"""Fixtures of the contracts tests: a team of 元马镇卫生院 covering 能禹村 and 丙间村."""

import datetime
from types import SimpleNamespace

import pytest

from contracts.services import follow_up_rules_sync_from_catalogue
from tests.contracts.factories import DoctorTeamFactory

TODAY = datetime.date(2024, 5, 15)


@pytest.fixture
def rules(db):
    """The seeded rules (a flushed database gets them back from the catalogue)."""
    from households.services import disease_catalogue_sync

    disease_catalogue_sync()
    follow_up_rules_sync_from_catalogue()


@pytest.fixture
def team(users, institutions, tree, rules):
    return DoctorTeamFactory(
        institution=institutions.township_centre,
        name="元马镇第1家庭医生团队",
        leader=users.township_doctor,
        villages=[tree.village, tree.village2],
        members=[users.township_doctor, users.village_doctor],
    )


@pytest.fixture
def other_team(users, institutions, tree, rules):
    """A team of 黄瓜园镇 (another township of the county)."""
    from tests.healthaid.factories import UserFactory

    doctor = UserFactory(username="hgy-doctor", first_name="刘医生")
    return DoctorTeamFactory(
        institution=institutions.other_township_centre,
        name="黄瓜园镇第1家庭医生团队",
        leader=doctor,
        villages=[tree.other_township_village],
        members=[doctor],
    )


@pytest.fixture
def today():
    return TODAY


@pytest.fixture
def ns():
    return SimpleNamespace()


@pytest.fixture(autouse=True)
def uncached_figures(settings):
    """Figures computed afresh in every test (one test turns the cache back on)."""
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 0
