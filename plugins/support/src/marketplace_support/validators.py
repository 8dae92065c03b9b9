"""Validation of the meeting link: an ``https://`` URL and nothing else."""

from __future__ import annotations

from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

#: Refuses ``http://``, ``javascript:``, ``data:`` and anything that is not a URL.
validate_https_url = URLValidator(
    schemes=["https"],
    message=_("Enter a meeting link that starts with https://."),
)
