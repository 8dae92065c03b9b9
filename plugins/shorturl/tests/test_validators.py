"""The destination validator: examples, then properties checked by hypothesis.

The properties check the validator against an independent reading of its
output (the standard library's ``urlsplit`` and ``ipaddress``): whatever it
accepts must be a plain http(s) URL to a public host, however the input tried
to disguise an unsafe one.
"""

from __future__ import annotations

import ipaddress
import re
import string
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from marketplace_shorturl.validators import LOCAL_SUFFIXES, clean_destination

# --- examples -------------------------------------------------------------------


@pytest.mark.parametrize("url, expected", [
    ("https://example.com/a?b=c#d", "https://example.com/a?b=c#d"),
    ("  HTTPS://Example.COM  ", "https://example.com/"),
    ("http://8.8.8.8/", "http://8.8.8.8/"),
    ("http://0x08080808/", "http://8.8.8.8/"),
    ("https://bücher.example/x", None),
    ("https://bücher.de/ü", "https://xn--bcher-kva.de/%C3%BC"),
    ("http://[2001:4860:4860::8888]:8080/", "http://[2001:4860:4860::8888]:8080/"),
])
def test_accepted_examples(url, expected):
    if expected is None:
        with pytest.raises(ValidationError):
            clean_destination(url)
    else:
        assert clean_destination(url) == expected


@pytest.mark.parametrize("url, code", [
    ("javascript:alert(1)", "scheme"),
    ("JaVaScRiPt:alert(1)", "scheme"),
    ("java\tscript:alert(1)", "invalid_characters"),
    ("data:text/html;base64,PHNjcmlwdD4=", "scheme"),
    ("vbscript:msgbox", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("//example.com/", "scheme"),
    ("https:example.com", "scheme"),
    ("https://user:secret@example.com/", "credentials"),
    ("https://@example.com/", "credentials"),
    ("https://example.com\\@evil.com/", "invalid_characters"),
    ("http://localhost/", "local_host"),
    ("http://LOCALHOST./", "local_host"),
    ("http://app.localhost/", "local_host"),
    ("http://printer.local/", "local_host"),
    ("http://intranet/", "local_host"),
    ("http://127.0.0.1/", "private_host"),
    ("http://127.1/", "private_host"),
    ("http://2130706433/", "private_host"),
    ("http://0x7f000001/", "private_host"),
    ("http://0177.0.0.01/", "private_host"),
    ("http://10.0.0.1/", "private_host"),
    ("http://172.16.5.4/", "private_host"),
    ("http://192.168.0.1/", "private_host"),
    ("http://169.254.169.254/latest/meta-data/", "private_host"),
    ("http://100.64.0.1/", "private_host"),
    ("http://0.0.0.0/", "private_host"),
    ("http://[::1]/", "private_host"),
    ("http://[::]/", "private_host"),
    ("http://[fe80::1]/", "private_host"),
    ("http://[fd00::1]/", "private_host"),
    ("http://[::ffff:127.0.0.1]/", "private_host"),
    ("http://[64:ff9b::a00:1]/", "private_host"),
    ("http://[2002:c0a8:101::]/", "private_host"),
    ("http://[2001:4860::8888%25eth0]/", "host"),
    ("http://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/", "private_host"),
    ("http://127。0。0。1/", "private_host"),
    ("http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/", "local_host"),
    ("http://%6c%6fcalhost/", "host"),
    ("http://999.0.0.1/", "host"),
    ("http://1.2.3.4.5/", "host"),
    ("http://example.0x/", "host"),
    ("http://xn--zz.com/", "host"),
    ("http://example.com:99999/", "invalid"),
    ("ftp://example.com/", "scheme"),
    ("", "required"),
    ("https://example.com/" + "a" * 2100, "too_long"),
])
def test_refused_examples(url, code):
    with pytest.raises(ValidationError) as caught:
        clean_destination(url)
    assert caught.value.code == code


def test_allow_list_takes_the_domain_and_its_subdomains():
    allowed = ["example.com"]
    assert clean_destination("https://example.com/", allowed_domains=allowed)
    assert clean_destination("https://shop.example.com/", allowed_domains=allowed)
    for url in ("https://example.com.evil.net/", "https://notexample.com/",
                "https://evil.net/?example.com"):
        with pytest.raises(ValidationError) as caught:
            clean_destination(url, allowed_domains=allowed)
        assert caught.value.code == "domain_not_allowed"


# --- strategies -----------------------------------------------------------------------

FULLWIDTH = {c: chr(0xFF10 + int(c)) for c in string.digits}
DOTS = [".", "\u3002", "\uff0e", "\uff61"]

# Special-purpose ranges from the IANA registries (RFC 6890 and successors).
NON_PUBLIC_V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                 "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16",
                 "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
                 "240.0.0.0/4", "255.255.255.255/32"]
