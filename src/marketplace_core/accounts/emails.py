"""Account emails: HTML and plain text, rendered from templates, with absolute links.

Templates (override them in a site): ``marketplace_core/emails/<name>_subject.txt``,
``<name>.txt`` and ``<name>.html``. Links start with ``MARKETPLACE["SITE_URL"]``
when it is set, else with the scheme and host of the request that asked for the
email (Django checks that host against ``ALLOWED_HOSTS``; set ``SITE_URL`` when
``ALLOWED_HOSTS`` is ``["*"]``, or a forged Host header could point links elsewhere).
"""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation

from marketplace_core.conf import conf


def site_url(request: HttpRequest) -> str:
    """The site's address without a trailing slash, for links in emails."""
    return conf.SITE_URL or f"{request.scheme}://{request.get_host()}"


def absolute_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def send_account_email(name: str, to: str, context: dict[str, Any], *,
                       headers: dict[str, str] | None = None, language: str | None = None
                       ) -> None:
    """Render ``emails/<name>*`` with ``context`` (plus ``site_name``) and send it.

    ``language`` (a Django language code) is active while rendering, so amounts
    and dates read as that reader writes them; ``headers`` are added as given.
    """
    context = {"site_name": conf.SITE_NAME, **context}
    prefix = f"marketplace_core/emails/{name}"
    with translation.override(language or translation.get_language()):
        subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
        text = render_to_string(f"{prefix}.txt", context)
        html = render_to_string(f"{prefix}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    message.send()
