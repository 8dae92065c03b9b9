"""The fast path: redirects answered before the rest of the middleware stack."""

from __future__ import annotations

from django.test import override_settings

from marketplace_core.maintenance.state import set_runtime_flag
from marketplace_core.testing import factories


def test_redirect_skips_the_rest_of_the_stack(client, make_link):
    """Middleware after it (here X-Frame-Options, standing for session, auth,
    messages...) never sees the request; other pages still get it."""
    make_link(slug="promo")
    redirect = client.get("/s/promo")
    assert redirect.status_code == 302
    assert "X-Frame-Options" not in redirect
    assert client.get("/s/nothing").has_header("X-Frame-Options")


def test_logged_in_visitor_redirect_touches_no_session(seller_client, make_link,
                                                       django_assert_num_queries):
    make_link(slug="promo")
    seller_client.get("/s/promo")
    with django_assert_num_queries(0):
        response = seller_client.get("/s/promo")
    assert response.status_code == 302
    assert "Vary" not in response  # the session was never read


def test_maintenance_mode_blocks_short_links(client, make_link):
    make_link(slug="promo")
    assert client.get("/s/promo").status_code == 302  # cached before maintenance starts
    set_runtime_flag(True)
    response = client.get("/s/promo")
    assert response.status_code == 503
    assert response.has_header("Retry-After")
    set_runtime_flag(False)
    assert client.get("/s/promo").status_code == 302


def test_maintenance_setting_blocks_short_links(client, make_link, settings):
    make_link(slug="promo")
    settings.MARKETPLACE = {**settings.MARKETPLACE, "MAINTENANCE_MODE": True}
    assert client.get("/s/promo").status_code == 503


def test_staff_still_follow_short_links_in_maintenance(client, make_link):
    make_link(slug="promo")
    client.force_login(factories.make_user(is_staff=True))
    set_runtime_flag(True)
    response = client.get("/s/promo")
    assert response.status_code == 302
    assert response["Location"] == "https://example.com/landing"


def test_disallowed_host_is_refused_on_the_fast_path(client, make_link):
    make_link(slug="promo")
    with override_settings(ALLOWED_HOSTS=["shop.example.com"]):
        assert client.get("/s/promo", HTTP_HOST="evil.example.net").status_code == 400
        assert client.get("/s/promo", HTTP_HOST="shop.example.com").status_code == 302


def test_fast_path_follows_the_mount_point(client, make_link):
    """The prefix comes from the URLconf, not a constant: other paths are left alone."""
    make_link(slug="promo")
    assert client.get("/promo").status_code == 404
    assert client.get("/s/promo/extra").status_code == 404
