"""Recompute the five-ones item states (``screening.states``) of one campaign or all."""

from django.core.management.base import BaseCommand, CommandError

from screening.models import Campaign
from screening.states import campaign_state_differences, rebuild_campaign_states


class Command(BaseCommand):
    help = "Recompute the derived five-ones item states of a campaign (or every campaign)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="the campaign's id (default: all)")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only compare the stored states with the records; exit 1 on a difference",
        )

    def handle(self, *args, campaign=None, check=False, **options):
        campaigns = Campaign.objects.select_related("county").order_by("pk")
        if campaign is not None:
            campaigns = campaigns.filter(pk=campaign)
            if not campaigns.exists():
                raise CommandError(f"no campaign {campaign}")
        differing = 0
        for item in campaigns:
            if check:
                missing, stale = campaign_state_differences(item)
                differing += len(missing) + len(stale)
                self.stdout.write(
                    f"{item.pk} {item.name}: {len(missing)} missing, {len(stale)} stale"
                )
            else:
                rows = rebuild_campaign_states(item)
                self.stdout.write(f"{item.pk} {item.name}: {rows} item states")
        if differing:
            raise CommandError(f"{differing} item states differ from the records")
