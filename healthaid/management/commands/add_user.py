from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from healthaid.choices import Role
from healthaid.models import Institution
from healthaid.services import resolve_region, user_provision


class Command(BaseCommand):
    help = "Create or update a portal account with a role and a region scope."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=", ".join(Role.values))
        parser.add_argument(
            "--region", required=True, help="division code (532328) or name path (元谋县/元马镇)"
        )
        parser.add_argument("--institution", help="institution code, for hospital staff")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="the person's full name")

    def handle(self, *args, **options):
        role = options["role"]
        if role not in Role.values:
            raise CommandError(
                _("Unknown role %(role)s. Roles: %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            )
        try:
            region = resolve_region(options["region"])
            institution = None
            if options["institution"]:
                institution = Institution.objects.filter(code=options["institution"]).first()
                if institution is None:
                    raise ValidationError(
                        _("No institution has the code %(code)s.")
                        % {"code": options["institution"]}
                    )
            user = user_provision(
                username=options["username"],
                role=role,
                region=region,
                institution=institution,
                password=options["password"],
                full_name=options["name"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("%(user)s: %(role)s, scope %(region)s")
                % {"user": user.username, "role": Role(role).label, "region": region.path}
            )
        )
