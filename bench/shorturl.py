"""Benchmark: short-link redirects against a bare Django view, same server, same run.

Usage (from the repository root, with redis-server, wrk and granian installed)::

    python -m bench.shorturl                 # 10 s per measurement, 3 rounds
    python -m bench.shorturl --duration 5 --rounds 1 --json results.json

What it does:

1. starts a throw-away ``redis-server`` (the shared cache, as in production;
   ``--cache locmem`` uses local memory instead) and migrates a fresh SQLite
   database holding one seller and one short link;
2. for each middleware variant of ``bench/settings.py`` starts the example site
   under granian (WSGI, one worker, one thread, keep-alive), all pinned to one CPU
   and all running side by side;
3. runs ``wrk`` pinned to another CPU against one server at a time: each round
   measures every variant with both URLs, ``/s/bench`` (302 to the destination)
   and ``/bench/bare`` (200 "ok"), odd rounds in reverse order;
4. prints requests per second (median of the rounds), the ratio of the short link
   to the bare view, what the fast-path middleware gains, what the maintenance
   middleware costs each request, the Redis commands per request (from the
   server's ``total_commands_processed``) and the load average around the run;
5. before the HTTP rounds, times in one process (best of 5, pinned like the
   server) the maintenance middleware around a trivial view and one link lookup
   (with Redis: one round trip for the link's version): figures the machine's
   load barely moves.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from marketplace_core.testing.servers import RedisServer, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("fast-path", "view-only", "no-maintenance")
URLS = {"shorturl": "/s/bench", "bare": "/bench/bare"}
#: In-process timings (µs per call, best of 5), run in a process with the bench settings.
MICRO = """
import json, timeit
import django
django.setup()
from django.http import HttpResponse
from django.test import RequestFactory
from marketplace_core.maintenance.middleware import UnderConstructionMiddleware
from marketplace_shorturl import redirects

ok = HttpResponse(b"ok")
def view(request):
    return ok
middleware = UnderConstructionMiddleware(view)
request = RequestFactory().get("/bench/bare")
assert redirects.find("bench") is not None

def best(call, number=100_000):
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6

print(json.dumps({
    "maintenance_middleware_us": best(lambda: middleware(request)) - best(lambda: view(request)),
    "link_lookup_us": best(lambda: redirects.find("bench"), number=20_000),
}))
"""
SEED = """
import django
django.setup()
from marketplace_core.testing.factories import make_seller
from marketplace_shorturl.services import LinkData, create_link
create_link(make_seller(), LinkData(destination="https://example.com/landing", slug="bench"))
"""


@dataclass
class Measurement:
    variant: str
    endpoint: str
    rps: list[float] = field(default_factory=list)
    #: Redis commands executed per request served, one value per round (Redis cache only).
    redis_per_request: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.rps)


def _pin(cpu: str | None, command: list[str]) -> list[str]:
    if cpu is None or shutil.which("taskset") is None:
        return command
    return ["taskset", "-c", cpu, *command]


def _environment(run_dir: Path, redis_url: str | None) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "MARKETPLACE_", "DATABASE_URL", "REDIS_URL"))}
    env = {
        **keep,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "MARKETPLACE_VAR_DIR": str(run_dir),
        "MARKETPLACE_PLUGINS": "shorturl",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
    }
    if redis_url:  # without it the example site falls back to a local-memory cache
        env["REDIS_URL"] = redis_url
    return env


def _prepare(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0", "--skip-checks"],
                   env=env, cwd=ROOT, check=True)
    subprocess.run([sys.executable, "-c", SEED], env=env, cwd=ROOT, check=True)


@contextlib.contextmanager
def _granian(env: dict[str, str], variant: str, cpu: str | None) -> Iterator[int]:
    port = free_port()
    command = _pin(cpu, [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--blocking-threads", "1",
        "--runtime-threads", "1", "--http", "1", "--no-ws", "--log-level", "warning",
        "bench.wsgi:application",
    ])
    process = subprocess.Popen(command, env={**env, "BENCH_VARIANT": variant},
                               cwd=ROOT)
    try:
        wait_for_port(port, process=process, what="granian")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wrk(port: int, path: str, *, duration: int, connections: int,
         cpu: str | None) -> tuple[float, int]:
    """Requests per second and requests served of one wrk run; fails on any error or
    unexpected status."""
    command = _pin(cpu, ["wrk", "-t1", f"-c{connections}", f"-d{duration}s",
                         f"http://127.0.0.1:{port}{path}"])
    output = subprocess.run(command, capture_output=True, text=True,
                            check=True).stdout
    if re.search(r"Non-2xx or 3xx responses|Socket errors", output):
        raise RuntimeError(f"wrk saw errors for {path}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    served = re.search(r"(\d+) requests in ", output)
    if match is None or served is None:
        raise RuntimeError(f"Unexpected wrk output:\n{output}")
    return float(match.group(1)), int(served.group(1))


def _redis_commands(url: str | None) -> int:
    """Commands the benchmark's Redis has executed so far (0 without Redis)."""
    if url is None:
        return 0
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()


