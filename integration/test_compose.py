"""``compose.yaml``, the ``Dockerfile`` and ``.env.example`` run as local processes.

No container runtime is needed: the image's environment (its final stage's
``ENV``), the services' environments (``.env.example`` as ``.env``, with the
secrets an operator generates, and each service's ``environment``) and the
services' commands are read from the files and run here, as the same argv, in
the folder the image copies the example site to. What differs from a container
is listed in one place (:func:`deployment`): service host names become the
addresses of real PostgreSQL, Redis, SeaweedFS and SMTP servers started for the
test, web listens on a free port, the var folder is a temporary one, and SMTP
runs without STARTTLS. So a change to those files that breaks the site fails here.
"""

from __future__ import annotations

import ast
import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sysconfig
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg
import pytest
from marketplace_storage_s3.testing import S3TestServer
from psycopg import sql

from integration.compose import (
    Compose,
    ImageStage,
    final_stage,
    read_env_file,
    required_variables,
    split_run,
)
from integration.mailbox import SmtpMailbox
from integration.processes import ROOT, clean_env
from marketplace_core.testing.contracts import csrf_token, wait_until
from marketplace_core.testing.servers import PostgresServer, RedisServer, free_port

COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
GUIDE = ROOT / "docs" / "deployment.md"
SETTINGS = ROOT / "example_site" / "example_site" / "settings.py"

#: The processes of the site, which run the example site's image.
SITE_SERVICES = ("web", "worker", "beat", "migrate")
#: Variables compose or the image set for programs other than the settings.
READ_ELSEWHERE = {
    "PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",  # Python
    "PORT", "WEB_CONCURRENCY",  # gunicorn: bind address and worker processes
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",  # boto3 (and SeaweedFS's identity)
    "POSTGRES_PASSWORD",  # the postgres service; the site gets it inside DATABASE_URL
}
#: Variables without which the production site does not work as the guide says.
REQUIRED_IN_PRODUCTION = {
    "DJANGO_ENV", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "MARKETPLACE_SITE_URL",
    "MARKETPLACE_TRUSTED_PROXY_COUNT", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST",
    "S3_BUCKET", "S3_ENDPOINT_URL", "S3_PUBLIC_ENDPOINT_URL", "MARKETPLACE_VAR_DIR",
}
SITE_HOST = "shop.example.com"
CLIENT_ADDRESS = "203.0.113.7"
PASSWORD = "marmalade-compass-4471"


def settings_variables() -> set[str]:
    """Every variable the example site's settings read (``env*("NAME", ...)`` calls
    and ``dj_database_url.config()``)."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("env", "env_bool", "env_list") and node.args
                and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value))
        if (isinstance(node, ast.Attribute) and node.attr == "config"
                and isinstance(node.value, ast.Name) and node.value.id == "dj_database_url"):
            names.add("DATABASE_URL")  # dj_database_url.config()'s default variable
    return names


def operator_variables() -> dict[str, str]:
    """``.env`` as an operator fills it in: ``.env.example`` with a fresh random value
    for each variable compose requires that the example leaves empty (the secrets)."""
    variables = read_env_file(ENV_EXAMPLE)
    for name in required_variables(COMPOSE.read_text()):
        if not variables.get(name):
            variables[name] = secrets.token_urlsafe(50)  # as .env.example says
    return variables


# --- what can be checked without running anything ----------------------------------------


def test_web_runs_the_image_command_as_a_user_without_privileges() -> None:
    compose, image = Compose(COMPOSE, operator_variables()), final_stage(DOCKERFILE)
    assert compose.command("web") == image.cmd
    assert image.user not in ("", "root", "0")
    for service in SITE_SERVICES:
        assert compose.services[service]["build"] == "."
        assert compose.services[service]["image"] == compose.services["web"]["image"]


def test_every_variable_set_is_read_and_production_needs_are_set() -> None:
    compose, image = Compose(COMPOSE, operator_variables()), final_stage(DOCKERFILE)
    read = settings_variables()
    for service in SITE_SERVICES:
        provided = {**image.env, **compose.environment(service)}
        assert set(provided) - read - READ_ELSEWHERE == set(), service
        missing = {name for name in REQUIRED_IN_PRODUCTION if not provided.get(name)}
        assert missing == set(), service
    assert image.env["DJANGO_ENV"] == "production"


def test_the_example_environment_ships_no_secret() -> None:
    example = read_env_file(ENV_EXAMPLE)
    secret_like = {name for name in example
                   if re.search(r"SECRET|PASSWORD|ACCESS_KEY|_KEY$|TOKEN", name)}
    assert secret_like, "the secrets are listed, empty"
    assert {name: example[name] for name in secret_like if example[name]} == {}
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_the_guide_describes_every_variable() -> None:
    guide = GUIDE.read_text()
    compose = Compose(COMPOSE, operator_variables())
    names = (settings_variables() | set(read_env_file(ENV_EXAMPLE))
             | set(compose.environment("web")) | set(final_stage(DOCKERFILE).env))
    undocumented = {name for name in names if f"`{name}`" not in guide}
    assert undocumented == set()


# --- the services as processes ---------------------------------------------------------------


@dataclass
class Process:
    """A started service command; its output goes to ``log``."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()  # gunicorn and Celery shut down gracefully on SIGTERM
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(30)
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)


