"""Hook implementations of the Dodo Payments plugin."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

from marketplace_core import hookimpl
from marketplace_core.payments.signing import is_valid_secret
from marketplace_payments_dodo.conf import ENVIRONMENTS, conf


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if not conf.API_KEY:
        errors.append(Error(
            "MARKETPLACE['payments_dodo']['API_KEY'] is not set.",
            hint="Read it from the DODO_PAYMENTS_API_KEY environment variable.",
            id="payments_dodo.E001",
        ))
    secrets = conf.WEBHOOK_SECRETS
    if not secrets or not all(is_valid_secret(s) for s in secrets):
        errors.append(Error(
            "MARKETPLACE['payments_dodo']['WEBHOOK_SECRETS'] must list one or more "
            "'whsec_...' secrets from the Dodo dashboard.",
            hint="Several secrets are accepted while rotating.",
            id="payments_dodo.E002",
        ))
    if conf.ENVIRONMENT not in ENVIRONMENTS:
        errors.append(Error(
            f"MARKETPLACE['payments_dodo']['ENVIRONMENT'] must be one of {ENVIRONMENTS}, "
            f"not {conf.ENVIRONMENT!r}.",
            id="payments_dodo.E003",
        ))
    elif conf.ENVIRONMENT == "live_mode" and settings.DEBUG:
        errors.append(Error(
            "Dodo Payments is in live_mode while DEBUG is on.",
            hint="Use test_mode for development, or turn DEBUG off.",
            id="payments_dodo.E004",
        ))
    return errors
