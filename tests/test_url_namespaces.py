"""The framework's URL namespaces (``marketplace``, ``marketplace-api``, each plugin's
name) leave a project's own alone; ``marketplace_core.E011`` reports a clash."""

from __future__ import annotations

import pytest
from django.core.checks import Error, run_checks
from django.urls import reverse

from marketplace_core.testing.factories import make_user

pytestmark = pytest.mark.django_db
E011 = "marketplace_core.E011"


def _e011() -> list[Error]:
    return [message for message in run_checks() if message.id == E011]


@pytest.mark.urls("tests.urls_own_api")
def test_a_projects_own_api_namespace_and_the_framework_api_both_work(client) -> None:
    assert reverse("api:ping") == "/api/ping/"
    assert client.get("/api/ping/").json() == {"project": "pong"}
    client.force_login(make_user())
    status = reverse("marketplace-api:order_status",
                     kwargs={"reference": "00000000-0000-0000-0000-000000000000"})
    assert status == "/api/v1/core/orders/00000000-0000-0000-0000-000000000000/status"
    answer = client.get(status)
    assert (answer.status_code, answer.json()) == (
        404, {"detail": "No such order.", "code": "not_found"})
    assert _e011() == []


def test_the_default_urlconf_has_no_clash() -> None:
    assert _e011() == []


@pytest.mark.urls("tests.urls_namespace_clash")
def test_e011_names_each_framework_namespace_the_project_reuses() -> None:
    errors = _e011()
    assert sorted((e.msg, e.hint) for e in errors) == sorted([
        ("The URLconf includes '/v2/' under the namespace 'marketplace-api', which is the "
         "framework's own: reverse() cannot tell the two apart.",
         "Give that include another namespace; 'marketplace-api' belongs to "
         "marketplace_core.urls (core 'marketplace', its API 'marketplace-api', each enabled "
         "plugin its name)."),
        ("The URLconf includes '/legacy/' under the namespace 'marketplace', which is the "
         "framework's own: reverse() cannot tell the two apart.",
         "Give that include another namespace; 'marketplace' belongs to "
         "marketplace_core.urls (core 'marketplace', its API 'marketplace-api', each enabled "
         "plugin its name)."),
    ])