@dataclass
class Deployment:
    compose: Compose
    image: ImageStage
    workdir: Path
    env: dict[str, dict[str, str]]
    port: int
    mailbox: SmtpMailbox
    database_url: str
    var_dir: Path
    #: What the image's code folder held before the services ran.
    code_files: set[Path]
    processes: dict[str, Process] = field(default_factory=dict)

    def run(self, service: str, argv: list[str], *, timeout: float = 180
            ) -> subprocess.CompletedProcess[str]:
        """``argv`` run to completion the way ``service``'s container would run it."""
        return subprocess.run(argv, cwd=self.workdir, env=self.env[service], text=True,
                              capture_output=True, timeout=timeout, check=False)

    def start(self, service: str, log_dir: Path) -> Process:
        log = log_dir / f"{service}.log"
        with log.open("wb") as handle:
            popen = subprocess.Popen(self.compose.command(service), cwd=self.workdir,
                                     env=self.env[service], stdout=handle,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[service] = Process(service, popen, log)
        return self.processes[service]

    def alive(self, service: str) -> bool:
        process = self.processes[service]
        assert process.popen.poll() is None, f"{service} exited:\n{process.output()[-4000:]}"
        return True

    def healthy(self, service: str) -> bool:
        """Whether ``service``'s compose health check passes now."""
        self.alive(service)
        return self.run(service, self.compose.healthcheck(service), timeout=60).returncode == 0


def _map_image_path(value: str, paths: dict[str, Path]) -> str:
    for inside, outside in paths.items():
        if value == inside or value.startswith(inside + "/"):
            return str(outside) + value[len(inside):]
    return value


def _replace_addresses(value: str, addresses: dict[str, str], services: set[str]) -> str:
    for address, local in addresses.items():
        value = value.replace(address, local)
    left = [s for s in services if re.search(rf"(?<![\w-]){re.escape(s)}:\d", value)]
    assert not left, f"no local address for {left} in {value!r}"
    return value


def _create_database(server: PostgresServer, env: dict[str, str]) -> None:
    """What the postgres image does with its ``POSTGRES_*`` variables (the role owns
    the database here rather than being a superuser: the site needs no more)."""
    user, database = env["POSTGRES_USER"], env["POSTGRES_DB"]
    with psycopg.connect(server.url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(user), sql.Literal(env["POSTGRES_PASSWORD"])))
        connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(database), sql.Identifier(user)))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    variables = operator_variables()
    compose, image = Compose(COMPOSE, variables), final_stage(DOCKERFILE)
    run_dir = tmp_path_factory.mktemp("compose")
    var_dir = run_dir / "var"
    var_dir.mkdir()
    workdir = ROOT / "example_site"
    code_files = set(workdir.rglob("*"))
    paths = {image.workdir: workdir, image.env["MARKETPLACE_VAR_DIR"]: var_dir}

    with contextlib.ExitStack() as stack:
        postgres = PostgresServer().start()
        stack.callback(postgres.stop)
        redis = RedisServer().start()
        stack.callback(redis.stop)
        s3 = S3TestServer(bucket="test-kit-bucket")  # compose's s3-init creates S3_BUCKET
        s3.access_key, s3.secret_key = variables["AWS_ACCESS_KEY_ID"], variables[
            "AWS_SECRET_ACCESS_KEY"]
        s3.start()
        stack.callback(s3.stop)
        mailbox = SmtpMailbox().start()
        stack.callback(mailbox.stop)
        _create_database(postgres, compose.environment("postgres"))

        addresses = {
            "postgres:5432": f"127.0.0.1:{postgres.port}",
            "redis:6379": f"127.0.0.1:{redis.port}",
            "s3:8333": f"127.0.0.1:{s3.ports['s3']}",
            # weed shell's form for a master whose gRPC port is not port + 10000
            "s3:9333": f"127.0.0.1:{s3.ports['master']}.{s3.ports['master.grpc']}",
        }
        port = free_port()
        # The only differences from the containers (see the module docstring).
        differences = {"PORT": str(port), "EMAIL_HOST": mailbox.host,
                       "EMAIL_PORT": str(mailbox.port), "EMAIL_USE_TLS": "0",
                       "HOSTNAME": socket.gethostname()}

        base = {k: v for k, v in clean_env().items() if not k.startswith("AWS_")}
        base.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        image_env = {name: _map_image_path(value, paths) for name, value in image.env.items()
                     if name != "PATH"}
        # The image's /venv/bin is this virtualenv's scripts folder.
        path = sysconfig.get_path("scripts") + os.pathsep + base.get("PATH", os.defpath)
        services = set(compose.services)
        envs = {}
        for service in compose.services:
            service_env = {name: _replace_addresses(value, addresses, services)
                           for name, value in compose.environment(service).items()}
            envs[service] = {**base, **image_env, **service_env, **differences, "PATH": path}
        build_env = {**base, **image_env, "PATH": path}
        site = Deployment(compose, image, workdir, envs, port, mailbox,
                          envs["web"]["DATABASE_URL"], var_dir, code_files)

        # The image build's collectstatic step, as the Dockerfile runs it.
        (collectstatic,) = [run for run in image.runs if "collectstatic" in run]
        assignments, argv = split_run(collectstatic)
        built = subprocess.run(argv, cwd=workdir, env={**build_env, **assignments}, text=True,
                               capture_output=True, timeout=180, check=False)
        assert built.returncode == 0, built.stdout + built.stderr

        # The one-shot services, before anything else starts.
        s3_init = [_replace_addresses(part, addresses, services)
                   for part in compose.entrypoint("s3-init") + compose.command("s3-init")]
        created = site.run("s3-init", s3_init)
        assert created.returncode == 0, created.stdout + created.stderr
        migrated = site.run("migrate", compose.command("migrate"))
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert "Applying marketplace_core.0001_initial... OK" in migrated.stdout

        for service in ("web", "worker", "beat"):
            stack.callback(site.start(service, run_dir).stop)
        wait_until(lambda: site.healthy("web"), timeout=120, what="web's health check")
        wait_until(lambda: site.alive("worker") and " ready." in
                   site.processes["worker"].output(), timeout=120, what="the worker")
        wait_until(lambda: site.alive("beat") and "beat: Starting..." in
                   site.processes["beat"].output(), timeout=120, what="beat")
        yield site


