"""Signals of the registry.

``members_changed`` is sent by every writer of members, their diagnoses and their
households (the services, the demo, the roster import) inside its transaction, after its
writes, with ``member_ids``: the members it created, changed, moved or whose household it
changed. Other apps keep their derived data in step with it (``contracts.owed``); receivers
run in the sender's transaction, so derived rows commit or roll back with the change.

    members_changed.send(sender=SomeWriter, member_ids=[...])

It costs next to nothing for members no other app keeps data about (new members, say).
"""

from django.dispatch import Signal

members_changed = Signal()

# Sent by ``households.services.household_set_contacts`` with ``household_ids`` whose 亲情号码
# changed (the five-ones item "contact numbers" of ``screening.states`` derives from them).
contacts_changed = Signal()
