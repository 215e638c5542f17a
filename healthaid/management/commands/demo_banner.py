from django.conf import settings
from django.core.management.base import BaseCommand

from healthaid.demo import DEMO_PASSWORD, YUANMOU, demo_users
from healthaid.models import Region


class Command(BaseCommand):
    help = "Print where the portal listens and the demo logins (used by `make run`)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options):
        village = (
            Region.objects.filter(code__startswith="532328101", level=12).order_by("code").first()
        )
        db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"健康扶贫 portal: http://127.0.0.1:{options['port']}/")
        )
        self.stdout.write(f"  database: {db}; broker: {settings.CELERY_BROKER_URL.split('://')[0]}")
        self.stdout.write(f"  API docs: http://127.0.0.1:{options['port']}/api/docs/")
        self.stdout.write(f"  demo logins (password {DEMO_PASSWORD}):")
        if village is None:
            self.stdout.write("  (no demo data: run `python manage.py seed_demo`)")
            return
        for user in demo_users(village):
            self.stdout.write(f"    {user.username:<11} {user.role:<16} {user.full_name}")
        self.stdout.write(
            f"  scope of 'county': 元谋县 ({YUANMOU[:6]}); Ctrl-C stops web, worker and beat."
        )
        self.stdout.write("")