class Visitor:
    """A browser behind the TLS proxy: requests reach web over HTTP with the site's
    ``Host``, ``X-Forwarded-Proto: https`` and the client in ``X-Forwarded-For``, as
    the proxy sends them. Cookies are kept."""

    def __init__(self, port: int, *, proxied: bool = True) -> None:
        self.port = port
        self.proxied = proxied
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None,
                body: bytes | None = None, headers: dict[str, str] | None = None
                ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """``form`` is sent as a browser form post (with the site's ``Origin``);
        ``body`` as it is, with the ``headers`` given."""
        sent = {"Host": SITE_HOST, **(headers or {})}
        if self.proxied:
            sent.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": CLIENT_ADDRESS})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent.update({"Content-Type": "application/x-www-form-urlencoded",
                         "Origin": f"https://{SITE_HOST}",
                         "Referer": f"https://{SITE_HOST}{path}"})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.msg, content

    def get(self, path: str, *, headers: dict[str, str] | None = None
            ) -> tuple[int, http.client.HTTPMessage, bytes]:
        return self.request("GET", path, headers=headers)


def test_deploy_checks_are_clean_in_the_compose_environment(deployment: Deployment) -> None:
    result = deployment.run("web", ["python", "manage.py", "check", "--deploy"])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Every Django deploy check passes and product files are served from S3; left is
    # the reminder that the dummy provider moves no money until a real one is set.
    assert set(re.findall(r"\(([\w.]+\.[EW]\d+)\)", output)) == {"marketplace_core.W001"}, \
        output


