"""Log-in lockout: per account and address, plus a looser limit per address.

django-axes counts failures per lockout parameter group but compares them all with one limit.
We lock a (username, address) pair after ``AXES_FAILURE_LIMIT`` failures, so nobody can lock a
named colleague out from elsewhere, and an address after ``LOGIN_IP_FAILURE_LIMIT`` failures
whatever the usernames, so one password cannot be sprayed across many accounts. The address
limit is high because a township clinic's staff share one NAT address.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class PairAndAddressHandler(AxesDatabaseHandler):
    """Expects ``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]``."""

    def get_failures(self, request, credentials=None) -> int:
        pair, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.LOGIN_IP_FAILURE_LIMIT:
            # Past the address's own limit: report it as locked under axes' single limit.
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A success resets the account's failures from this address only: a colleague logging
        # in must not wipe the address's count (nor another account's).
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count
