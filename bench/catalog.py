"""Benchmark: storefront pages at N products against a bare Django view, same process, same run.

Usage (from the repository root)::

    python -m bench.catalog                         # 100,000 products on SQLite
    python -m bench.catalog --db postgres --products 10000 --requests 100
    python -m bench.catalog --cache redis --json /tmp/catalog.json

What it does:

1. starts a throw-away PostgreSQL (``--db postgres``; SQLite is a temporary file)
   and, with ``--cache redis``, a throw-away ``redis-server`` as the default cache
   (the production setup; local memory otherwise, the demo's);
2. migrates and seeds, in bulk with a progress bar: 10 sellers with 5 categories
   each, N published products (one category each, a third of them a second
   one), descriptions drawn from a fixed vocabulary (the *common* words are in
   about half the products, each *rare* word in a handful), a buyer who owns 20
   products and pending orders for the webhook deliveries;
3. serves requests in this process through Django's WSGI handler with the
   example site's settings (``bench/settings.py``: ``DEBUG`` off, its
   middleware, the cached template loader), and for each page (home, catalog
   page 1, a category, a search for a common and for a rare word, page 200,
   a product page) reports the median and p90 time, the SQL queries of one
   request, and the ratio bare view / page (1.0 = as fast as the bare view),
   in four cases: ``warm`` (anonymous, the page cached), ``cold`` (caches
   cleared before every request, a different category, word, page or product
   each time), ``logged-in`` (the buyer, warm cache) and ``logged-in cold``;
4. times a valid payment webhook delivery (each one confirms its own order;
   the tasks it enqueues after the commit are queued, as in production: to the
   bench's Redis with ``--cache redis``, else to Celery's in-memory transport,
   where no worker runs them);
5. times the template rendering alone of a 24-item catalog page, the home
   page and a product page (the view's context made once, rendered again).

The bare view (``/bench/bare``, 200 "ok") is timed right before each page, the
same number of times, so drifts in the machine's load hit both alike. The
1-minute load average is printed with every line.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SELLERS = 10
CATEGORIES_PER_SELLER = 5
OWNED = 20
COMMON_WORDS = ("guide", "poster", "template", "course", "pattern")
RARE_WORDS = tuple(f"zephyr{n:02d}" for n in range(40))
PRODUCTS_PER_RARE_WORD = 5
DEEP_PAGE = 200
#: Products kept aside for webhook orders (a kept database serves several runs).
MAX_WEBHOOKS = 1500
CASES = ("warm", "cold", "logged-in", "logged-in cold")


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _progress(label: str, done: int, total: int) -> None:
    if done < total and done * 20 // total == (done - 1) * 20 // total:
        return  # redraw every 5 %
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r  {label:<12} [{'#' * filled}{'.' * (width - filled)}] {done:>7}/{total}",
          end=end, file=sys.stderr, flush=True)


# -------------------------------------------------------------------------
# environment
# -------------------------------------------------------------------------


@contextlib.contextmanager
def _services(args: argparse.Namespace, folder: Path) -> Iterator[None]:
    from marketplace_core.testing.servers import PostgresServer, RedisServer

    with contextlib.ExitStack() as stack:
        os.environ.update({
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "MARKETPLACE_VAR_DIR": str(folder),
        })
        for name in ("DATABASE_URL", "REDIS_URL", "MARKETPLACE_PLUGINS"):
            os.environ.pop(name, None)
        if args.db == "postgres":
            postgres = PostgresServer().start()
            stack.callback(postgres.stop)
            os.environ["DATABASE_URL"] = postgres.url
        if args.cache == "redis":
            redis = RedisServer().start()
            stack.callback(redis.stop)
            os.environ["REDIS_URL"] = redis.url
        sys.path[:0] = [str(ROOT), str(ROOT / "example_site")]
        import django

        django.setup()
        yield


# -------------------------------------------------------------------------
# seeding
# -------------------------------------------------------------------------


@dataclass
class World:
    category_slugs: list[str]
    product_slugs: list[str]
    buyer_cookie: str
    webhook_orders: list[tuple[str, int, str]]
    pages: int
    #: Products the webhook deliveries buy (a kept database uses the next ones each run).
    order_slugs: list[str] = field(default_factory=list)
    orders_used: int = 0


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "du", "an", "or", "el"]
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _cover_fields(i: int) -> dict[str, Any]:
    """Four products in five have a cover with its variants recorded (names only: the
    pages render them without reading the files); the fifth shows the placeholder."""
    if i % 5 == 4:
        return {}
    name = f"covers/bench{i}.jpg"
    return {"cover_image": name, "cover_width": 1600, "cover_height": 900,
            "cover_variants": {
                "webp": [[width, f"covers/bench{i}.w{width}.webp"] for width in (320, 640, 1280)],
                "fallback": [640, f"covers/bench{i}.w640.jpg"]}}


def seed(count: int) -> World:
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from marketplace_core.catalog import facets, versions
    from marketplace_core.catalog.models import CATEGORY_NAMES_SEPARATOR, Category, Product
    from marketplace_core.testing.factories import buy, make_seller, make_user

    rng = random.Random(13)
    words = _vocabulary(rng)
    sellers = [make_seller(email=f"seller{n}@bench.example", name=f"Seller {n}")
               for n in range(SELLERS)]
    categories = {
        seller.pk: [Category.objects.create(seller=seller, name=f"Shelf {s}-{c}",
                                            slug=f"shelf-{s}-{c}")
                    for c in range(CATEGORIES_PER_SELLER)]
        for s, seller in enumerate(sellers)
    }
    rare_at = {rng.randrange(count): word for word in RARE_WORDS
               for _ in range(PRODUCTS_PER_RARE_WORD)}
    link = Product.categories.through
    now = timezone.now()
    batch = 2000
    for start in range(0, count, batch):
        products, chosen = [], []
        for i in range(start, min(start + batch, count)):
            seller = sellers[i % SELLERS]
            picked = [rng.choice(categories[seller.pk])]
            if i % 3 == 0:
                second = rng.choice(categories[seller.pk])
                if second is not picked[0]:
                    picked.append(second)
            text = [rng.choice(words) for _ in range(25)]
            if rng.random() < 0.5:
                text.insert(rng.randrange(len(text)), rng.choice(COMMON_WORDS))
            if i in rare_at:
                text.append(rare_at[i])
            products.append(Product(
                seller=seller, title=f"{rng.choice(words).title()} {rng.choice(words)} {i}",
                slug=f"bench-{i}", description=" ".join(text), price=rng.randint(100, 9900),
                status=Product.Status.PUBLISHED, is_featured=rng.random() < 0.01,
                file=f"bench/{i}.pdf", file_name="file.pdf", file_size=1000,
                published_at=now, **_cover_fields(i),
                category_names=CATEGORY_NAMES_SEPARATOR.join(
                    sorted(category.name for category in picked)),
            ))
            chosen.append(picked)
        with transaction.atomic():
            created = Product.objects.bulk_create(products)
            link.objects.bulk_create(
                link(product_id=product.pk, category_id=category.pk)
                for product, picked in zip(created, chosen, strict=True) for category in picked
            )
        _progress("products", min(start + batch, count), count)
    # Bulk inserts send no signals: count the category facets and retire cached pages.
    facets.recount_all()
    versions.bump_after_commit()
    if connection.vendor == "postgresql":
        # What autovacuum does within a minute of a bulk load, done now: without
        # statistics PostgreSQL planned page 200 at 58 ms and a search at 67 ms
        # (1.4 and 4.3 ms after). SQLite is left without them on purpose: a site may
        # never run ANALYZE, and its plans must hold regardless (docs/performance.md).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            # And the bulk load's dirty pages written now, not by the checkpointer
            # competing with the timed requests for the two CPUs.
            cursor.execute("CHECKPOINT")
    slugs = list(Product.objects.order_by("?").values_list("slug", flat=True)[:3000])
    buyer = make_user(email="buyer@bench.example")
    for slug in slugs[:OWNED]:
        buy(buyer, Product.objects.get(slug=slug))
    client = Client(HTTP_HOST="localhost")
    client.force_login(buyer)
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    make_user(email="payer@bench.example")
    return World(category_slugs=sorted({c.slug for cs in categories.values() for c in cs}),
                 product_slugs=slugs[OWNED + MAX_WEBHOOKS:], buyer_cookie=cookie,
                 webhook_orders=[], pages=count // 24,
                 order_slugs=slugs[OWNED:OWNED + MAX_WEBHOOKS])


def seed_orders(world: World, webhooks: int) -> None:
    """Pending orders for ``webhooks`` deliveries, each for a product not bought
    before (a kept database takes the next ones on every run)."""
    from django.contrib.auth import get_user_model

    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.services import start_checkout

    payer = get_user_model().objects.get(email="payer@bench.example")
    slugs = world.order_slugs[world.orders_used:world.orders_used + webhooks]
    if len(slugs) < webhooks:
        raise SystemExit("the kept database has no products left for webhook orders: "
                         "seed a new one")
    world.orders_used += webhooks
    world.webhook_orders = []
    for n, slug in enumerate(slugs):
        order = start_checkout(buyer=payer, product=Product.objects.get(slug=slug),
                               provider="dummy")
        world.webhook_orders.append((str(order.reference), order.amount, order.currency))
        _progress("orders", n + 1, webhooks)


# -------------------------------------------------------------------------
# serving
# -------------------------------------------------------------------------


class Server:
    """Django's WSGI handler called in this process, as a WSGI server would."""

    def __init__(self) -> None:
        from django.conf import settings
        from django.core.handlers.wsgi import WSGIHandler
        from django.test import RequestFactory

        settings.DEBUG_PROPAGATE_EXCEPTIONS = True  # an error ends the run, with its traceback
        self.handler = WSGIHandler()
        self.factory = RequestFactory(HTTP_HOST="localhost", SERVER_NAME="localhost")

    def get(self, path: str, cookie: str = "") -> tuple[int, bytes]:
        environ = self.factory.get(path, HTTP_COOKIE=cookie).environ
        return self._call(environ)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        environ = self.factory.post(path, body, content_type="application/json",
                                    **extra).environ
        return self._call(environ)

    def _call(self, environ: dict[str, Any]) -> tuple[int, bytes]:
        status: list[str] = []
        response = self.handler(environ, lambda s, h, *a: status.append(s))
        try:
            body = b"".join(response)
        finally:
            response.close()
        return int(status[0].split()[0]), body