def test_web_answers_health_checks_over_http_and_redirects_visitors_to_https(
        deployment: Deployment) -> None:
    direct = Visitor(deployment.port, proxied=False)
    status, _, body = direct.get("/healthz")
    assert status == 200 and b'"status": "ok"' in body
    status, headers, _ = direct.get("/products/")
    assert status == 301
    assert headers["Location"] == f"https://{SITE_HOST}/products/"


def test_registration_email_is_sent_by_the_compose_worker(deployment: Deployment) -> None:
    visitor = Visitor(deployment.port)
    status, _, page = visitor.get("/accounts/register/")
    assert status == 200
    status, headers, _ = visitor.request("POST", "/accounts/register/", form={
        "csrfmiddlewaretoken": csrf_token(page.decode()), "email": "ada@example.com",
        "name": "Ada Lovelace", "password1": PASSWORD, "password2": PASSWORD,
    })
    assert status == 302, headers

    (email,) = deployment.mailbox.wait_for("ada@example.com", timeout=60)
    assert email.subject == "Confirm your email address for Marketplace"
    assert email.sender == "noreply@shop.example.com"  # DEFAULT_FROM_EMAIL from .env
    # MARKETPLACE_SITE_URL makes the link; the same web process verifies it.
    link = email.link(f"https://{SITE_HOST}")
    status, headers, _ = visitor.get(link.removeprefix(f"https://{SITE_HOST}"))
    assert (status, headers["Location"]) == (302, "/account/products/")
    with psycopg.connect(deployment.database_url) as connection:
        row = connection.execute(
            "SELECT account.verified_email FROM marketplace_core_account AS account "
            "JOIN marketplace_core_user AS u ON u.id = account.user_id WHERE u.email = %s",
            ["ada@example.com"]).fetchone()
    assert row == ("ada@example.com",)
    _buys_and_gets_the_receipt_from_the_worker(deployment, visitor)


#: Run in web's environment: the dummy provider's signed "paid" delivery for the
#: checkout a hosted-page token stands for, as its Pay button has the worker post it.
DUMMY_PAYMENT = """
import json
from marketplace_core.ownership.models import Order
from marketplace_core.payments.dummy import build_delivery, read_checkout_token
checkout = read_checkout_token(TOKEN)
order = Order.objects.get(reference=checkout["order"])
body, headers = build_delivery("payment.succeeded", {
    "order_reference": str(order.reference), "payment_id": "dummy_pay_compose",
    "checkout_id": checkout["session"], "amount": order.amount, "currency": order.currency})
print(json.dumps({"body": body.decode(), "headers": headers}))
"""


