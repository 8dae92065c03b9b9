"""Which URLs webhooks may be sent to, checked when saved and again when sent.

The rules are the short links' (:mod:`marketplace_core.netcheck`): no
loopback, private or link-local hosts, no local names; ``https://`` only unless
``MARKETPLACE["WEBHOOKS_ALLOW_HTTP"]`` is on (a demo or tests). When sending,
:func:`resolve_destination` resolves the name once, checks every address, and
the transport connects to the checked address (no second lookup a DNS
rebinding could answer differently). ``WEBHOOKS_ALLOWED_ADDRESSES`` names
addresses let through although not public (a test receiver on 127.0.0.1; empty
by default).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext_lazy as _

from marketplace_core.conf import conf
from marketplace_core.netcheck import (
    PRIVATE_HOST_MESSAGE,
    IPAddress,
    canonical_host,
    check_public_host,
    host_address,
    is_public_address,
    split_url,
)
from marketplace_core.outbound.models import URL_MAX_LENGTH


@dataclass(frozen=True)
class Destination:
    """A checked endpoint URL, split for connecting: ``address`` was resolved and checked."""

    scheme: str
    #: The URL's host: a name, an IPv4 address or a bracketed IPv6 address.
    host: str
    port: int
    #: Path and query to request (``/hooks?x=1``).
    target: str
    address: IPAddress

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def allowed_addresses() -> tuple[IPAddress, ...]:
    """The configured ``WEBHOOKS_ALLOWED_ADDRESSES`` (entries that are not addresses ignored)."""
    found: list[IPAddress] = []
    for text in conf.WEBHOOKS_ALLOWED_ADDRESSES:
        try:
            found.append(ipaddress.ip_address(text.strip()))
        except ValueError:
            continue
    return tuple(found)


def clean_endpoint_url(value: str) -> str:
    """The normalized endpoint URL, or ``ValidationError`` saying what is wrong."""
    url = (value or "").strip()
    if not url:
        raise ValidationError(_("Enter the URL of your endpoint."), code="required")
    parts, port = split_url(url, max_length=URL_MAX_LENGTH)
    scheme = parts.scheme.lower()
    schemes = ("https", "http") if conf.WEBHOOKS_ALLOW_HTTP else ("https",)
    if scheme not in schemes or not url.lower().startswith(scheme + "://"):
        if conf.WEBHOOKS_ALLOW_HTTP:
            raise ValidationError(_("Use an http:// or https:// URL."), code="scheme")
        raise ValidationError(_("Use an https:// URL."), code="scheme")
    if "@" in parts.netloc:
        raise ValidationError(_("URLs with a user name or password are not allowed."),
                              code="credentials")
    host = check_public_host(canonical_host(parts), allowed_addresses=allowed_addresses())
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((scheme, netloc, iri_to_uri(parts.path) or "/",
                       iri_to_uri(parts.query), ""))


def resolve_destination(url: str) -> Destination:
    """Check ``url`` again, resolve its host and check the address to connect to.

    Raises ``ValidationError`` when the URL breaks the rules or the name
    resolves to any address that is not public (and not explicitly allowed),
    and ``OSError`` when the name does not resolve.
    """
    cleaned = clean_endpoint_url(url)
    parts = urlsplit(cleaned)
    host = canonical_host(parts)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allowed = allowed_addresses()
    literal = host_address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise OSError(f"{host} has no address")
    # Every answer must be public: a name with one private address among public
    # ones could be steered to it.
    for address in addresses:
        if address not in allowed and not is_public_address(address):
            raise ValidationError(PRIVATE_HOST_MESSAGE, code="private_host")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Destination(scheme=parts.scheme, host=host, port=port, target=target,
                       address=addresses[0])
