"""Fixtures of the settlement tests: the shared tree with a registry and the disease catalogue."""

import pytest
from django.core.cache import cache

from households.services import disease_catalogue_sync
from tests.households.factories import build_registry


@pytest.fixture
def catalogue(db):
    disease_catalogue_sync()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry(tree, catalogue):
    return build_registry(tree)