def _time(call: Callable[[], tuple[int, bytes]], times: int,
          cpu: list[float] | None = None) -> list[float]:
    """Wall-clock seconds of ``times`` calls; their CPU seconds (``time.process_time``:
    this process only, whatever else the machine runs) appended to ``cpu``."""
    samples = []
    for _ in range(times):
        start, start_cpu = time.perf_counter(), time.process_time()
        status, body = call()
        samples.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
        if status != 200:
            raise RuntimeError(f"answered {status}: {body[:300]!r}")
    return samples


def _queries(call: Callable[[], Any]) -> int:
    from django.db import connection

    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        if os.environ.get("BENCH_SHOW_SQL"):
            print(f"    SQL {count}: {sql[:160]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        call()
    return count


@dataclass
class Row:
    case: str
    page: str
    median_ms: float
    p90_ms: float
    queries: int
    bare_median_ms: float
    ratio: float
    #: Median CPU milliseconds of a request (the page's, the bare view's) and
    #: their ratio: what the machine's load does not change.
    cpu_ms: float = 0.0
    bare_cpu_ms: float = 0.0
    cpu_ratio: float = 0.0
    load: str = field(default_factory=_load)


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.9) - 1] * 1000


def _row(case: str, page: str, samples: list[float], cpu: list[float],
         bare_samples: list[float], bare_cpu: list[float], queries: int) -> Row:
    median, p90 = _stats(samples)
    bare_median = _stats(bare_samples)[0]
    cpu_ms, bare_cpu_ms = _stats(cpu)[0], _stats(bare_cpu)[0]
    return Row(case, page, median, p90, queries, bare_median, bare_median / median,
               cpu_ms, bare_cpu_ms, bare_cpu_ms / cpu_ms if cpu_ms else 0.0)