NON_PUBLIC_V6 = ["::1/128", "::/128", "fe80::/10", "fc00::/7", "fec0::/10", "ff00::/8",
                 "2001:db8::/32", "100::/64"]
non_public_v4 = st.sampled_from(NON_PUBLIC_V4).flatmap(lambda n: st.ip_addresses(network=n))
non_public_v6 = st.sampled_from(NON_PUBLIC_V6).flatmap(lambda n: st.ip_addresses(network=n))


@st.composite
def ipv4_spellings(draw, address: ipaddress.IPv4Address) -> str:
    """Ways a browser reads ``address``: dotted, short, decimal, hex, octal, wide."""
    value = int(address)
    octets = list(address.packed)

    def number(n: int) -> str:
        form = draw(st.sampled_from(["dec", "hex", "HEX", "oct"]))
        if form == "hex":
            return hex(n)
        if form == "HEX":
            return "0X" + format(n, "X")
        if form == "oct" and n:
            return "0" + format(n, "o")
        return str(n)

    shape = draw(st.integers(1, 4))
    if shape == 1:
        parts = [number(value)]
    elif shape == 2:
        parts = [number(octets[0]), number(value & 0xFFFFFF)]
    elif shape == 3:
        parts = [number(octets[0]), number(octets[1]), number(value & 0xFFFF)]
    else:
        parts = [number(o) for o in octets]
    dot = draw(st.sampled_from(DOTS))
    host = dot.join(parts) + draw(st.sampled_from(["", "."]))
    if draw(st.booleans()):
        host = "".join(FULLWIDTH.get(c, c) for c in host)
    return host


@st.composite
def ipv6_spellings(draw) -> str:
    kind = draw(st.sampled_from(["plain", "mapped", "nat64", "6to4"]))
    if kind == "plain":
        address = draw(non_public_v6)
        text = draw(st.sampled_from([address.compressed, address.exploded]))
    else:
        v4 = draw(non_public_v4)
        if kind == "mapped":
            text = f"::ffff:{v4}"
        elif kind == "nat64":
            text = f"64:ff9b::{v4}"
        else:
            text = str(ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80)))
    return f"[{text.upper() if draw(st.booleans()) else text}]"


local_names = st.builds(
    lambda prefix, suffix, upper, dot: (prefix + suffix + dot).upper() if upper
    else prefix + suffix + dot,
    st.sampled_from(["", "app.", "www.", "a-b."]),
    st.sampled_from(LOCAL_SUFFIXES),
    st.booleans(), st.sampled_from(["", "."]),
) | st.from_regex(r"\A[a-z][a-z0-9-]{0,20}\Z")  # single labels (intranet names)

unsafe_hosts = st.one_of(non_public_v4.flatmap(ipv4_spellings), ipv6_spellings(), local_names)

label = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?\Z")
tld = st.from_regex(r"\A[a-z]{2,8}\Z").filter(
    lambda t: t not in LOCAL_SUFFIXES and not t.startswith("xn"))
public_hosts = st.builds(lambda labels, top: ".".join([*labels, top]),
                         st.lists(label, min_size=1, max_size=3), tld)
paths = st.text(alphabet=string.ascii_letters + string.digits + "/-._~?=&%", max_size=30)
schemes = st.sampled_from(["http", "https", "HTTP", "Https"])
unsafe_schemes = st.builds(
    lambda name, pad: pad + name,
    st.sampled_from(["javascript", "JavaScript", "data", "vbscript", "file", "ftp", "blob",
                     "java\tscript", "java\nscript", "jav&#x09;ascript", "ws", "about"]),
    st.sampled_from(["", " ", "\t", "\x00", "\u200b"]),
)
credentials = st.sampled_from(["user@", "user:pass@", ":@", "a%40b@", "admin:@"])


