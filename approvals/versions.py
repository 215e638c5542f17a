"""The version of the units' approval statuses: moved by every submission and decision, so
the statuses cached for the approval page are computed again after one."""

from healthaid.versions import Version

APPROVALS_VERSION = Version("approvals:status-version")


def approvals_version() -> int:
    return APPROVALS_VERSION.get()


def approvals_changed() -> None:
    """A submission or a decision (now, and again when its transaction commits)."""
    APPROVALS_VERSION.changed()
