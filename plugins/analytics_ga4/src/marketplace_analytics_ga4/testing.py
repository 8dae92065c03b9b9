"""A fake Google Analytics 4 over HTTP, for this plugin's tests and yours.

:class:`FakeGA4` is a real HTTP server on a free loopback port that speaks
three of Google's protocols, so the plugin is tested through Google's own
client libraries, over the wire:

- **Service account authentication**: the OAuth 2.0 token endpoint
  (``POST /token``, the JWT-bearer grant) checks the assertion's RS256
  signature against the key :meth:`FakeGA4.service_account_json` made, its
  issuer, audience and scope, and hands out a bearer token; a self-signed JWT
  as the bearer token (what google-auth sends when it can skip the token
  endpoint) is checked the same way.
- **Data API v1beta** ``POST /v1beta/properties/<id>:runReport``: checks the
  bearer token, the property, and the request's shape as GA does (date ranges,
  known dimensions and metrics, the dimension filter, the limit), then answers
  rows built from the traffic the test gave with :meth:`FakeGA4.add_traffic`,
  grouped by the requested dimensions and filtered like GA. (Users are added
  across pages here; GA counts each user once.)
- **Measurement Protocol** ``POST /mp/collect`` and ``/debug/mp/collect``:
  validates the payload like GA's validation server (client id, event names
  and parameters, the ``purchase``/``refund`` fields, limits). The debug
  endpoint answers its ``validationMessages``; the collect endpoint answers
  204 like GA, keeps the valid events in :attr:`FakeGA4.events` and the
  refused payloads in :attr:`FakeGA4.rejected`.

Use::

    from marketplace_analytics_ga4.testing import FakeGA4

    with FakeGA4(property_id="123456") as fake:
        settings.MARKETPLACE["analytics_ga4"] = fake.settings()
        fake.add_traffic("/products/icon-pack/", dt.date(2026, 3, 14), views=40)
        ...
        [event] = fake.wait_for_events(1)

:meth:`FakeGA4.fail_next` makes the next Data API calls fail (any status, as
Google's JSON error), :attr:`FakeGA4.delay` makes them slow.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from marketplace_core.testing.http_fakes import LocalHTTPService

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
READONLY_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
DIMENSIONS = frozenset({"date", "yearMonth", "pagePath", "hostName", "country", "deviceCategory",
                        "sessionSource", "sessionMedium"})
METRICS = frozenset({"screenPageViews", "sessions", "totalUsers", "activeUsers", "newUsers"})
#: Event names GA reserves for itself (the Measurement Protocol refuses them).
RESERVED_EVENTS = frozenset({
    "ad_activeview", "ad_click", "ad_exposure", "ad_impression", "ad_query", "adunit_exposure",
    "app_clear_data", "app_install", "app_update", "app_remove", "error", "first_open",
    "first_visit", "in_app_purchase", "notification_dismiss", "notification_foreground",
    "notification_open", "notification_receive", "os_update", "screen_view", "session_start",
    "user_engagement",
})
RESERVED_PREFIXES = ("_", "firebase_", "ga_", "google_", "gtag.")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_ISO_CURRENCY = re.compile(r"[A-Z]{3}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|today|yesterday|\d+daysAgo")
_REPORT_PATH = re.compile(r"^/v1beta/properties/(?P<property>[^/:]+):runReport$")
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                503: "UNAVAILABLE"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TrafficRow:
    """Traffic on one page on one day, as the test gave it."""

    path: str
    day: dt.date
    views: int
    sessions: int
    users: int


@dataclass(frozen=True)
class MPEvent:
    """One event the Measurement Protocol accepted."""

    name: str
    params: dict[str, Any]
    client_id: str
    measurement_id: str
    payload: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Rejected:
    """A Measurement Protocol payload GA would drop, with its validation messages."""

    payload: Any
    messages: list[dict[str, str]]


class FakeGA4(LocalHTTPService):
    """The fake server: ``start()``/``stop()`` (or ``with``), ``reset()`` between tests."""

    thread_name = "fake-ga4"

    def __init__(self, *, property_id: str = "123456789", measurement_id: str = "G-TEST123456",
                 api_secret: str | None = None, host: str = "127.0.0.1") -> None:
        self.property_id = property_id
        self.measurement_id = measurement_id
        self.api_secret = api_secret or secrets.token_urlsafe(16)
        super().__init__(host=host)
        self.client_email = "marketplace-reader@fake-project.iam.gserviceaccount.com"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        #: Seconds every Data API answer waits before it is sent (a slow Google).
        self.delay = 0.0
        self._traffic: list[TrafficRow] = []
        self._tokens: set[str] = set()
        self._failures: deque[list[int]] = deque()  # [status, remaining]
        self.reports: list[dict[str, Any]] = []
        self.token_requests = 0
        self.self_signed_requests = 0
        self._events: list[MPEvent] = []
        self._rejected: list[Rejected] = []

    def reset(self) -> None:
        """Forget traffic, requests, events, queued failures and the delay (tokens stay valid)."""
        with self._lock:
            self._traffic.clear()
            self._failures.clear()
            self.reports.clear()
            self._events.clear()
            self._rejected.clear()
            self.delay = 0.0

    # --- configuration for the plugin ---------------------------------------

    def service_account_info(self) -> dict[str, Any]:
        """A service account key (as Google Cloud hands out) whose token URI is this fake."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        return {
            "type": "service_account", "project_id": "fake-project",
            "private_key_id": "fake-key-1", "private_key": pem,
            "client_email": self.client_email, "client_id": "100000000000000000001",
            "token_uri": f"{self.url}/token", "universe_domain": "googleapis.com",
        }

    def service_account_json(self) -> str:
        return json.dumps(self.service_account_info())

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """``MARKETPLACE["analytics_ga4"]`` pointing everything at this fake."""
        return {
            "PROPERTY_ID": self.property_id, "CREDENTIALS": self.service_account_json(),
            "DATA_API_ENDPOINT": self.url, "MEASUREMENT_ID": self.measurement_id,
            "API_SECRET": self.api_secret, "MP_ENDPOINT": f"{self.url}/mp/collect",
            **overrides,
        }

    # --- test data and failures ---------------------------------------------

    def add_traffic(self, path: str, day: dt.date, *, views: int, sessions: int | None = None,
                    users: int | None = None) -> None:
        """``views`` page views of ``path`` on ``day`` (sessions and users default to views)."""
        with self._lock:
            self._traffic.append(TrafficRow(path, day, views, views if sessions is None
                                            else sessions, views if users is None else users))

    def fail_next(self, status: int, *, times: int = 1) -> None:
        """Answer the next ``times`` Data API calls with ``status`` (Google's JSON error)."""
        with self._lock:
            self._failures.append([status, times])

    # --- what happened ------------------------------------------------------

    @property
    def events(self) -> list[MPEvent]:
        with self._lock:
            return list(self._events)

    @property
    def rejected(self) -> list[Rejected]:
        with self._lock:
            return list(self._rejected)

    def wait_for_events(self, count: int, timeout: float = 30.0) -> list[MPEvent]:
        """Block until at least ``count`` events arrived; ``AssertionError`` on timeout."""
        return self._wait_for(lambda: self._events, count, timeout,
                              f"Measurement Protocol events (refused: {self._rejected!r})")

    # --- OAuth --------------------------------------------------------------

    def _token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != [JWT_BEARER] or not form.get("assertion"):
            return 400, {"error": "unsupported_grant_type"}
        claims = self._verified_claims(form["assertion"][0])
        if claims is None or claims.get("aud") != f"{self.url}/token":
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if READONLY_SCOPE not in str(claims.get("scope", "")).split():
            return 400, {"error": "invalid_scope"}
        token = f"ya29.fake-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens.add(token)
            self.token_requests += 1
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _verified_claims(self, jwt: str) -> dict[str, Any] | None:
        """The claims of an RS256 JWT signed by this fake's service account key, or ``None``."""
        try:
            header_b64, claims_b64, signature_b64 = jwt.split(".")
            header = json.loads(_unb64url(header_b64))
            claims = json.loads(_unb64url(claims_b64))
            self._key.public_key().verify(_unb64url(signature_b64),
                                          f"{header_b64}.{claims_b64}".encode(),
                                          padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            return None
        now = time.time()
        if (header.get("alg") != "RS256" or claims.get("iss") != self.client_email
                or not claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0) + 300):
            return None
        return dict(claims)

    def _self_signed(self, token: str) -> bool:
        """Google also takes a service account's self-signed JWT as the bearer token
        (what google-auth sends when it need not fetch a token): audience the API, or
        the scope."""
        claims = self._verified_claims(token)
        if claims is None:
            return False
        with self._lock:
            self.self_signed_requests += 1
        return (str(claims.get("aud", "")).startswith("https://analyticsdata.googleapis.com")
                or READONLY_SCOPE in str(claims.get("scope", "")).split())

    # --- Data API -----------------------------------------------------------

    def _run_report(self, property_id: str, authorization: str,
                    body: Any) -> tuple[int, dict[str, Any]]:
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            known = token in self._tokens
        if not known and not self._self_signed(token):
            return _google_error(401, "Request had invalid authentication credentials.")
        if property_id != self.property_id:
            return _google_error(403, "User does not have sufficient permissions for this "
                                      f"property. properties/{property_id}")
        with self._lock:
            self.reports.append(body if isinstance(body, dict) else {"invalid": body})
            if self._failures:
                failure = self._failures[0]
                failure[1] -= 1
                if failure[1] <= 0:
                    self._failures.popleft()
                return _google_error(failure[0], "The fake was told to fail.")
        problem = _report_problem(body)
        if problem:
            return _google_error(400, problem)
        return 200, self._report(body)

    def _report(self, body: dict[str, Any]) -> dict[str, Any]:
        dimensions = [d["name"] for d in body.get("dimensions", [])]
        metrics = [m["name"] for m in body["metrics"]]
        ranges = [(_date(r["startDate"]), _date(r["endDate"])) for r in body["dateRanges"]]
        allowed = _allowed_values(body.get("dimensionFilter"))
        totals: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        with self._lock:
            traffic = list(self._traffic)
        for row in traffic:
            if not any(start <= row.day <= end for start, end in ranges):
                continue
            values = {"date": row.day.strftime("%Y%m%d"), "yearMonth": row.day.strftime("%Y%m"),
                      "pagePath": row.path, "hostName": "shop.example.com"}
            if any(values.get(name) not in accepted for name, accepted in allowed.items()):
                continue
            key = tuple(values.get(name, "(not set)") for name in dimensions)
            counts = {"screenPageViews": row.views, "sessions": row.sessions,
                      "totalUsers": row.users, "activeUsers": row.users, "newUsers": 0}
            for metric in metrics:
                totals[key][metric] += counts[metric]
        keys = sorted(totals)
        limit = int(body.get("limit") or 10000)
        rows = [{"dimensionValues": [{"value": value} for value in key],
                 "metricValues": [{"value": str(totals[key][m])} for m in metrics]}
                for key in keys[:limit]]
        answer: dict[str, Any] = {
            "dimensionHeaders": [{"name": name} for name in dimensions],
            "metricHeaders": [{"name": name, "type": "TYPE_INTEGER"} for name in metrics],
            "rowCount": len(keys),
            "metadata": {"currencyCode": "USD", "timeZone": "UTC"},
            "kind": "analyticsData#runReport",
        }
        if rows:
            answer["rows"] = rows
        return answer

    # --- Measurement Protocol -----------------------------------------------

    def _collect(self, query: dict[str, list[str]], body: bytes,
                 debug: bool) -> tuple[int, dict[str, Any] | None]:
        messages: list[dict[str, str]] = []
        if query.get("measurement_id") != [self.measurement_id]:
            messages.append(_message("measurement_id", "VALUE_INVALID",
                                     "Measurement ID is missing or unknown."))
        if query.get("api_secret") != [self.api_secret]:
            messages.append(_message("api_secret", "VALUE_INVALID",
                                     "API secret is missing or does not match the stream."))
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = None
            messages.append(_message("", "VALUE_INVALID", "Unable to parse the JSON payload."))
        if payload is not None:
            messages += _payload_problems(payload)
        if debug:
            return 200, {"validationMessages": messages}
        with self._lock:
            if messages:
                self._rejected.append(Rejected(payload, messages))
            else:
                for event in payload["events"]:
                    self._events.append(MPEvent(
                        name=event["name"], params=dict(event.get("params") or {}),
                        client_id=payload["client_id"],
                        measurement_id=query["measurement_id"][0], payload=payload))
            self._lock.notify_all()
        return 204, None

    # --- HTTP ---------------------------------------------------------------

    def _handle(self, method: str, raw_path: str, headers: Any,
                body: bytes) -> tuple[int, dict[str, Any] | None]:
        parts = urlsplit(raw_path)
        if method != "POST":
            return 405, {"error": "method not allowed"}
        if parts.path == "/token":
            return self._token(parse_qs(body.decode(errors="replace")))
        if parts.path in ("/mp/collect", "/debug/mp/collect"):
            return self._collect(parse_qs(parts.query), body, parts.path.startswith("/debug"))
        match = _REPORT_PATH.match(parts.path)
        if match:
            if self.delay:
                time.sleep(self.delay)
            try:
                decoded = json.loads(body or b"{}")
            except ValueError:
                return _google_error(400, "Invalid JSON payload received.")
            return self._run_report(match["property"], headers.get("Authorization") or "",
                                    decoded)
        return _google_error(404, f"The requested URL {parts.path} was not found.")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = fake._handle(self.command, self.path, self.headers, body)
                data = json.dumps(answer).encode() if answer is not None else b""
                try:
                    self.send_response(status)
                    if answer is not None:
                        self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read reports and events instead

        return Handler


