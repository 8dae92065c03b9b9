"""The destination validator: only plain, public http(s) URLs.

:func:`clean_destination` parses the URL the way a browser does (WHATWG URL
host rules, UTS #46 for international names) and refuses:

- schemes other than ``http``/``https`` (``javascript:``, ``data:``, ...),
  also when hidden by case, whitespace or control characters;
- credentials (``user:pass@``), backslashes and percent-encoded hosts;
- hosts that are loopback, private, link-local, shared, reserved, multicast or
  unspecified addresses, however written: dotted, decimal (``2130706433``),
  hex (``0x7f.1``), octal, shortened, IPv6 (also IPv4-mapped, NAT64, 6to4,
  Teredo) and full-width digits and ideographic full stops (U+FF11..., U+3002);
- local names: single labels (``intranet``), ``localhost`` and ``*.localhost``,
  ``.local``, ``.internal``, ``.lan``, ``.home.arpa`` ...;
- hosts outside the allow-list, when one is configured (a domain allows itself
  and its subdomains).

The host rules are core's (:mod:`marketplace_core.netcheck`, shared with
outbound webhooks). Names are not resolved through DNS (the answer can change after validation);
the threat addressed is a short link sending visitors' browsers somewhere
unsafe, not the server fetching the URL.

It returns the URL rebuilt from what was checked (lowercase scheme, host in
ASCII/punycode, path and query percent-encoded), so the redirect sends exactly
what was validated.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, urlunsplit

from django.core.exceptions import ValidationError
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext_lazy as _

from marketplace_core.netcheck import (
    LOCAL_SUFFIXES,
    NON_PUBLIC_NETWORKS,
    canonical_host,
    check_public_host,
    split_url,
)
from marketplace_shorturl.models import DESTINATION_MAX_LENGTH

__all__ = ["ALLOWED_SCHEMES", "LOCAL_SUFFIXES", "NON_PUBLIC_NETWORKS", "clean_destination"]

ALLOWED_SCHEMES = frozenset({"http", "https"})
def clean_destination(value: str, *, allowed_domains: Iterable[str] = ()) -> str:
    """Return the normalized destination or raise ``ValidationError`` saying why."""
    url = value.strip()
    if not url:
        raise ValidationError(_("Enter a destination URL."), code="required")
    parts, port = split_url(url, max_length=DESTINATION_MAX_LENGTH)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES or not url.lower().startswith(scheme + "://"):
        raise ValidationError(_("Only http:// and https:// links can be shortened."),
                              code="scheme")
    if "@" in parts.netloc:
        raise ValidationError(_("Links with a user name or password are not allowed."),
                              code="credentials")
    host = check_public_host(canonical_host(parts))
    domains = [d for d in allowed_domains if d]
    if domains and not any(host == d or host.endswith("." + d) for d in domains):
        raise ValidationError(_("Links must point to one of: %(domains)s."),
                              code="domain_not_allowed", params={"domains": ", ".join(domains)})
    return _rebuild(parts, host, port)


def _rebuild(parts: SplitResult, host: str, port: int | None) -> str:
    netloc = host if port is None else f"{host}:{port}"
    path = iri_to_uri(parts.path) or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, iri_to_uri(parts.query),
                       iri_to_uri(parts.fragment)))
