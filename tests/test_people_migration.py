"""Migrations for any user model: a database with users and applied migrations keeps
every user's seller role and verified address through 0005_people (and back); with
a project's own user model, core's User gets no table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from marketplace_core.people.records import is_email_verified
from marketplace_core.people.users import find_by_email
from marketplace_core.roles import is_seller
from tests.people import CORE_USER, core_user_only

PEOPLE = ("marketplace_core", "0005_people")

#: (email, role, email_verified) as the rows of core's User held them before 0005.
BEFORE = [
    ("sam@example.com", "seller", True),
    ("pia@example.com", "seller", False),
    ("bea@example.com", "customer", True),
    ("cal@example.com", "customer", False),
]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _before_people() -> list[tuple[str, str]]:
    """The migration of core that 0005_people follows: what the current main has."""
    graph = _executor().loader.graph
    return [parent.key for parent in graph.node_map[PEOPLE].parents
            if parent.key[0] == "marketplace_core"]


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    """Whatever a test migrates to, the database ends at the latest migrations."""
    yield
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_users(target: list[tuple[str, str]]) -> Any:
    apps = _executor().loader.project_state(target).apps
    return apps.get_model("marketplace_core", "User")


@core_user_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_roles_and_verification_survive_the_move_and_back() -> None:
    before = _before_people()
    _executor().migrate(before)
    old_user = _old_users(before)
    for email, role, verified in BEFORE:
        old_user.objects.create(email=email, name=email.split("@")[0].title(), role=role,
                                email_verified=verified, password="!")

    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())
    for email, role, verified in BEFORE:
        user = find_by_email(email)
        assert (is_seller(user), is_email_verified(user)) == (role == "seller", verified), email

    _executor().migrate(before)  # reversible: the columns come back with the same values
    old_user = _old_users(before)
    rows = sorted(old_user.objects.values_list("email", "role", "email_verified"))
    assert rows == sorted(BEFORE)


@pytest.mark.django_db
def test_core_user_has_a_table_only_when_it_is_the_user_model() -> None:
    tables = connection.introspection.table_names()
    assert ("marketplace_core_user" in tables) is CORE_USER
    assert {"marketplace_core_account", "marketplace_core_sellerprofile"} <= set(tables)


@pytest.mark.skipif(CORE_USER, reason="about a project's own user model")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_a_project_with_users_and_applied_migrations_adds_the_framework() -> None:
    """The project's database predates the framework: every other app migrated, users
    made. Migrating then adds core's tables only, and an existing user can sell."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from marketplace_core.roles import make_seller

    _executor().migrate([("marketplace_core", None)])  # as if it had never been installed
    assert "marketplace_core_product" not in connection.introspection.table_names()
    user_model = get_user_model()
    ada = user_model._default_manager.create_user(username="ada", email="ada@example.com",
                                                  password="pw")
    call_command("migrate", verbosity=0)  # no InconsistentMigrationHistory
    tables = connection.introspection.table_names()
    assert "marketplace_core_product" in tables and "marketplace_core_user" not in tables
    make_seller(ada)
    assert is_seller(user_model._default_manager.get(pk=ada.pk))
