"""Full short URLs: the configured short domain, or the request's own scheme and host."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest

from marketplace_shorturl.conf import conf


def short_url_base(request: HttpRequest) -> str:
    """``scheme://host[:port]`` to put in front of a short link's path.

    ``SHORT_DOMAIN`` may be ``"go.example.com"`` (https is assumed) or a full
    ``"http://localhost:8000"``; without it the request's host is used.
    """
    domain = conf.SHORT_DOMAIN
    if not domain:
        return f"{request.scheme}://{request.get_host()}"
    if "://" not in domain:
        domain = "https://" + domain
    parts = urlsplit(domain)
    return f"{parts.scheme}://{parts.netloc}"


def short_hosts(request: HttpRequest) -> set[str]:
    """Host names short links are served on (the request's and the short domain's)."""
    hosts = {request.get_host().split(":")[0].lower()}
    if conf.SHORT_DOMAIN:
        hosts.add((urlsplit(short_url_base(request)).hostname or "").lower())
    return hosts
