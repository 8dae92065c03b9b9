"""``manage.py marketplace_seller add|remove|list [USER ...]``: seller status of
existing users, for any user model.

A user is named by its login name (``USERNAME_FIELD``) or its email address.
``add`` and ``remove`` are idempotent and call :mod:`marketplace_core.roles`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace_core.people.models import SellerProfile
from marketplace_core.people.users import email_of, users_with_email
from marketplace_core.roles import is_seller, make_seller, revoke_seller


def find_user(who: str) -> Any:
    """The user whose login name, else email address, is ``who``."""
    model = get_user_model()
    try:
        return model._default_manager.get_by_natural_key(who)
    except model.DoesNotExist:
        pass
    found = list(users_with_email(who)[:2])
    if len(found) > 1:
        raise CommandError(f"Several users have the address {who!r}: name one by its "
                           f"{model.USERNAME_FIELD}.")
    if not found:
        raise CommandError(f"No user has the {model.USERNAME_FIELD} or email address {who!r}.")
    return found[0]


class Command(BaseCommand):
    help = ("Make existing users sellers (add), stop them selling (remove), or list the "
            "sellers. Name users by their login name or email address.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["add", "remove", "list"])
        parser.add_argument("users", nargs="*", metavar="USER",
                            help="login name or email address")

    def handle(self, *args: Any, **options: Any) -> None:
        action, names = options["action"], options["users"]
        if action == "list":
            if names:
                raise CommandError("'list' takes no users.")
            self._list()
            return
        if not names:
            raise CommandError(f"Name the users to {action}.")
        people = [find_user(who) for who in names]  # all found, or nothing changes
        for user in people:
            if action == "add":
                already = is_seller(user)
                make_seller(user)
                note = "was already a seller" if already else "can sell now"
            else:
                note = "no longer sells" if revoke_seller(user) else "was not selling"
            self.stdout.write(f"{user.get_username()}: {note}.")

    def _list(self) -> None:
        profiles = SellerProfile.objects.select_related("user").order_by("created_at", "pk")
        for profile in profiles:
            name, email = profile.user.get_username(), email_of(profile.user)
            address = f"  <{email}>" if email and email != name else ""
            self.stdout.write(f"{name}{address}{'' if profile.active else '  (paused)'}")
