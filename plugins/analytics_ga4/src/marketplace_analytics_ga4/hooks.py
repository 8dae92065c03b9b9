"""Hook implementations of the Google Analytics 4 plugin.

Nothing here waits on Google beyond ``REQUEST_TIMEOUT``: traffic comes from
the cache (:mod:`.traffic`), events are queued as Celery tasks (the payment
and refund hooks are delivered after commit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace_core import hookimpl

if TYPE_CHECKING:
    from django.core.checks import CheckMessage
    from django.http import HttpRequest

    from marketplace_core.ownership.models import Order, Payment, Refund
    from marketplace_core.people.types import User
    from marketplace_core.plugins.types import DashboardSeries, PeriodicTask


@hookimpl
def dashboard_series(seller: User, period: str) -> list[DashboardSeries]:
    from marketplace_analytics_ga4.series import traffic_series

    return traffic_series(seller, period)


@hookimpl
def checkout_started(order: Order, request: HttpRequest) -> None:
    from marketplace_analytics_ga4.browser import remember_client

    remember_client(order, request)


@hookimpl
def head_tags(request: HttpRequest) -> list[str]:
    from marketplace_analytics_ga4.browser import page_tag

    tag = page_tag(request)
    return [] if tag is None else [tag]


@hookimpl
def payment_confirmed(order: Order, payment: Payment) -> None:
    from marketplace_analytics_ga4.conf import conf
    from marketplace_analytics_ga4.tasks import send_purchase

    if conf.sends_events:
        send_purchase.delay(order.pk)


@hookimpl
def refund_recorded(order: Order, refund: Refund) -> None:
    from marketplace_analytics_ga4.conf import conf
    from marketplace_analytics_ga4.tasks import send_refund

    if conf.sends_events:
        send_refund.delay(refund.pk)


@hookimpl
def register_periodic_tasks() -> list[PeriodicTask]:
    from marketplace_analytics_ga4.conf import conf
    from marketplace_analytics_ga4.tasks import REFRESH_TASK
    from marketplace_core.plugins.types import PeriodicTask

    return [PeriodicTask(name=REFRESH_TASK, task=REFRESH_TASK,
                         every_seconds=conf.REFRESH_INTERVAL)]


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    from marketplace_analytics_ga4.checks import check_settings

    return check_settings()
