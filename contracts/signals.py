"""Signals of the contracts app.

``contracts_changed`` is sent by the writers of contracts (sign, renew, terminate, the
import) inside their transaction, after their writes, with ``member_ids``: the members whose
contracts changed. Other apps keep their derived data in step with it (the five-ones item
states of ``screening.states``); receivers run in the sender's transaction.

    contracts_changed.send(sender=Contract, member_ids=[...])
"""

from django.dispatch import Signal

contracts_changed = Signal()
