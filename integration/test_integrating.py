"""``docs/integrating.md`` followed by an integrator, in a project that is not ours.

Core and two plugins are built into wheels and installed (as the doc's ``pip install``
names them) into a fresh virtualenv. There ``django-admin startproject mysite`` makes a
project with history: an app with its own user model (two variants: the email address
as login name, and a username-based model with an email field), its own login page,
base template and blog page, users, and applied migrations. Then the doc's marked
snippets (``<!-- integrating:NAME -->`` before a fenced block) are applied as written:
settings, URLs (the shop under ``/shop/``), the base template, the Celery app file, the
commands, the production settings. The project's server runs on a free port and, in
Chromium, an existing user made a seller by the doc's command publishes a product with a
file; another existing user logs in through the project's own login page, buys it with
the dummy provider and downloads exactly that file. Maintenance mode closes the shop
while the project's pages keep answering.

Nothing here imports the project: it runs in its own processes, from the wheels, on its
own SQLite database, as an integrator's would.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shlex
import subprocess
import sys
import textwrap
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from uv import find_uv_bin  # build[uv]: isolated builds and installs with uv, as test_wheels

from integration.browser_checks import mark_document, same_document
from integration.processes import clean_env, web_server
from marketplace_core.testing.browser import open_page
from marketplace_core.testing.contracts import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

#: The distributions built and installed: core and two plugins that need no outside service.
PROJECTS = {"marketplace-core": ".", "marketplace-support": "plugins/support",
            "marketplace-shorturl": "plugins/shorturl"}
#: What the test does with each marked snippet of the doc; a snippet the test does not
#: use, or one it needs that the doc lost, fails ``test_every_marked_snippet_is_used``.
SNIPPETS = {"install", "settings", "migrate", "urls", "base-template", "make-seller",
            "celery-app", "celery-init", "maintenance", "dodo-settings", "dodo-webhook",
            "production-settings", "check-deploy"}
PASSWORD = "a-long-project-password-9"
FILE_BYTES = b"%PDF-1.4 integrators' handbook\n" + bytes(range(256)) * 16
SECRET_KEY = "integrating-" + "k" * 50  # check --deploy wants 50+ characters of variety

SHOP_STYLESHEET_APPLIED = """() => Array.from(document.styleSheets).some(
    sheet => (sheet.href || "").endsWith("/static/marketplace_core/marketplace.css")
             && sheet.cssRules.length > 0)"""

_MARKED = re.compile(r"<!-- integrating:([\w-]+) -->\n```\w*\n(.*?)\n```", re.DOTALL)
#: A snippet that is a whole file names it on its first line: ``# path`` or ``{# path #}``.
_FILE_NAME = re.compile(r"^(?:# |\{# )([\w/.]+\.(?:py|html))(?: #\})?$")


# --- the doc ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def doc(repo_root: Path) -> str:
    return (repo_root / "docs" / "integrating.md").read_text()


def marked_snippets(doc: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, body in _MARKED.findall(doc):
        assert name not in found, f"two snippets are marked integrating:{name}"
        found[name] = body + "\n"
    return found


@pytest.fixture(scope="session")
def snippets(doc: str) -> dict[str, str]:
    return marked_snippets(doc)


def file_snippet(body: str) -> tuple[str, str]:
    """The path a whole-file snippet names on its first line, and the snippet."""
    first = body.splitlines()[0]
    match = _FILE_NAME.match(first)
    assert match, f"a file snippet starts with its path, not {first!r}"
    return match.group(1), body


def commands(body: str) -> list[list[str]]:
    """The ``python manage.py ...`` lines of a shell snippet, as argument lists."""
    lines = [shlex.split(line) for line in body.splitlines() if line.strip()]
    assert lines and all(line[:2] == ["python", "manage.py"] for line in lines), body
    return [line[2:] for line in lines]


def test_every_marked_snippet_is_used(snippets: dict[str, str]) -> None:
    assert set(snippets) == SNIPPETS


def test_the_dodo_snippet_passes_the_plugins_checks(snippets: dict[str, str], settings: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 9's settings, with secrets shaped like Dodo's, are what payments_dodo accepts
    (the plugin is not in the integrator's virtualenv; its checks run here)."""
    from marketplace_payments_dodo.hooks import check_configuration

    monkeypatch.setenv("DODO_PAYMENTS_API_KEY", "sk_live_integrating")
    monkeypatch.setenv("DODO_PAYMENTS_WEBHOOK_SECRET",
                       "whsec_" + base64.b64encode(b"s" * 24).decode())
    namespace: dict[str, Any] = {"os": os, "MARKETPLACE": {"PLUGINS": ["support", "shorturl"]}}
    exec(snippets["dodo-settings"], namespace)  # noqa: S102 - the doc's own snippet
    configured = namespace["MARKETPLACE"]
    assert configured["PLUGINS"][0] == "payments_dodo"
    assert configured["PAYMENT_PROVIDER"] == "dodo"
    settings.DEBUG = False
    settings.MARKETPLACE = {**settings.MARKETPLACE, "payments_dodo": configured["payments_dodo"]}
    assert check_configuration(None) == []


