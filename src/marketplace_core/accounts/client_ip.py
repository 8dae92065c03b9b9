"""The address a request came from, for throttling.

Behind proxies ``REMOTE_ADDR`` is the nearest proxy, which every visitor
shares: throttling on it would let one attacker lock everyone out. Set
``MARKETPLACE["TRUSTED_PROXY_COUNT"]`` to the number of proxies in front of
the site that append to ``X-Forwarded-For``; the client is then the address the
outermost trusted proxy saw. Addresses a client wrote itself are never trusted.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from marketplace_core.conf import conf


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address (``"unknown"`` when there is none)."""
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or "unknown"
    proxies = conf.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    # Each trusted proxy appended the address it was contacted from; the first of
    # them (counting from the right) appended the client's.
    if len(forwarded) < proxies:
        return remote
    return _valid(forwarded[-proxies]) or remote