def _check_answers(port: int) -> None:
    """The short link must really redirect and the bare view really answer."""
    import http.client

    for path, status in (("/s/bench", 302), ("/bench/bare", 200)):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != status:
            raise RuntimeError(f"GET {path} answered {response.status}, expected {status}")


def _micro(env: dict[str, str], variant: str, cpu: str | None) -> dict[str, float]:
    """:data:`MICRO` in a process of ``variant``'s settings, pinned like the server."""
    output = subprocess.run(_pin(cpu, [sys.executable, "-c", MICRO]),
                            env={**env, "BENCH_VARIANT": variant}, cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    return {k: float(v) for k, v in json.loads(output.strip().splitlines()[-1]).items()}


def run(args: argparse.Namespace) -> dict[str, Measurement]:
    """Measure every (variant, URL) pair once per round, all servers up side by side.

    The servers of all variants run at the same time (an idle one uses no CPU), so
    each round measures every pair within a minute of the others and slow drifts
    of the machine's load hit all of them alike; odd rounds go in reverse order.
    """
    results: dict[str, Measurement] = {}
    with tempfile.TemporaryDirectory(prefix="mp-bench-") as tmp, contextlib.ExitStack() as stack:
        redis = RedisServer().start() if args.cache == "redis" else None
        if redis is not None:
            stack.callback(redis.stop)
        redis_url = redis.url if redis else None
        env = _environment(Path(tmp), redis_url)
        _prepare(env)
        micro = _micro(env, "fast-path", args.server_cpu)
        args.micro["fast-path"] = micro
        print(f"  in process: maintenance middleware {micro['maintenance_middleware_us']:.2f} µs "
              f"per call, link lookup {micro['link_lookup_us']:.2f} µs", flush=True)
        ports = {variant: stack.enter_context(_granian(env, variant, args.server_cpu))
                 for variant in args.variants}
        pairs = [(variant, endpoint) for variant in args.variants for endpoint in URLS]
        for variant, endpoint in pairs:  # warm up: imports, caches, connections
            _check_answers(ports[variant])
            _wrk(ports[variant], URLS[endpoint], duration=2, connections=args.connections,
                 cpu=args.client_cpu)
        for number in range(args.rounds):
            for variant, endpoint in (pairs if number % 2 == 0 else pairs[::-1]):
                before = _redis_commands(redis_url)
                rps, served = _wrk(ports[variant], URLS[endpoint], duration=args.duration,
                                   connections=args.connections, cpu=args.client_cpu)
                # minus one: the INFO command that read the counter
                per_request = max(_redis_commands(redis_url) - before - 1, 0) / served
                key = f"{variant}/{endpoint}"
                m = results.setdefault(key, Measurement(variant, endpoint))
                m.rps.append(rps)
                redis_note = ""
                if redis_url:
                    m.redis_per_request.append(per_request)
                    redis_note = f"{per_request:.4f} Redis commands/request   "
                print(f"  round {number + 1}  {key:<28} {rps:>9.0f} req/s   "
                      f"{redis_note}load {_load()}", flush=True)
    return results


def _load() -> str:
    """The 1-minute load average (other work on the machine skews the figures)."""
    return f"{os.getloadavg()[0]:.2f}"


def report(results: dict[str, Measurement]) -> dict[str, float]:
    def rps(key: str) -> float:
        return results[key].median

    summary: dict[str, float] = {}
    print(f"\nmedian requests/second (ratio = short link / bare view, same server; "
          f"load average now {_load()}, {os.cpu_count()} CPUs):")
    for variant in VARIANTS:
        if f"{variant}/bare" not in results:
            continue
        bare, short = rps(f"{variant}/bare"), rps(f"{variant}/shorturl")
        summary[f"{variant}.ratio"] = short / bare
        per_round = [a / b for a, b in zip(results[f"{variant}/shorturl"].rps,
                                           results[f"{variant}/bare"].rps, strict=True)]
        summary[f"{variant}.ratio_min"] = min(per_round)
        summary[f"{variant}.ratio_max"] = max(per_round)
        redis_note = ""
        if results[f"{variant}/shorturl"].redis_per_request:
            redis_short = statistics.median(results[f"{variant}/shorturl"].redis_per_request)
            redis_bare = statistics.median(results[f"{variant}/bare"].redis_per_request)
            summary[f"{variant}.redis_per_request.shorturl"] = redis_short
            summary[f"{variant}.redis_per_request.bare"] = redis_bare
            redis_note = (f"   Redis commands/request: bare {redis_bare:.4f}, "
                          f"short link {redis_short:.4f}")
        print(f"  {variant:<15} bare {bare:>8.0f}   short link {short:>8.0f}   "
              f"ratio {short / bare:.2f} (rounds {min(per_round):.2f}-{max(per_round):.2f})"
              f"{redis_note}")
    if {"fast-path/shorturl", "view-only/shorturl"} <= results.keys():
        gain = rps("fast-path/shorturl") / rps("view-only/shorturl")
        summary["fast_path_gain"] = gain
        print(f"\nfast-path middleware: short links x{gain:.2f} faster than through the view")
    if {"fast-path/bare", "no-maintenance/bare"} <= results.keys():
        with_m, without_m = rps("fast-path/bare"), rps("no-maintenance/bare")
        cost_us = (1 / with_m - 1 / without_m) * 1e6
        summary["maintenance_cost_us"] = cost_us
        summary["maintenance_cost_pct"] = (1 - with_m / without_m) * 100
        print(f"maintenance middleware (off), bare view with and without it (two servers): "
              f"{cost_us:.0f} µs per request, {summary['maintenance_cost_pct']:.1f}% of the "
              f"bare view's throughput")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per URL (median)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--server-cpu", default="0", help="CPU for granian ('' = no pinning)")
    parser.add_argument("--client-cpu", default="1", help="CPU for wrk ('' = no pinning)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--cache", choices=("redis", "locmem"), default="redis",
                        help="the default cache: a redis-server started for the run "
                             "(production), or local memory (one process)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.server_cpu = args.server_cpu or None
    args.client_cpu = args.client_cpu or None
    args.micro = {}
    for tool in ("wrk", "redis-server") if args.cache == "redis" else ("wrk",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (Debian: apt-get install {tool})")
    print(f"load average before the run: {_load()} ({os.cpu_count()} CPUs)", flush=True)
    results = run(args)
    summary = report(results)
    if args.json:
        args.json.write_text(json.dumps(
            {"runs": {k: m.rps for k, m in results.items()},
             "redis_commands_per_request": {k: m.redis_per_request for k, m in results.items()},
             "in_process_us": args.micro, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
