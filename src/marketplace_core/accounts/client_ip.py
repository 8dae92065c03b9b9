"""The address a request came from, for rate limits and the download log.

Behind proxies ``REMOTE_ADDR`` is the nearest proxy, which every visitor
shares: limiting on it would let one attacker lock everyone out. Set
``MARKETPLACE["TRUSTED_PROXY_COUNT"]`` to the number of proxies in front of
the site that append to ``X-Forwarded-For``; the client is then the address the
outermost trusted proxy saw. Addresses a client wrote itself are never trusted:
with no trusted proxy only ``REMOTE_ADDR`` is read, and behind ``n`` proxies
only the ``n``-th entry of ``X-Forwarded-For`` counted from the right.

The header parsing is django-ipware's (python-ipware underneath).
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest
from ipware import get_client_ip

from marketplace_core.conf import conf

#: IPv6 clients usually hold a whole /64: limits count the network, not one address.
IPV6_PREFIX = 64


def client_ip(request: HttpRequest) -> str:
    """The client's address, normalized (``"unknown"`` when there is none)."""
    proxies = conf.TRUSTED_PROXY_COUNT
    address: str | None = None
    if proxies > 0:
        # The nearest proxy is REMOTE_ADDR and is not in the header, so the
        # header holds the client followed by proxies - 1 trusted hops. Entries a
        # client forged stand left of those and are ignored (strict=False keeps
        # the chain valid when there are some).
        address, _ = get_client_ip(
            request, proxy_order="left-most", proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False,
        )
    if address is None:
        address, _ = get_client_ip(request, request_header_order=["REMOTE_ADDR"])
    return address or "unknown"


def rate_limit_key(request: HttpRequest) -> str:
    """The client's address as rate limits count it: IPv6 by its /64 network."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)