def _google_error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": status, "message": message,
                              "status": STATUS_NAMES.get(status, "UNKNOWN")}}


def _date(value: str) -> dt.date:
    today = dt.date.today()
    if value == "today":
        return today
    if value == "yesterday":
        return today - dt.timedelta(days=1)
    if value.endswith("daysAgo"):
        return today - dt.timedelta(days=int(value.removesuffix("daysAgo")))
    return dt.date.fromisoformat(value)


def _report_problem(body: Any) -> str | None:
    """What GA's ``runReport`` would refuse in ``body`` (``None``: a valid request)."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    ranges = body.get("dateRanges")
    if not isinstance(ranges, list) or not 1 <= len(ranges) <= 4:
        return "A request must have between 1 and 4 dateRanges."
    for date_range in ranges:
        start, end = str(date_range.get("startDate", "")), str(date_range.get("endDate", ""))
        if not (_DATE.fullmatch(start) and _DATE.fullmatch(end)):
            return f"Invalid date range {start!r} to {end!r}: dates are YYYY-MM-DD."
        try:
            if _date(start) > _date(end):
                return f"The dateRange startDate {start} is after its endDate {end}."
        except ValueError:
            return f"Invalid date in the range {start!r} to {end!r}."
    dimensions = body.get("dimensions", [])
    metrics = body.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        return "A request must have at least one metric."
    names = [d.get("name") for d in dimensions] + [m.get("name") for m in metrics]
    if len(set(names)) != len(names):
        return "Dimension and metric names must be unique within a request."
    for dimension in dimensions:
        if dimension.get("name") not in DIMENSIONS:
            return f"Field {dimension.get('name')} is not a valid dimension."
    for metric in metrics:
        if metric.get("name") not in METRICS:
            return f"Field {metric.get('name')} is not a valid metric."
    if "dimensionFilter" in body:
        problem = _filter_problem(body["dimensionFilter"])
        if problem:
            return problem
    limit = body.get("limit")
    if limit is not None and not (str(limit).isdigit() and 1 <= int(limit) <= 250000):
        return f"limit must be between 1 and 250000, not {limit!r}."
    return None


def _filter_problem(expression: Any) -> str | None:
    if not isinstance(expression, dict) or len(expression) != 1:
        return "A FilterExpression must set exactly one of andGroup, orGroup, notExpression " \
               "or filter."
    [(kind, value)] = expression.items()
    if kind in ("andGroup", "orGroup"):
        for child in value.get("expressions", []):
            problem = _filter_problem(child)
            if problem:
                return problem
        return None
    if kind == "notExpression":
        return _filter_problem(value)
    if kind != "filter":
        return f"Unknown filter expression {kind!r}."
    if value.get("fieldName") not in DIMENSIONS:
        return f"Field {value.get('fieldName')} is not a valid dimension for a filter."
    kinds = [k for k in ("stringFilter", "inListFilter") if k in value]
    if len(kinds) != 1:
        return "A Filter must set one of stringFilter or inListFilter."
    if kinds[0] == "inListFilter":
        values = value["inListFilter"].get("values")
        if not isinstance(values, list) or not values or not all(
                isinstance(v, str) for v in values):
            return "inListFilter.values must be a non-empty list of strings."
    return None


def _allowed_values(expression: Any) -> dict[str, set[str]]:
    """The values an (``inListFilter`` / exact ``stringFilter``) expression lets through."""
    if not expression:
        return {}
    if "andGroup" in expression:
        allowed: dict[str, set[str]] = {}
        for child in expression["andGroup"].get("expressions", []):
            allowed.update(_allowed_values(child))
        return allowed
    if "filter" in expression:
        spec = expression["filter"]
        if "inListFilter" in spec:
            return {spec["fieldName"]: set(spec["inListFilter"]["values"])}
        return {spec["fieldName"]: {spec["stringFilter"].get("value", "")}}
    raise ValueError("the fake filters with andGroup, inListFilter and exact stringFilter only")


def _message(field_path: str, code: str, description: str) -> dict[str, str]:
    return {"fieldPath": field_path, "validationCode": code, "description": description}


def _payload_problems(payload: Any) -> list[dict[str, str]]:
    """GA's validation messages for a Measurement Protocol body."""
    if not isinstance(payload, dict):
        return [_message("", "VALUE_INVALID", "The payload must be a JSON object.")]
    problems = []
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        problems.append(_message("client_id", "VALUE_REQUIRED",
                                 "client_id is required for a web stream."))
    events = payload.get("events")
    if not isinstance(events, list) or not events:
        return [*problems, _message("events", "VALUE_REQUIRED", "events must not be empty.")]
    if len(events) > 25:
        problems.append(_message("events", "EXCEEDED_MAX_ENTITIES",
                                 "A request has 25 events at most."))
    for index, event in enumerate(events):
        problems += _event_problems(f"events[{index}]", event)
    return problems