def _print(row: Row) -> None:
    print(f"  {row.case:<15} {row.page:<21} median {row.median_ms:8.2f} ms  "
          f"p90 {row.p90_ms:8.2f} ms  {row.queries:>2} queries  bare {row.bare_median_ms:6.3f} ms"
          f"  ratio {row.ratio:7.4f}  cpu {row.cpu_ms:7.3f} ms / bare {row.bare_cpu_ms:5.3f}"
          f" = {row.cpu_ratio:6.4f}  load {row.load}", flush=True)


def _wanted(name: str, args: argparse.Namespace) -> bool:
    return not args.pages or any(word in name for word in args.pages)


def _pages(world: World) -> dict[str, Callable[[int], str]]:
    """Each page as a function of the request number (cold requests vary it)."""
    cats, prods = world.category_slugs, world.product_slugs
    deep = max(min(DEEP_PAGE, world.pages - 50), 1)
    return {
        "home": lambda n: "/",
        "catalog page 1": lambda n: "/products/",
        "category": lambda n: f"/products/?category={cats[n % len(cats)]}",
        "search, common word": lambda n: f"/products/?q={COMMON_WORDS[n % len(COMMON_WORDS)]}",
        "search, rare word": lambda n: f"/products/?q={RARE_WORDS[n % len(RARE_WORDS)]}",
        f"page {deep}": lambda n: f"/products/?page={deep + n % 50}",
        "product page": lambda n: f"/products/{prods[n % len(prods)]}/",
    }


