import time
from importlib import import_module

from django.core.management.base import BaseCommand

from healthaid import demo

# Apps whose ``demo.seed(scale, context)`` adds their demo data after the core's, in order;
# a dotted name is a module of its own (the settlements' demo, beside medconsortium's).
DEMO_APPS = (
    "households",
    "contracts",
    "screening",
    "medconsortium",
    "medconsortium.settlement_demo",
    "rectification",
    "approvals",
    "reports",
)


class Command(BaseCommand):
    help = (
        "Load deterministic demo data (楚雄州, 元谋县 and one user per role). "
        "Idempotent: running it again adds nothing that is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=["small", "county", "prefecture"],
            default="small",
            help="small: a few hundred households; county: ~15,000 households in 元谋县; "
            "prefecture: ten counties of that size",
        )

    def handle(self, *args, **options):
        scale = options["scale"]
        started = time.monotonic()
        context = demo.seed(scale)
        for app in DEMO_APPS:
            name = app if "." in app else f"{app}.demo"
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            summary = module.seed(scale, context)
            if summary:
                self.stdout.write(f"{app}: {summary}")
        demo.analyze_database()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ({scale}) ready in {time.monotonic() - started:.1f}s.")
        )
        self.stdout.write("Demo logins (password for all: %s):" % demo.DEMO_PASSWORD)
        for user in context["users"]:
            self.stdout.write(f"  {user.username:<11} {user.role:<16} {user.full_name}")
