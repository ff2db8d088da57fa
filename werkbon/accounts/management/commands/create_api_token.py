"""``manage.py create_api_token <username> [--name NAME]``: issue an API token, print its key once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from werkbon.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue an API token for a user of a company account and print its key (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="API", help="what the token is for (default: API)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user {options['username']!r}.") from exc
        if user.tenant_id is None:
            raise CommandError(f"{user.username} belongs to no company account; tokens are for tenant users.")
        if not user.is_active:
            raise CommandError(f"{user.username} is inactive.")
        token, key = ApiToken.issue(user, options["name"])
        self.stderr.write(f"API token {token.name!r} for {user.username} ({user.tenant}); "
                          "store the key now, it is not shown again:")
        self.stdout.write(key)
