"""A real redis-server as the default cache, stopped, restarted and hung mid-test:
core's pages answer without a 5xx throughout, ``/healthz`` says the cache is
degraded, login limits keep counting (per process), and everything goes back to
Redis by itself once it answers again."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
import redis
from django.test import Client

from marketplace_core.accounts.cache_fallback import RETRY_INTERVAL
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import DEFAULT_PASSWORD, buy, logged_in
from marketplace_core.testing.servers import RedisServer
from tests.account_support import fresh_limits

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_limits")]
__all__ = ["fresh_limits"]

ATTACKER = "203.0.113.66"


@pytest.fixture
def redis_cache(settings) -> Iterator[RedisServer]:
    """A redis-server of this test's own (it gets stopped), as the default cache, with
    the example site's socket timeouts."""
    server = RedisServer().start()
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": server.url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }}
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def _stop(server: RedisServer) -> None:
    """Stop the server process only: its folder stays, so it can start again on its port."""
    assert server.process is not None
    server.process.terminate()
    server.process.wait(10)


def _pages(make_user, make_seller, make_product) -> dict[str, object]:
    seller = make_seller(email="seller@example.com")
    product = make_product(seller=seller, title="Field Guide")
    customer = make_user(email="buyer@example.com")
    buy(customer, product)
    return {"seller": seller, "product": product, "customer": customer}


def _visit_every_page(world: dict) -> dict[str, int]:
    """Status of each page a visitor, a customer and a seller use (forms posted too)."""
    product = world["product"]
    anonymous = Client(REMOTE_ADDR="198.51.100.7", raise_request_exception=False)
    customer = logged_in(world["customer"])
    customer.raise_request_exception = False
    seller = logged_in(world["seller"])
    seller.raise_request_exception = False
    return {
        "home": anonymous.get("/").status_code,
        "product list": anonymous.get("/products/").status_code,
        "product page": anonymous.get(f"/products/{product.slug}/").status_code,
        "login page": anonymous.get("/accounts/login/").status_code,
        "login POST": anonymous.post("/accounts/login/", {
            "username": "buyer@example.com", "password": "wrong-guess"}).status_code,
        "register POST": anonymous.post("/accounts/register/", {
            "email": "new@example.com", "name": "New", "password1": "a-long-passphrase-93",
            "password2": "a-long-passphrase-93"}).status_code,
        "reset POST": anonymous.post("/accounts/password-reset/",
                                     {"email": "buyer@example.com"}).status_code,
        "my products": customer.get("/account/products/").status_code,
        "orders": customer.get("/account/orders/").status_code,
        "download": customer.get(f"/products/{product.slug}/download/").status_code,
        "verification email": customer.post("/accounts/verify-email/").status_code,
        "seller dashboard": seller.get("/seller/").status_code,
        "seller products": seller.get("/seller/products/").status_code,
        "checkout": seller.post(f"/products/{product.slug}/buy/", {
            "name": "Sam Seller", "email": "seller@example.com", "country": "de"}).status_code,
    }


#: What each page answers with Redis up, and so also with Redis down.
EXPECTED = {
    "home": 200, "product list": 200, "product page": 200, "login page": 200,
    "login POST": 200,  # the form again: wrong password
    "register POST": 302, "reset POST": 302,  # to "check your email"
    "my products": 200, "orders": 200, "download": 302, "verification email": 302,
    "seller dashboard": 200, "seller products": 200,
    "checkout": 302,  # to the dummy provider's page
}


def _health(client: Client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.json()


def _rate_limit_keys(server: RedisServer) -> int:
    return len(redis.Redis.from_url(server.url).keys("*rl:*"))


def test_pages_answer_while_redis_is_stopped_and_recover_when_it_returns(
    redis_cache, make_user, make_seller, make_product, caplog
):
    world = _pages(make_user, make_seller, make_product)
    health = Client()
    assert _health(health) == (200, {"status": "ok", "failing": [], "maintenance": False})
    assert _visit_every_page(world) == EXPECTED
    assert _rate_limit_keys(redis_cache) > 0  # the limits count in Redis

    _stop(redis_cache)
    with caplog.at_level("WARNING", logger="marketplace_core.accounts"):
        assert _visit_every_page(world) == EXPECTED
        assert _health(health) == (200, {"status": "degraded", "failing": ["cache"],
                                         "maintenance": False})
        # The login limit still holds (counted in this process) rather than failing open.
        target = make_user(email="target@example.com")
        attacker = Client(REMOTE_ADDR=ATTACKER)
        answers = [attacker.post("/accounts/login/", {"username": target.email,
                                                      "password": "wrong-guess"}).status_code
                   for _ in range(5)]
        refused = attacker.post("/accounts/login/", {"username": target.email,
                                                     "password": DEFAULT_PASSWORD})
        assert answers == [200] * 5
        assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    outage_warnings = [r.name for r in caplog.records
                       if "cannot be reached" in r.getMessage()]
    # Logged once by each user of the cache (limits, page cache), not once per request.
    assert sorted(outage_warnings) == ["marketplace_core.accounts", "marketplace_core.catalog"]

    redis_cache.start()  # the same port: no settings change, no process restart
    wait_until(lambda: _health(health)[0] == 200 and _health(health)[1]["status"] == "ok",
               what="/healthz to report ok again")
    # After the retry interval the limits count in Redis again.
    keys_before = _rate_limit_keys(redis_cache)
    wait_until(lambda: (Client(REMOTE_ADDR=ATTACKER).post(
        "/accounts/login/", {"username": "someone@example.com", "password": "x"}).status_code
        < 500 and _rate_limit_keys(redis_cache) > keys_before),
        timeout=RETRY_INTERVAL + 30, what="the login limit to count in Redis again")
    assert _visit_every_page(world) == EXPECTED


def test_a_hung_redis_cannot_hang_a_request(redis_cache, make_user, make_seller,
                                            make_product):
    """SIGSTOP: the server accepts connections and never answers. The socket timeout
    ends each cache call, so every page still answers (a hang would run into the
    test's timeout) and /healthz reports the cache degraded."""
    world = _pages(make_user, make_seller, make_product)
    assert redis_cache.process is not None
    os.kill(redis_cache.process.pid, signal.SIGSTOP)
    assert _visit_every_page(world) == EXPECTED
    assert _health(Client()) == (200, {"status": "degraded", "failing": ["cache"],
                                       "maintenance": False})
    os.kill(redis_cache.process.pid, signal.SIGCONT)
    wait_until(lambda: _health(Client())[1]["status"] == "ok",
               what="/healthz to report ok once Redis answers again")