# --- the wheels and the virtualenv (once per session, shared by both projects) -----------


@pytest.fixture(scope="session")
def venv(repo_root: Path, snippets: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheels the doc's ``pip install`` names."""
    words = shlex.split(snippets["install"])
    assert words[:2] == ["pip", "install"], snippets["install"]
    names = words[2:]
    assert set(names) == set(PROJECTS), names
    out = tmp_path_factory.mktemp("wheels")
    for name in names:
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--installer", "uv",
                        "--outdir", str(out), str(repo_root / PROJECTS[name])],
                       check=True, capture_output=True)
    wheels = sorted(out.glob("*.whl"))
    assert len(wheels) == len(names), [w.name for w in wheels]
    env_dir = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    # Compiled once here: each of the many manage.py processes would compile it all again.
    subprocess.run([find_uv_bin(), "pip", "install", "--quiet", "--compile-bytecode", "--python",
                    str(env_dir / "bin" / "python"), *map(str, wheels)],
                   check=True, capture_output=True)
    return env_dir


#: Left out of the project's environment: this repository's paths, and the bytecode
#: settings of the test run (the project reads the bytecode its install compiled).
NOT_THE_PROJECTS = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE",
                    "PYTHONPYCACHEPREFIX")


def project_env(**extra: str) -> dict[str, str]:
    """An environment with nothing of this repository's: no site settings, no source path."""
    env = {k: v for k, v in clean_env().items() if k not in NOT_THE_PROJECTS}
    return {**env, **extra}


# --- a project with history ------------------------------------------------------------

MEMBER_MODELS = {
    # (a) The email address is the login name; AbstractUser without its username.
    "email-login": '''
        from django.contrib.auth.models import AbstractUser, BaseUserManager
        from django.db import models


        class MemberManager(BaseUserManager):
            use_in_migrations = True

            def create_user(self, email, password=None, **extra):
                user = self.model(email=self.normalize_email(email), **extra)
                user.set_password(password)
                user.save(using=self._db)
                return user

            def create_superuser(self, email, password=None, **extra):
                extra.setdefault("is_staff", True)
                extra.setdefault("is_superuser", True)
                return self.create_user(email, password, **extra)


        class Member(AbstractUser):
            username = None
            email = models.EmailField("email address", unique=True)
            company = models.CharField(max_length=100, blank=True)

            USERNAME_FIELD = "email"
            REQUIRED_FIELDS = []
            objects = MemberManager()
    ''',
    # (b) Django's username login, with the email field AbstractUser has.
    "username-login": '''
        from django.contrib.auth.models import AbstractUser
        from django.db import models


        class Member(AbstractUser):
            company = models.CharField(max_length=100, blank=True)
    ''',
}

#: The project's users before the shop arrives: (login name, email address, first name).
USERS = {
    "email-login": {"seller": ("ada@example.com", "ada@example.com", "Ada"),
                    "buyer": ("bob@example.com", "bob@example.com", "Bob")},
    "username-login": {"seller": ("ada", "ada@example.com", "Ada"),
                       "buyer": ("bob", "bob@example.com", "Bob")},
}

PROJECT_URLS = '''
from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import include, path


def blog(request):
    return render(request, "blog.html")


def favicon(request):
    return HttpResponse(status=204)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("blog/", blog, name="blog"),
    path("favicon.ico", favicon),
]
'''

