"""Background jobs of the screening app."""

from __future__ import annotations

from celery import shared_task

from screening.models import Campaign
from screening.states import rebuild_campaign_states


@shared_task(name="screening.rebuild_states", acks_late=True, reject_on_worker_lost=True)
def rebuild_states_task(campaign_id: int) -> int:
    """Recompute a campaign's five-ones item states (after its window or items changed)."""
    campaign = Campaign.objects.select_related("county").filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    return rebuild_campaign_states(campaign)
