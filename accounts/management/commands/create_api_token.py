"""`manage.py create_api_token USERNAME [--rotate]`: print the REST API token of a tenant staff user.

The token acts as that user: it sees that user's tenant subtree and has that user's permissions.
Portal (customer) users and users without a tenant or staff status get no token - the API would refuse
them anyway. `--rotate` replaces an existing token (the old one stops working at once).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.tenancy import sees_everything


class Command(BaseCommand):
    help = "Print the API token of a tenant staff user, creating it if needed (--rotate replaces it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="Replace the user's existing token.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        if not user.is_active:
            raise CommandError(f"{user.username} is inactive.")
        if user.customer_id:
            raise CommandError(f"{user.username} is a self-care portal user; the API is for tenant staff.")
        if not sees_everything(user) and not (user.is_staff and user.tenant_id):
            raise CommandError(f"{user.username} is not staff of a tenant; set is_staff and a tenant first.")
        with transaction.atomic():
            if options["rotate"]:
                Token.objects.filter(user=user).delete()
            token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