def measure(server: Server, world: World, args: argparse.Namespace) -> list[Row]:
    from django.core.cache import caches

    def clear() -> None:
        for cache in caches.all():
            cache.clear()

    rows = []
    bare = lambda: server.get("/bench/bare")  # noqa: E731
    # A browser keeps the CSRF cookie of its first page (the buyer's came with the login).
    browser = f"csrftoken={'b' * 32}"
    for case in args.cases:
        cold = case.endswith("cold")
        # The buyer's browser keeps its CSRF cookie too (without one, every page
        # makes a new secret and sets the cookie: 0.4 ms of CPU a request).
        cookie = f"{world.buyer_cookie}; {browser}" if case.startswith("logged-in") else browser
        for page, path_of in _pages(world).items():
            if not _wanted(page, args):
                continue
            counter = itertools.count(1)

            def request(path_of: Callable[[int], str] = path_of, counter: Any = counter,
                        cookie: str = cookie, cold: bool = cold) -> tuple[int, bytes]:
                if cold:
                    clear()
                return server.get(path_of(next(counter) if cold else 0), cookie)

            _time(request, 3)  # warm up (and, warm, fill the cache)
            bare_cpu: list[float] = []
            cpu: list[float] = []
            bare_samples = _time(bare, args.requests, bare_cpu)
            samples = _time(request, args.requests, cpu)
            queries = _queries(request)
            row = _row(case, page, samples, cpu, bare_samples, bare_cpu, queries)
            rows.append(row)
            _print(row)
    return rows


def measure_webhooks(server: Server, world: World, args: argparse.Namespace) -> Row:
    from django.urls import reverse

    from marketplace_core.payments.dummy import build_delivery

    url = reverse("marketplace:payment_webhook", kwargs={"provider": "dummy"})
    deliveries = iter(world.webhook_orders)

    def deliver() -> tuple[int, bytes]:
        reference, amount, currency = next(deliveries)
        body, headers = build_delivery("payment.succeeded", {
            "order_reference": reference, "payment_id": f"pay_{reference}",
            "amount": amount, "currency": currency})
        return server.post(url, body, headers)

    with _tasks_queued():
        queries = _queries(deliver)
        times = len(world.webhook_orders) - 1
        bare_cpu: list[float] = []
        cpu: list[float] = []
        bare_samples = _time(lambda: server.get("/bench/bare"), times, bare_cpu)
        samples = _time(deliver, times, cpu)
    row = _row("webhook", "payment delivery", samples, cpu, bare_samples, bare_cpu, queries)
    _print(row)
    return row


