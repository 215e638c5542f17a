"""Signals of the registry.

``members_changed`` is sent by every writer of members, their diagnoses and their
households (the services, the demo, the roster import) inside its transaction, after its
writes, with ``member_ids``: the members it created, changed, moved or whose household it
changed. Other apps keep their derived data in step with it (``contracts.owed``); receivers
run in the sender's transaction, so derived rows commit or roll back with the change.

    members_changed.send(sender=SomeWriter, member_ids=[...])

It costs next to nothing for members no other app keeps data about (new members, say).
Receivers read the ids with ``sorted_member_ids``.
"""

from collections.abc import Iterable
from itertools import pairwise

from django.dispatch import Signal

members_changed = Signal()


def sorted_member_ids(member_ids: Iterable[int]) -> list[int]:
    """``member_ids`` as a sorted list without repeats, for receivers of ``members_changed``.

    The roster import sends them sorted already (500,000 of them for a prefecture's roster):
    then they are only copied, where ``sorted(set(...))`` held a set of some 20 MB besides.
    """
    ids = [int(pk) for pk in member_ids if pk is not None]
    if any(low >= high for low, high in pairwise(ids)):
        ids = sorted(set(ids))
    return ids


# Sent by ``households.services.household_set_contacts`` with ``household_ids`` whose 亲情号码
# changed (the five-ones item "contact numbers" of ``screening.states`` derives from them).
contacts_changed = Signal()