def _event_problems(where: str, event: Any) -> list[dict[str, str]]:
    if not isinstance(event, dict):
        return [_message(where, "VALUE_INVALID", "An event must be an object.")]
    name = event.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return [_message(f"{where}.name", "NAME_INVALID", f"Event name {name!r} is invalid.")]
    if name in RESERVED_EVENTS or name.startswith(RESERVED_PREFIXES):
        return [_message(f"{where}.name", "NAME_RESERVED", f"Event name {name} is reserved.")]
    params = event.get("params") or {}
    if not isinstance(params, dict):
        return [_message(f"{where}.params", "VALUE_INVALID", "params must be an object.")]
    problems = []
    if len(params) > 25:
        problems.append(_message(f"{where}.params", "EXCEEDED_MAX_ENTITIES",
                                 "An event has 25 parameters at most."))
    for key, value in params.items():
        if key == "items":
            continue
        if not _NAME.fullmatch(key) or key.startswith(RESERVED_PREFIXES):
            problems.append(_message(f"{where}.params.{key}", "NAME_INVALID",
                                     f"Parameter name {key!r} is invalid."))
        elif isinstance(value, str) and len(value) > 100:
            problems.append(_message(f"{where}.params.{key}", "VALUE_OUT_OF_BOUNDS",
                                     "A parameter value has 100 characters at most."))
        elif not isinstance(value, str | int | float) or isinstance(value, bool):
            problems.append(_message(f"{where}.params.{key}", "VALUE_INVALID",
                                     "A parameter value is a string or a number."))
    if "value" in params and not _ISO_CURRENCY.fullmatch(str(params.get("currency", ""))):
        problems.append(_message(f"{where}.params.currency", "VALUE_REQUIRED",
                                 "currency (ISO 4217) is required with value."))
    if name in ("purchase", "refund") and not params.get("transaction_id"):
        problems.append(_message(f"{where}.params.transaction_id", "VALUE_REQUIRED",
                                 f"transaction_id is required for {name}."))
    items = params.get("items", [])
    if not isinstance(items, list) or len(items) > 200:
        problems.append(_message(f"{where}.params.items", "VALUE_INVALID",
                                 "items is a list of 200 items at most."))
    else:
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not (item.get("item_id") or item.get("item_name")):
                problems.append(_message(f"{where}.params.items[{index}]", "VALUE_REQUIRED",
                                         "An item needs item_id or item_name."))
    return problems