@contextlib.contextmanager
def _tasks_queued() -> Iterator[None]:
    """Queue Celery tasks instead of running them in the request, as production does.

    With ``--cache redis`` the example site already sends them to that Redis; with
    local memory there is no broker and tasks would run eagerly inside the timed
    delivery (the receipt and the sale announcement). Here they go to Celery's
    in-memory transport, where no worker takes them.
    """
    from celery import current_app

    app = current_app._get_current_object()
    if not app.conf.task_always_eager:
        yield
        return
    app.conf.update(task_always_eager=False, broker_url="memory://")
    try:
        yield
    finally:
        app.conf.update(task_always_eager=True)


def measure_rendering(world: World, args: argparse.Namespace) -> dict[str, float]:
    """Milliseconds per render of each page's template, its context made once
    (the view's queries are not timed)."""
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from marketplace_core.catalog.views import HomePageView, ProductDetailView, ProductListView

    factory = RequestFactory(HTTP_HOST="localhost")
    views = {
        "catalog page 1 (24 items)": (ProductListView, "/products/", {}),
        "home": (HomePageView, "/", {}),
        "product page": (ProductDetailView, f"/products/{world.product_slugs[0]}/",
                         {"slug": world.product_slugs[0]}),
    }
    results = {}
    for name, (view_class, path, kwargs) in views.items():
        request = factory.get(path)
        request.user = AnonymousUser()
        request.session = {}  # type: ignore[assignment]
        view = view_class()
        view.setup(request, **kwargs)
        response = view.get(request, **kwargs)
        context = dict(response.context_data)
        for value in context.values():  # evaluate the querysets once
            if hasattr(value, "_fetch_all"):
                value._fetch_all()
        if "page_obj" in context:
            context["page_obj"].object_list = list(context["page_obj"].object_list)
            context["products"] = context["page_obj"].object_list

        def render(response: Any = response, context: dict[str, Any] = context) -> None:
            response.context_data = context
            response._is_rendered = False
            response.render()

        render()
        best = min(_time_calls(render, 50) for _ in range(5))
        results[name] = best * 1000
        print(f"  render {name:<27} {best * 1000:7.3f} ms", flush=True)
    return results


def _time_calls(call: Callable[[], None], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cache", choices=("locmem", "redis"), default="locmem",
                        help="the default cache: local memory (the demo) or a redis-server "
                             "started for the run (production)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--pages", nargs="+", metavar="WORD",
                        help="only the pages whose name holds one of these words "
                             "(e.g. search webhook)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="SQLite: seed into DIR and keep it; a later run with the same "
                             "DIR and --products reuses it (new webhook orders each run)")
    args = parser.parse_args()
    if args.keep and args.db != "sqlite":
        parser.error("--keep works with --db sqlite only (the PostgreSQL cluster is thrown away)")
    print(f"load average before the run: {_load()} ({os.cpu_count()} CPUs); "
          f"{args.products} products on {args.db}, {args.cache} cache", flush=True)
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            folder = args.keep.resolve()
        else:
            folder = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="mp-bench-catalog-")))
        kept = folder / f"world-{args.products}.json"
        if args.keep and not kept.exists() and (folder / "db.sqlite3").exists():
            raise SystemExit(f"{folder} holds a database seeded with another --products")
        stack.enter_context(_services(args, folder))
        from django.core.management import call_command

        call_command("migrate", verbosity=0, skip_checks=True)
        if args.keep and kept.exists():
            world = World(**json.loads(kept.read_text()))
            print(f"  reusing the {args.products} products seeded in {folder}", flush=True)
        else:
            started = time.monotonic()
            world = seed(args.products)
            print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)
        if _wanted("webhook", args):  # orders for the deliveries to confirm
            seed_orders(world, args.requests + 1)
        if args.keep:
            kept.write_text(json.dumps(asdict(world)))
        server = Server()
        rows = measure(server, world, args)
        if _wanted("webhook", args):
            rows.append(measure_webhooks(server, world, args))
        rendering = measure_rendering(world, args) if _wanted("render", args) else {}
    print(f"load average after the run: {_load()}")
    if args.json:
        args.json.write_text(json.dumps({
            "products": args.products, "db": args.db, "cache": args.cache,
            "requests": args.requests, "rows": [asdict(row) for row in rows],
            "render_ms": rendering}, indent=2))


if __name__ == "__main__":
    main()
