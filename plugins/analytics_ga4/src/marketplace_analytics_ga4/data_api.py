"""Reading a seller's traffic from the GA4 Data API (v1beta ``runReport``).

Google's official client (``google-analytics-data``) does the talking, over
its REST transport, to ``DATA_API_ENDPOINT`` (Google's by default; tests point
it at :class:`marketplace_analytics_ga4.testing.FakeGA4`). Two reports per
seller and period, both filtered to the seller's product page paths (the
product URLs: no extra tagging is needed):

1. per day (or per month for ``12m``): ``screenPageViews``, ``sessions``,
   ``totalUsers`` (users are counted by GA per day, never added across pages);
2. per page path: ``screenPageViews``, which :mod:`.traffic` maps to products.

GA4 dates are in the property's time zone: set the property's time zone to
the site's (``TIME_ZONE``) so days line up with the sales.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from marketplace_analytics_ga4.conf import conf
from marketplace_analytics_ga4.credentials import service_account
from marketplace_core.analytics.periods import Period

METRICS = ("screenPageViews", "sessions", "totalUsers")


class DataAPIError(RuntimeError):
    """The Data API could not be asked or did not answer (the message says why)."""


@dataclass
class Traffic:
    """What GA4 counted on a seller's product pages over one period (plain data: cached)."""

    #: Bucket label (``2026-03-15`` or ``2026-03``) → metric name → value.
    buckets: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Page path → views.
    paths: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"buckets": self.buckets, "paths": self.paths}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Traffic:
        return cls(buckets=dict(data.get("buckets") or {}), paths=dict(data.get("paths") or {}))


@functools.lru_cache(maxsize=4)
def _client(credentials: str, endpoint: str) -> Any:
    """One client per key and endpoint and process: it keeps its access token between calls."""
    from google.analytics.data_v1beta import BetaAnalyticsDataClient
    from google.api_core.client_options import ClientOptions

    return BetaAnalyticsDataClient(
        credentials=service_account(credentials), transport="rest",
        client_options=ClientOptions(api_endpoint=endpoint),
    )


def _label(dimension: str, value: str) -> str:
    """GA's ``20260315`` / ``202603`` as the dashboard's ``2026-03-15`` / ``2026-03``."""
    if dimension == "date":
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    return f"{value[:4]}-{value[4:6]}"


def report_requests(property_id: str, period: Period, paths: list[str]) -> list[Any]:
    """The two ``RunReportRequest`` of :func:`fetch_traffic`, for tests and logs."""
    from google.analytics.data_v1beta import types

    date_range = types.DateRange(start_date=period.first_day.isoformat(),
                                 end_date=period.last_day.isoformat())
    only_products = types.FilterExpression(filter=types.Filter(
        field_name="pagePath", in_list_filter=types.Filter.InListFilter(values=paths)))
    by_time = "date" if period.bucket == "day" else "yearMonth"
    return [
        types.RunReportRequest(
            property=f"properties/{property_id}", date_ranges=[date_range],
            dimensions=[types.Dimension(name=by_time)],
            metrics=[types.Metric(name=name) for name in METRICS],
            dimension_filter=only_products,
            limit=len(period.buckets) + 1,
        ),
        types.RunReportRequest(
            property=f"properties/{property_id}", date_ranges=[date_range],
            dimensions=[types.Dimension(name="pagePath")],
            metrics=[types.Metric(name="screenPageViews")],
            dimension_filter=only_products, limit=len(paths) + 1,
        ),
    ]


def fetch_traffic(period: Period, paths: list[str], *, timeout: float) -> Traffic:
    """Ask GA4 for the traffic of ``paths`` over ``period``; each call waits ``timeout`` at most.

    :raises DataAPIError: unconfigured, unreadable credentials, or GA refused or failed.
    """
    if not conf.reads_traffic:
        raise DataAPIError("PROPERTY_ID and CREDENTIALS are not both set")
    if not paths:
        return Traffic()
    from google.api_core import exceptions as google_exceptions
    from google.auth import exceptions as auth_exceptions

    from marketplace_analytics_ga4.credentials import CredentialsError

    traffic = Traffic()
    try:
        client = _client(conf.CREDENTIALS, conf.DATA_API_ENDPOINT)
        by_time, by_path = report_requests(conf.PROPERTY_ID, period, paths)
        # retry=None: a request must not sit in Google's retry loop; the task runs again.
        for row in client.run_report(request=by_time, timeout=timeout, retry=None).rows:
            label = _label(by_time.dimensions[0].name, row.dimension_values[0].value)
            traffic.buckets[label] = {
                name: int(float(value.value))
                for name, value in zip(METRICS, row.metric_values, strict=True)
            }
        for row in client.run_report(request=by_path, timeout=timeout, retry=None).rows:
            path = row.dimension_values[0].value
            traffic.paths[path] = traffic.paths.get(path, 0) + int(
                float(row.metric_values[0].value))
    except CredentialsError as exc:
        raise DataAPIError(f"the credentials are unusable: {exc}") from exc
    except google_exceptions.GoogleAPICallError as exc:
        raise DataAPIError(f"Google Analytics answered {exc.code}: {exc.message}") from exc
    except auth_exceptions.GoogleAuthError as exc:
        raise DataAPIError(f"Google refused the service account: {exc}") from exc
    except OSError as exc:  # requests' ConnectionError and Timeout are OSErrors
        raise DataAPIError(f"Google Analytics could not be reached: {exc}") from exc
    return traffic