def _buys_and_gets_the_receipt_from_the_worker(deployment: Deployment,
                                               visitor: Visitor) -> None:
    """The verified visitor buys a demo product through web; web takes the payment's
    delivery, and the worker sends the receipt whose link web opens."""
    seeded = deployment.run("web", ["python", "manage.py", "seed_demo", "--products", "3"],
                            timeout=300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    with psycopg.connect(deployment.database_url) as connection:
        slug, title = connection.execute(
            "SELECT slug, title FROM marketplace_core_product WHERE price > 0 "
            "AND status = 'published' AND is_active ORDER BY id LIMIT 1").fetchone() or ("", "")
    assert slug, "seed_demo made a paid product"

    status, _, page = visitor.get(f"/products/{slug}/buy/")
    assert status == 200
    status, headers, _ = visitor.request("POST", f"/products/{slug}/buy/", form={
        "csrfmiddlewaretoken": csrf_token(page.decode()), "name": "Ada Lovelace",
        "email": "ada@example.com", "country": "GB"})
    assert status == 302, headers
    hosted = urllib.parse.urlsplit(headers["Location"]).path
    assert hosted.startswith("/payments/dummy/checkout/"), hosted
    # The hosted page's Pay button has the worker post this delivery to the site's
    # public address, which only a real proxy answers: the test posts it to web.
    token = hosted.rstrip("/").rsplit("/", 1)[-1]
    signed = deployment.run("web", ["python", "manage.py", "shell", "-c",
                                    f"TOKEN = {token!r}\n{DUMMY_PAYMENT}"])
    assert signed.returncode == 0, signed.stdout + signed.stderr
    delivery = json.loads(signed.stdout.strip().splitlines()[-1])
    status, _, answer = visitor.request(
        "POST", "/payments/webhooks/dummy/", body=delivery["body"].encode(),
        headers={**delivery["headers"], "Content-Type": "application/json"})
    assert status == 200, answer

    (receipt,) = deployment.mailbox.wait_for("ada@example.com", count=2, timeout=60)[1:]
    assert receipt.subject == f"Your receipt for {title} from Marketplace"
    link = receipt.link(f"https://{SITE_HOST}")
    status, headers, _ = visitor.get(link.removeprefix(f"https://{SITE_HOST}"))
    assert status == 302 and headers["Location"].startswith("/account/purchases/"), headers
    status, _, purchase = visitor.get(headers["Location"])
    assert status == 200 and title.encode() in purchase


def test_static_files_are_served_by_web_compressed_and_cached_for_good(
        deployment: Deployment) -> None:
    visitor = Visitor(deployment.port)
    status, _, page = visitor.get("/")
    assert status == 200
    stylesheets = re.findall(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.decode())
    assert stylesheets, "the page links the collected, hashed stylesheets"
    for path in stylesheets:
        status, headers, _ = visitor.get(path, headers={"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]


def test_worker_answers_its_health_check(deployment: Deployment) -> None:
    result = deployment.run("worker", deployment.compose.healthcheck("worker"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pong" in result.stdout


def test_beat_sends_the_periodic_tasks_and_the_worker_runs_them(deployment: Deployment) -> None:
    beat, worker = deployment.processes["beat"], deployment.processes["worker"]
    # shorturl's click flush is due every 10 seconds (register_periodic_tasks).
    wait_until(lambda: "Sending due task shorturl.flush_clicks" in beat.output(),
               timeout=60, what="beat to send shorturl.flush_clicks")
    wait_until(lambda: re.search(r"Task shorturl\.flush_clicks\[[^\]]+\] succeeded",
                                 worker.output()) is not None,
               timeout=60, what="the worker to run shorturl.flush_clicks")


def test_the_services_write_only_to_the_var_folder(deployment: Deployment) -> None:
    # In the image the code folder belongs to root and the services run as another
    # user: anything written there would fail in a container.
    assert set(deployment.workdir.rglob("*")) - deployment.code_files == set()
    assert list(deployment.var_dir.glob("celerybeat-schedule*")), "beat keeps its schedule"
