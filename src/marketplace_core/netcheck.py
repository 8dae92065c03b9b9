"""Which hosts and addresses count as public: the SSRF rules shared by every
URL the site sends someone to or fetches (short-link destinations, outbound
webhooks).

Hosts are read the way a browser reads them (WHATWG URL host rules, UTS #46 for
international names). :func:`check_public_host` refuses:

- loopback, private, link-local, shared, reserved, multicast and unspecified
  addresses, however written: dotted, decimal (``2130706433``), hex
  (``0x7f.1``), octal, shortened, IPv6 (also IPv4-mapped, NAT64, 6to4, Teredo);
- local names: single labels (``intranet``), ``localhost`` and ``*.localhost``,
  ``.local``, ``.internal``, ``.lan``, ``.home.arpa`` ... (:data:`LOCAL_SUFFIXES`).

A name that passes can still resolve to a private address: code that connects
to the host checks every address the name resolves to with
:func:`is_public_address` and then connects to that checked address, never
resolving the name a second time (a second answer may differ: DNS rebinding).
See :mod:`marketplace_core.outbound.transport`.

Errors are Django ``ValidationError`` with a ``code``: ``host`` (not a valid
host), ``local_host`` (a local name), ``private_host`` (a non-public address).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import SplitResult, urlsplit

import idna
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Names that resolve to the visitor's own machine or network, never the public internet.
LOCAL_SUFFIXES = (
    "localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "corp",
    "private", "home.arpa", "test", "invalid", "example", "onion", "arpa",
)
_ASCII_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: Not globally reachable per the IANA special-purpose registries. Listed here as well
#: as asking ``is_global``, whose answer differs between Python releases.
NON_PUBLIC_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
    "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10",
    "ff00::/8",
))

PRIVATE_HOST_MESSAGE = _("Local or private network addresses are not allowed.")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


def split_url(url: str, *, max_length: int) -> tuple[SplitResult, int | None]:
    """``url`` (stripped, not empty) split, with its port; ``ValidationError`` when it
    is longer than ``max_length`` (``too_long``), holds spaces, control characters or
    backslashes (``invalid_characters``) or does not parse (``invalid``). The scheme,
    credentials and host are the caller's to check (their messages differ)."""
    if len(url) > max_length:
        raise ValidationError(_("Use a URL of at most %(max)d characters."),
                              code="too_long", params={"max": max_length})
    if _FORBIDDEN_CHARS.search(url) or any(unicodedata.category(c) == "Cc" for c in url):
        raise ValidationError(_("A URL cannot contain spaces, control characters or "
                                "backslashes."), code="invalid_characters")
    try:
        parts = urlsplit(url)
        return parts, parts.port
    except ValueError as exc:
        raise ValidationError(_("Enter a valid URL."), code="invalid") from exc


def canonical_host(parts: SplitResult) -> str:
    """The host of ``parts`` as a browser would send it: lowercase ASCII (punycode),
    no trailing dot, an IPv6 literal in brackets; ``ValidationError`` (``host``)
    when there is no valid host."""
    netloc = parts.netloc
    if netloc.startswith("["):
        literal, _bracket, rest = netloc[1:].partition("]")
        if "%" in literal or (rest and not re.fullmatch(r":\d*", rest)):
            raise ValidationError(_("Enter a valid host name."), code="host")
        try:
            return "[" + str(ipaddress.IPv6Address(literal)) + "]"
        except ValueError as exc:  # zone ids ("%25eth0") and other junk
            raise ValidationError(_("Enter a valid host name."), code="host") from exc
    host = parts.hostname or ""
    if "%" in host or not host:
        raise ValidationError(_("Enter a valid host name."), code="host")
    if not host.isascii():
        try:
            host = idna.encode(unicodedata.normalize("NFC", host), uts46=True,
                               std3_rules=False, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise ValidationError(_("Enter a valid host name."), code="host") from exc
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host or len(host) > 253:
        raise ValidationError(_("Enter a valid host name."), code="host")
    return host


def host_address(host: str) -> IPAddress | None:
    """The address ``host`` (from :func:`canonical_host`) is written as, or ``None``
    for a name. Browser rules: ``0x7f.1`` and ``2130706433`` are 127.0.0.1."""
    if host.startswith("["):
        return ipaddress.IPv6Address(host[1:-1])
    labels = host.split(".")
    if not _looks_numeric(labels[-1]):
        return None
    return _whatwg_ipv4(labels)


def check_public_host(host: str, *, allowed_addresses: tuple[IPAddress, ...] = ()) -> str:
    """Refuse hosts that reach loopback, private or local networks; return the host
    with an IPv4 address in its plain dotted form (``0x7f.1`` is written out).

    ``allowed_addresses`` are let through although not public (a test receiver
    on 127.0.0.1, configured explicitly).
    """
    address = host_address(host)
    if address is None:
        _check_name(host.split("."))
        return host
    if address not in allowed_addresses and not is_public_address(address):
        raise ValidationError(PRIVATE_HOST_MESSAGE, code="private_host")
    return host if host.startswith("[") else str(address)


def is_public_address(address: IPAddress) -> bool:
    """Whether ``address`` and every IPv4 address it carries are globally reachable."""
    return not any(
        not candidate.is_global or candidate.is_multicast or any(
            candidate in network for network in NON_PUBLIC_NETWORKS
            if network.version == candidate.version)
        for candidate in _embedded_addresses(address)
    )


def _check_name(labels: list[str]) -> None:
    if len(labels) < 2:
        raise ValidationError(_("Use a public domain name such as example.com."),
                              code="local_host")
    for label in labels:
        if not _ASCII_LABEL.match(label):
            raise ValidationError(_("Enter a valid host name."), code="host")
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError) as exc:
                raise ValidationError(_("Enter a valid host name."), code="host") from exc
    name = ".".join(labels)
    if any(name == s or name.endswith("." + s) for s in LOCAL_SUFFIXES):
        raise ValidationError(_("Local network names are not allowed."), code="local_host")


def _looks_numeric(label: str) -> bool:
    """WHATWG "ends in a number": the host is then parsed as IPv4 (or rejected)."""
    if label.isdigit():
        return True
    return label[:2] == "0x" and all(c in "0123456789abcdef" for c in label[2:])


def _whatwg_ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    """Parse like a browser: 1-4 parts, each decimal, ``0x`` hex or ``0`` octal."""
    if labels and labels[-1] == "":
        labels = labels[:-1]
    if not 1 <= len(labels) <= 4:
        raise ValidationError(_("Enter a valid host name."), code="host")
    numbers = [_ipv4_number(label) for label in labels]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValidationError(_("Enter a valid host name."), code="host")
    value = last
    for index, number in enumerate(head):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _ipv4_number(label: str) -> int:
    try:
        if label[:2] in ("0x", "0X"):
            return int(label[2:] or "0", 16)
        if len(label) > 1 and label.startswith("0"):
            return int(label[1:], 8)
        return int(label, 10)
    except ValueError as exc:
        raise ValidationError(_("Enter a valid host name."), code="host") from exc


def _embedded_addresses(address: IPAddress) -> list[IPAddress]:
    """The address and every IPv4 address it carries (mapped, NAT64, 6to4, Teredo)."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found
