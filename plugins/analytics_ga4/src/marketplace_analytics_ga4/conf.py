"""Typed, lazy access to ``MARKETPLACE["analytics_ga4"]``.

Example (secrets from the environment)::

    MARKETPLACE["analytics_ga4"] = {
        # Reading traffic (GA4 Data API): the property and a service account that can read it.
        "PROPERTY_ID": os.environ.get("GA4_PROPERTY_ID", ""),
        "CREDENTIALS": os.environ.get("GA4_CREDENTIALS", ""),  # a key file's path, or its JSON
        # Server-side purchase and refund events (Measurement Protocol).
        "MEASUREMENT_ID": os.environ.get("GA4_MEASUREMENT_ID", ""),  # G-XXXXXXXXXX
        "API_SECRET": os.environ.get("GA4_API_SECRET", ""),
        # The gtag.js page tag on storefront pages, after consent if the site asks for it.
        "PAGE_TAG": True,
        "REQUIRE_CONSENT": True,
    }

Values that fail their system check fall back to the default here, so a
request or a worker never crashes on them; ``manage.py check`` reports them.
"""

from __future__ import annotations

import re
from typing import Any

from marketplace_core.conf import conf as core_conf

NAME = "analytics_ga4"
DEFAULT_DATA_API_ENDPOINT = "https://analyticsdata.googleapis.com"
DEFAULT_MP_ENDPOINT = "https://www.google-analytics.com/mp/collect"
DEFAULT_TAG_URL = "https://www.googletagmanager.com/gtag/js"
#: GA4 web stream measurement ids: ``G-`` and 4 to 20 capitals or digits.
MEASUREMENT_ID_RE = re.compile(r"G-[A-Z0-9]{4,20}")
#: Numeric property ids (the Data API's ``properties/<id>``).
PROPERTY_ID_RE = re.compile(r"[0-9]{1,20}")

DEFAULTS: dict[str, Any] = {
    "PROPERTY_ID": "",
    "CREDENTIALS": "",
    "DATA_API_ENDPOINT": DEFAULT_DATA_API_ENDPOINT,
    # Longest a dashboard request waits for Google before answering without traffic.
    "REQUEST_TIMEOUT": 2.0,
    # Timeout of one Data API call from the refresh task.
    "TASK_TIMEOUT": 30.0,
    # How long fetched traffic is served before it is fetched again.
    "CACHE_SECONDS": 3600,
    # How often the periodic task refreshes the traffic sellers looked at recently.
    "REFRESH_INTERVAL": 900,
    # After a failed fetch, requests do not try again for this long (the task still does).
    "FAILURE_BACKOFF": 120,
    "MEASUREMENT_ID": "",
    "API_SECRET": "",
    "MP_ENDPOINT": DEFAULT_MP_ENDPOINT,
    "MP_TIMEOUT": 10.0,
    "PAGE_TAG": False,
    "REQUIRE_CONSENT": False,
    # The cookie whose value "granted" (or "1", "yes", "true") means analytics consent.
    "CONSENT_COOKIE": "analytics_consent",
    "TAG_URL": DEFAULT_TAG_URL,
}


def positive_number(value: object, *, upper: float) -> bool:
    """An int or float in (0, upper] (``True`` is not a number here)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and 0 < value <= upper)


#: Upper bounds of the numeric options (seconds).
LIMITS: dict[str, float] = {
    "REQUEST_TIMEOUT": 30, "TASK_TIMEOUT": 300, "CACHE_SECONDS": 7 * 86400,
    "REFRESH_INTERVAL": 86400, "FAILURE_BACKOFF": 86400, "MP_TIMEOUT": 120,
}


class GA4Settings:
    @property
    def raw(self) -> dict[str, Any]:
        value = core_conf.plugin(NAME)
        return value if isinstance(value, dict) else {}

    def _get(self, key: str) -> Any:
        value = self.raw.get(key)
        return DEFAULTS[key] if value is None or value == "" else value

    def _text(self, key: str) -> str:
        return str(self._get(key)).strip()

    def _number(self, key: str) -> float:
        value = self._get(key)
        return float(value) if positive_number(value, upper=LIMITS[key]) else DEFAULTS[key]

    @property
    def PROPERTY_ID(self) -> str:
        value = self._text("PROPERTY_ID").removeprefix("properties/")
        return value if PROPERTY_ID_RE.fullmatch(value) else ""

    @property
    def CREDENTIALS(self) -> str:
        return self._text("CREDENTIALS")

    @property
    def DATA_API_ENDPOINT(self) -> str:
        return self._text("DATA_API_ENDPOINT").rstrip("/")

    @property
    def REQUEST_TIMEOUT(self) -> float:
        return self._number("REQUEST_TIMEOUT")

    @property
    def TASK_TIMEOUT(self) -> float:
        return self._number("TASK_TIMEOUT")

    @property
    def CACHE_SECONDS(self) -> int:
        return int(self._number("CACHE_SECONDS"))

    @property
    def REFRESH_INTERVAL(self) -> float:
        return self._number("REFRESH_INTERVAL")

    @property
    def FAILURE_BACKOFF(self) -> int:
        return int(self._number("FAILURE_BACKOFF"))

    @property
    def MEASUREMENT_ID(self) -> str:
        value = self._text("MEASUREMENT_ID")
        return value if MEASUREMENT_ID_RE.fullmatch(value) else ""

    @property
    def API_SECRET(self) -> str:
        return self._text("API_SECRET")

    @property
    def MP_ENDPOINT(self) -> str:
        return self._text("MP_ENDPOINT").rstrip("/")

    @property
    def MP_TIMEOUT(self) -> float:
        return self._number("MP_TIMEOUT")

    @property
    def PAGE_TAG(self) -> bool:
        return bool(self._get("PAGE_TAG")) and bool(self.MEASUREMENT_ID)

    @property
    def REQUIRE_CONSENT(self) -> bool:
        return bool(self._get("REQUIRE_CONSENT"))

    @property
    def CONSENT_COOKIE(self) -> str:
        return self._text("CONSENT_COOKIE")

    @property
    def TAG_URL(self) -> str:
        return self._text("TAG_URL")

    @property
    def reads_traffic(self) -> bool:
        """Both what the Data API needs are set (whether they work is another matter)."""
        return bool(self.PROPERTY_ID and self.CREDENTIALS)

    @property
    def sends_events(self) -> bool:
        return bool(self.MEASUREMENT_ID and self.API_SECRET)


conf = GA4Settings()
