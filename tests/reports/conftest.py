"""The contracts tests' fixtures (rules, teams), shared with the indicator tests."""

from tests.contracts.conftest import other_team, rules, team, uncached_figures  # noqa: F401