PROJECT_TEMPLATES = {
    # The project's base before the shop: no head block, no shop wiring.
    "base.html": "<!doctype html><html><head><title>{% block title %}Acme{% endblock %}"
                 "</title></head><body><header>Acme</header>{% block content %}{% endblock %}"
                 "</body></html>",
    "blog.html": '{% extends "base.html" %}{% block content %}<h1>Acme blog</h1>'
                 "<p>Our first post.</p>{% endblock %}",
    "registration/login.html": '{% extends "base.html" %}{% block content %}<h1>Acme login</h1>'
                               '<form method="post">{% csrf_token %}{{ form.as_p }}'
                               '<button type="submit">Log in</button></form>{% endblock %}',
}


@dataclass
class Project:
    """A ``startproject`` project in its own folder, run with the virtualenv's Python."""

    root: Path
    python: Path
    variant: str

    def run(self, *args: str, settings: str = "mysite.settings", check: bool = True,
            **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.python), "manage.py", *args], cwd=self.root, capture_output=True,
            text=True, check=False, timeout=240,
            env=project_env(DJANGO_SETTINGS_MODULE=settings, **env),
        )
        if check:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def shell(self, code: str, **kwargs: Any) -> str:
        return self.run("shell", "--verbosity", "0", "-c", textwrap.dedent(code), **kwargs).stdout

    def append(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.write_text(path.read_text() + "\n" + text)

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def user(self, role: str) -> tuple[str, str, str]:
        return USERS[self.variant][role]


def make_project_with_history(venv: Path, folder: Path, variant: str) -> Project:
    """``startproject mysite`` with an app ``members`` holding the user model, the
    project's own login, base template and blog page, two users, all migrated."""
    folder.mkdir()
    bin_dir = venv / "bin"
    subprocess.run([str(bin_dir / "django-admin"), "startproject", "mysite", str(folder)],
                   check=True, capture_output=True, env=project_env())
    project = Project(folder, bin_dir / "python", variant)
    project.run("startapp", "members")
    project.write("members/models.py", textwrap.dedent(MEMBER_MODELS[variant]).lstrip())
    project.write("members/admin.py", "from django.contrib import admin\n\n"
                  "from members.models import Member\n\nadmin.site.register(Member)\n")
    settings = (folder / "mysite" / "settings.py").read_text()
    settings, found = re.subn(r"""(["'])DIRS\1: \[\],""", '"DIRS": [BASE_DIR / "templates"],',
                              settings)
    assert found == 1, settings
    project.write("mysite/settings.py", settings + textwrap.dedent('''
        INSTALLED_APPS += ["members"]
        AUTH_USER_MODEL = "members.Member"
        LOGIN_REDIRECT_URL = "/blog/"
    '''))
    project.write("mysite/urls.py", PROJECT_URLS.lstrip())
    for name, text in PROJECT_TEMPLATES.items():
        project.write(f"templates/{name}", text)
    project.run("makemigrations", "members")
    project.run("migrate")
    users = [{"email": email, "first_name": first}
             | ({} if variant == "email-login" else {"username": login})
             for login, email, first in USERS[variant].values()]
    project.shell(f"""
        from members.models import Member
        for fields in {users!r}:
            Member.objects.create_user(**fields, password={PASSWORD!r}, company="Acme")
    """)
    return project


def follow_the_doc(project: Project, snippets: dict[str, str]) -> None:
    """Steps 2 to 7 of the doc, applied as written."""
    project.append("mysite/settings.py", snippets["settings"])
    project.append("mysite/urls.py", snippets["urls"])
    for name in ("base-template", "celery-app", "celery-init", "production-settings"):
        path, text = file_snippet(snippets[name])
        if name == "celery-init":
            project.append(path, text)
        else:
            project.write(path, text)
    for args in commands(snippets["migrate"]):
        result = project.run(*args)
        if args[0] == "check":
            assert "System check identified no issues" in result.stdout, result.stderr
    for args in commands(snippets["make-seller"]):
        assert "can sell now" in project.run(*args).stdout


@contextlib.contextmanager
def project_server(project: Project) -> Iterator[str]:
    """``runserver`` of the project on a free port (its development setup: DEBUG on)."""
    with web_server(
        # Checked already (the doc's `check`): no second round of checks at start-up.
        lambda port: [str(project.python), "manage.py", "runserver", "--noreload",
                      "--skip-checks", f"127.0.0.1:{port}"],
        env=project_env(DJANGO_SETTINGS_MODULE="mysite.settings"), cwd=project.root,
        what="runserver",
    ) as server:
        yield server.url


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture(params=sorted(MEMBER_MODELS))
def project(request: pytest.FixtureRequest, venv: Path, snippets: dict[str, str],
            tmp_path: Path) -> Project:
    made = make_project_with_history(venv, tmp_path / "mysite", request.param)
    follow_the_doc(made, snippets)
    return made


# --- the integrator's checks -----------------------------------------------------------


def paragraph_after(doc: str, marker: str) -> str:
    """The prose between the snippet marked ``marker`` and the next heading or snippet."""
    start = doc.index(f"<!-- integrating:{marker} -->")
    rest = doc[start:].split("```", 2)[2]
    return re.split(r"\n(?:#|<!--)", rest, maxsplit=1)[0]


def check_deploy_is_clean(project: Project, snippets: dict[str, str], doc: str) -> None:
    """The doc's production settings: ``check --deploy`` reports no error, and exactly
    the warnings the doc says are left."""
    [args] = commands(snippets["check-deploy"])
    env = {"DJANGO_SECRET_KEY": SECRET_KEY, "REDIS_URL": "redis://127.0.0.1:6390/0"}
    result = project.run(*args, check=False, **env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS:" not in output, output
    reported = set(re.findall(r"\(([\w]+\.[EW]\d{3})\)", output))
    expected = set(re.findall(r"`(\w+\.W\d{3})`", paragraph_after(doc, "check-deploy")))
    assert expected, "the doc names the warnings left"
    assert reported == expected, output

    # The production Celery app: workers start from the doc's app file, which reads the
    # broker from the settings and knows core's and the plugins' tasks.
    tasks = project.shell("""
        from mysite.celery import app
        app.loader.import_default_modules()
        print(app.conf.broker_url)
        print("\\n".join(sorted(app.tasks)))
    """, settings=args[-1].split("=", 1)[1], **env).split()
    assert tasks[0] == env["REDIS_URL"]
    assert "marketplace_core.payments.tasks.deliver_dummy_webhook" in tasks
    assert any(name.startswith("shorturl.") for name in tasks), tasks


@pytest.fixture
def buyer_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A second browser context beside ``page``: the buyer's, while the seller's lives on."""
    yield from open_page(browser, request.node)


def test_an_existing_project_follows_the_doc(project: Project, snippets: dict[str, str],
                                             doc: str, page: Any, buyer_page: Any) -> None:
    # The shop comes from the wheels, not from this repository; the webhook URL the doc
    # tells Dodo's dashboard about is the one the site builds.
    where, webhook = project.shell("""
        import marketplace_core
        from django.urls import reverse
        print(marketplace_core.__file__)
        print(reverse("marketplace:payment_webhook", kwargs={"provider": "dodo"}))
    """).split()
    assert where.startswith(str(project.python.parent.parent)), where
    assert webhook == "/shop/payments/webhooks/dodo/"
    assert snippets["dodo-webhook"].strip().endswith(webhook)

    check_deploy_is_clean(project, snippets, doc)

    with project_server(project) as site:
        publish_a_product(project, site, page)
        buy_and_download(project, site, buyer_page)
        maintenance_closes_only_the_shop(project, site, snippets)


def visited_paths(page: Any) -> list[str]:
    """Every path the page's main frame navigates to, from now on."""
    paths: list[str] = []

    def navigated(frame: Any) -> None:
        if frame == page.main_frame:
            paths.append(urllib.parse.urlsplit(frame.url).path)

    page.on("framenavigated", navigated)
    return paths


def log_in_through_the_project(page: Any, login: str) -> None:
    """The project's own login page (``django.contrib.auth.urls``), not core's."""
    assert page.get_by_role("heading", name="Acme login").is_visible()
    page.locator('input[name="username"]').fill(login)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def publish_a_product(project: Project, site: str, page: Any) -> None:
    """The existing user the doc's command made a seller publishes a product with a file."""
    paths = visited_paths(page)
    page.goto(f"{site}/shop/seller/")
    page.wait_for_url("**/accounts/login/?next=/shop/seller/")
    log_in_through_the_project(page, project.user("seller")[0])
    page.wait_for_url(f"{site}/shop/seller/")

    page.get_by_role("navigation", name="Seller panel").get_by_role(
        "link", name="Products").click()
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Title").fill("Integrators' Handbook")
    page.get_by_label("Price").fill("12.50")
    page.get_by_label("Description").fill("Adding a shop to a project that already runs.")
    page.get_by_label("File").set_input_files(files=[{
        "name": "handbook.pdf", "mimeType": "application/pdf", "buffer": FILE_BYTES}])
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(f"{site}/shop/seller/products/")
    row = page.locator("table.seller-products tbody tr", has_text="Integrators' Handbook")
    assert "Published" in row.inner_text()

    # Shop pages are drawn inside the project's base template (the doc's header).
    assert page.get_by_role("link", name="Blog").is_visible()
    assert page.console_errors == []
    assert all(p.startswith("/shop/") or p == "/accounts/login/" for p in paths), paths


def buy_and_download(project: Project, site: str, page: Any) -> None:
    """Another existing user finds the product in the shop, logs in through the project's
    login, pays with the dummy provider (its webhook delivered in process: no broker) and
    downloads the file."""
    paths = visited_paths(page)
    page.goto(f"{site}/shop/products/")
    # The wiring include works in the project's base: core's stylesheet is applied and
    # the live search updates the results in place (htmx), without loading a new page.
    assert page.evaluate(SHOP_STYLESHEET_APPLIED)
    mark_document(page)
    page.get_by_label("Search products").fill("handbook")
    page.wait_for_url(re.compile(r"/shop/products/\?q=handbook$"))
    page.get_by_role("status").filter(has_text="1 product for “handbook”").wait_for()
    assert same_document(page)
    page.get_by_role("link", name="Integrators' Handbook").first.click()
    page.get_by_role("heading", name="Integrators' Handbook").wait_for()
    product_url = page.url
    assert urllib.parse.urlsplit(product_url).path.startswith("/shop/products/")
    page.get_by_role("link", name="Log in to buy").click()
    page.wait_for_url(f"{site}/accounts/login/?next={urllib.parse.urlsplit(product_url).path}")
    log_in_through_the_project(page, project.user("buyer")[0])
    page.wait_for_url(product_url)

    page.get_by_role("link", name="Buy now").click()
    assert page.get_by_label("Email for the receipt").input_value() == project.user("buyer")[1]
    page.get_by_label("Country").select_option("NL")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/shop/payments/dummy/checkout/**")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{site}/shop/account/products/", timeout=30_000)
    assert page.get_by_text("Integrators' Handbook").first.is_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Download").click()
    download = info.value
    assert download.suggested_filename == "handbook.pdf"
    assert Path(download.path()).read_bytes() == FILE_BYTES
    assert page.console_errors == []
    assert all(p.startswith("/shop/") or p == "/accounts/login/" for p in paths), paths


def maintenance_closes_only_the_shop(project: Project, site: str,
                                     snippets: dict[str, str]) -> None:
    """``maintenance on`` (the doc's command): the shop answers 503, the project's own
    pages (blog, login, admin login) keep answering 200; ``off`` opens the shop again."""
    on, off = commands(snippets["maintenance"])
    assert on[:2] == ["maintenance", "on"] and off == ["maintenance", "off"]
    own_pages = ["/blog/", "/accounts/login/", "/admin/login/"]
    shop_pages = ["/shop/", "/shop/products/", "/shop/s/manage/"]

    project.run(*on)
    wait_until(lambda: all(status_of(site + p) == 503 for p in shop_pages), timeout=30,
               what="the shop to answer 503")
    assert {p: status_of(site + p) for p in own_pages} == dict.fromkeys(own_pages, 200)

    project.run(*off)
    wait_until(lambda: status_of(f"{site}/shop/products/") == 200, timeout=30,
               what="the shop to open again")
