"""Hypothesis strategies for webhook bodies a provider could sign: the kit's fuzzing input.

:func:`delivery_bodies` starts from genuine bodies (one per event type the
provider sends, in its own wire format) and breaks them the ways a buggy or
hostile sender could: any value replaced by any JSON value (huge and negative
integers, floats, booleans, ``null``, odd Unicode, NUL, lone surrogates,
overlong text, nested containers), keys removed, values buried under deep
nesting; or it sends raw bytes (not UTF-8, not JSON, ``NaN``, numbers of
thousands of digits, a cut-off body, 100,000 nested arrays). The kit signs
each body correctly, so only the provider's parsing and core's validation
stand between it and the database.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

#: Integers around the limits of the columns and of 64-bit integers.
EDGE_INTEGERS = (0, 1, -1, 2**31 - 1, 2**31, -(2**31), 2**63 - 1, 2**63, -(2**63), 2**64,
                 10**30)

#: Text a database or a URL handles badly.
EDGE_TEXT = ("", " ", "\x00", "pay\x00", "\ud800", "x\udfff", "x" * 256, "x" * 5000,
             "\u0661\u0669\u0669\u0669", "\u00b2", "\uff11\uff19\uff19\uff19", "e\u0301",
             "\U0001f4b6", "../../x", "a/b?c#d", "%00", "\n", "USD\x00", "usd", "XXQ", "null",
             "1999", "-1999", "1e400", "NaN")

_NUMBER_OR_TEXT = st.one_of(
    st.sampled_from(EDGE_INTEGERS),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(EDGE_TEXT),
    st.text(max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=10),  # surrogates too
)

#: Any JSON value, small.
json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), _NUMBER_OR_TEXT),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=12), children, max_size=3),
    ),
    max_leaves=8,
)


def _locations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) to a value inside ``value``, the root ``()`` first."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _locations(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _locations(child, (*path, index))
    return found


def _replace(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return root


def _remove(root: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return {}
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return root


def _get(root: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        root = root[step]
    return root


@st.composite
def mutated_payloads(draw: st.DrawFn, payloads: list[Any]) -> bytes:
    """One of ``payloads`` (parsed JSON) with one to three values changed, removed or buried."""
    payload = copy.deepcopy(draw(st.sampled_from(payloads)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_locations(payload)))
        action = draw(st.sampled_from(("replace", "replace", "remove", "bury")))
        if action == "replace":
            payload = _replace(payload, path, draw(json_values))
        elif action == "remove":
            payload = _remove(payload, path)
        else:
            depth = draw(st.sampled_from((2, 63, 64, 65, 200)))  # deeper: raw_bodies
            buried = _get(payload, path)
            for _ in range(depth):
                buried = [buried]
            payload = _replace(payload, path, buried)
    return json.dumps(payload).encode()


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


#: Bodies that crashed real endpoints: every run tries them first.
KNOWN_BAD_BODIES = (
    _nested(100_000),
    b'{"a":' * 1_000 + b"1" + b"}" * 1_000,
    b'{"type": "payment.succeeded", "data": {"amount": ' + b"9" * 5_000 + b"}}",
    b'{"type": "payment.succeeded", "data": {"amount": NaN}}',
    b"\xff\xfe{}",
    b"",
)


@st.composite
def raw_bodies(draw: st.DrawFn, genuine: list[bytes]) -> bytes:
    """Bodies that are not the provider's JSON at all, or only nearly."""
    body = draw(st.sampled_from(genuine))
    return draw(st.one_of(
        st.binary(max_size=64),
        st.sampled_from((b"", b"null", b"[]", b"{}", b'"x"', b"1999", b"NaN", b"Infinity",
                         b'{"type": NaN}', b"\xff\xfe", b"{\"a\": \"\xc3\"}",
                         b"9" * 5000, b'{"type":' + b"9" * 5000 + b"}")),
        st.sampled_from((64, 65, 1_000, 100_000)).map(_nested),
        st.integers(0, max(0, len(body) - 1)).map(lambda cut: body[:cut]),
        st.binary(min_size=1, max_size=4).map(lambda junk: body + junk),
    ))


def delivery_bodies(genuine: list[bytes]) -> st.SearchStrategy[bytes]:
    """Bodies derived from the ``genuine`` ones: mostly mutated JSON, sometimes raw bytes.

    Bodies that are not JSON are only sent raw (a provider whose wire format
    is not JSON still gets the raw cases).
    """
    payloads = []
    for body in genuine:
        try:
            payloads.append(json.loads(body))
        except ValueError:
            continue
    if not payloads:
        return raw_bodies(genuine)
    return st.one_of(mutated_payloads(payloads), mutated_payloads(payloads), raw_bodies(genuine))