def _assert_safe(result: str) -> None:
    """Independent check of an accepted URL with the standard library."""
    parts = urlsplit(result)
    assert parts.scheme in ("http", "https")
    assert result.startswith(parts.scheme + "://")
    assert "@" not in parts.netloc
    assert not any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in result)
    assert result.isascii()
    host = parts.hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        assert len(labels) >= 2
        # WHATWG: a host whose last label is a number is an IPv4 address, never a name.
        assert not re.fullmatch(r"[0-9]+|0x[0-9a-f]*", labels[-1])
        assert not any(host == s or host.endswith("." + s) for s in LOCAL_SUFFIXES)
    else:
        assert address.is_global and not address.is_multicast
        if isinstance(address, ipaddress.IPv6Address):
            for embedded in (address.ipv4_mapped, address.sixtofour):
                assert embedded is None or embedded.is_global


# --- properties -------------------------------------------------------------------------


@given(scheme=schemes, host=unsafe_hosts, path=paths)
@example(scheme="http", host="127.0.0.1", path="/")
@example(scheme="http", host="0x7f.0.0.1", path="")
@settings(max_examples=400)
def test_no_private_loopback_or_local_host_is_accepted(scheme, host, path):
    with pytest.raises(ValidationError):
        clean_destination(f"{scheme}://{host}/{path}")


@given(scheme=unsafe_schemes, rest=st.one_of(public_hosts, paths))
@settings(max_examples=200)
def test_no_other_scheme_is_accepted(scheme, rest):
    for separator in (":", "://", ":/"):
        with pytest.raises(ValidationError):
            clean_destination(f"{scheme}{separator}{rest}")


@given(scheme=schemes, userinfo=credentials, host=public_hosts, path=paths)
@settings(max_examples=200)
def test_credentials_are_never_accepted(scheme, userinfo, host, path):
    with pytest.raises(ValidationError):
        clean_destination(f"{scheme}://{userinfo}{host}/{path}")


@given(scheme=schemes, host=public_hosts, path=paths)
@settings(max_examples=300)
def test_public_urls_are_accepted_and_keep_their_host(scheme, host, path):
    result = clean_destination(f"{scheme}://{host}/{path}")
    _assert_safe(result)
    assert urlsplit(result).hostname == host


@given(host=public_hosts, allowed=st.lists(public_hosts, min_size=1, max_size=3))
@settings(max_examples=100)
def test_allow_list_accepts_exactly_its_domains(host, allowed):
    inside = any(host == d or host.endswith("." + d) for d in allowed)
    try:
        clean_destination(f"https://{host}/", allowed_domains=allowed)
    except ValidationError as exc:
        assert not inside
        assert exc.code == "domain_not_allowed"
    else:
        assert inside


url_pieces = st.one_of(
    st.sampled_from(["http", "https", "javascript", "data", "HTTP", "ftp", ""]),
    st.sampled_from(["://", ":", "//", ":/", "@", ":", "[", "]", "%", "\\", ".", "/", "?",
                     "#", "\u3002", "\uff0e", "0x", "0", "127", "::1", "ffff"]),
    unsafe_hosts, public_hosts, credentials, paths,
    st.text(max_size=8),
)


@given(start=st.sampled_from(["http://", "https://", "HTTPS://", "http:", ""]),
       pieces=st.lists(url_pieces, min_size=1, max_size=8))
@example(start="http://", pieces=["0x", "7f", ".", "1"])
@example(start="https://", pieces=["example.com", "\u3002", "127"])
@settings(max_examples=600)
def test_whatever_is_accepted_is_a_safe_public_url(start, pieces):
    """Random assemblies of URL fragments: every accepted result is safe."""
    candidate = start + "".join(pieces)
    try:
        result = clean_destination(candidate)
    except ValidationError:
        event("refused")
        return
    event("accepted")
    _assert_safe(result)
    assert clean_destination(result) == result  # normalizing is stable
