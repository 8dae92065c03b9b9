"""Product sync: a saved product reaches Dodo through a Celery task, after commit.

Core emits ``product_saved`` inside the seller's transaction
(``marketplace_core.catalog.services.save_product``); most tests here emit it
the same way, one goes through ``save_product`` itself. Celery runs tasks in
process here (``CELERY_TASK_ALWAYS_EAGER``); with ``eager_retries`` a task's
retries run at once instead of after their backoff, as a worker would run them.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from marketplace_payments_dodo.models import DodoProduct
from marketplace_payments_dodo.sync import sync_status, sync_statuses
from marketplace_payments_dodo.tasks import sync_product

from marketplace_core.plugins.events import emit

pytestmark = [pytest.mark.django_db, pytest.mark.by_database]


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """Let an in-process task retry (Celery re-raises the retry when eager errors propagate)."""
    # Through Django's setting: before Celery 5.7, app.conf.task_eager_propagates = False
    # does not override CELERY_TASK_EAGER_PROPAGATES read from the settings.
    with override_settings(CELERY_TASK_EAGER_PROPAGATES=False):
        yield


def save_as_seller(product, *, created: bool = False, capture=None) -> None:
    """What a seller's save does: the change and the event, in one transaction."""
    with capture(execute=True), transaction.atomic():
        product.save()
        emit("product_saved", product=product, created=created)


def product_calls(dodo) -> list[str]:
    return [f"{e.method} {e.route} {e.status}" for e in dodo.exchanges
            if e.route.startswith("/products")]


@pytest.fixture
def save(django_capture_on_commit_callbacks):
    def run(product, created: bool = False) -> None:
        save_as_seller(product, created=created, capture=django_capture_on_commit_callbacks)
    return run


def test_published_product_is_created_at_dodo_after_commit(dodo, make_product, save,
                                                           django_capture_on_commit_callbacks):
    product = make_product(title="Field Guide", description="Maps.", price=1999,
                           currency="EUR")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        product.save()
        emit("product_saved", product=product, created=True)
        assert dodo.exchanges == []  # nothing leaves before the seller's save commits

    link = DodoProduct.objects.get(product=product)
    assert link.state == DodoProduct.State.SYNCED
    sent = dodo.products[link.dodo_product_id]
    assert (sent["name"], sent["description"]) == ("Field Guide", "Maps.")
    assert sent["price"] == {"type": "one_time_price", "price": 1999, "currency": "EUR",
                             "tax_inclusive": True, "discount": 0,
                             "purchasing_power_parity": False}
    assert sent["tax_category"] == "digital_products"
    status = sync_status(product)
    assert (status.state, status.label, status.dodo_product_id) == (
        "synced", "Synced to Dodo", link.dodo_product_id)
    assert status.synced_at is not None


def test_rolled_back_save_sends_nothing(dodo, make_product, django_capture_on_commit_callbacks):
    product = make_product()

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                emit("product_saved", product=product, created=True)
                raise RuntimeError("the seller's save failed")
        except RuntimeError:
            pass

    assert dodo.exchanges == []
    assert sync_status(product).state == "not_synced"


def test_draft_is_not_sent(dodo, make_product, save):
    draft = make_product(status="draft")

    save(draft, created=True)

    assert dodo.exchanges == []
    assert sync_status(draft).state == "not_synced"


def test_changed_product_is_updated_in_place(dodo, make_product, save):
    product = make_product(title="Field Guide", price=1999)
    save(product, created=True)
    dodo_id = DodoProduct.objects.get().dodo_product_id

    product.title, product.price = "Field Guide, 2nd edition", 2499
    save(product)

    assert product_calls(dodo) == ["POST /products 200", "PATCH /products/{id} 200"]
    assert DodoProduct.objects.get().dodo_product_id == dodo_id
    assert dodo.products[dodo_id]["name"] == "Field Guide, 2nd edition"
    assert dodo.products[dodo_id]["price"]["price"] == 2499
    assert sync_status(product).state == "synced"


def test_saving_an_unchanged_product_sends_nothing_again(dodo, make_product, save):
    product = make_product()
    save(product, created=True)

    save(product)

    assert product_calls(dodo) == ["POST /products 200"]


def test_changed_product_shows_outdated_until_synced(dodo, make_product, save):
    product = make_product(price=1000)
    save(product, created=True)

    product.price = 1200
    product.save()  # changed without the event (e.g. from the admin)

    assert sync_status(product).state == "outdated"


@pytest.mark.parametrize("statuses", [[429], [500, 502, 503], [429, 503, 429, 500]],
                         ids=["rate-limited", "server-errors", "mixed"])
def test_rate_limits_and_server_errors_are_retried_until_dodo_answers(
    dodo, make_product, save, eager_retries, statuses
):
    for status in statuses:
        dodo.fail_next("POST", "/products", status)
    product = make_product()

    save(product, created=True)

    assert product_calls(dodo) == [f"POST /products {s}" for s in [*statuses, 200]]
    link = DodoProduct.objects.get(product=product)
    assert link.state == DodoProduct.State.SYNCED
    assert link.dodo_product_id in dodo.products
    assert link.last_error == ""
    assert sync_status(product).ok


def test_pending_while_retrying_shows_the_last_error(dodo, make_product):
    dodo.fail_next("POST", "/products", 503)
    product = make_product()

    with pytest.raises(Exception, match="503"):
        sync_product.apply(args=[product.pk], throw=True)

    status = sync_status(product)
    assert status.state == "pending"
    assert "Dodo Payments answered 503" in status.last_error


def test_refusal_is_recorded_as_failed_with_dodos_reason_and_not_retried(
    dodo, make_product, save, eager_retries
):
    product = make_product(currency="XTS")  # a currency Dodo does not take

    save(product, created=True)

    assert product_calls(dodo) == ["POST /products 422"]
    status = sync_status(product)
    assert status.state == "failed"
    assert status.label == "Dodo sync failed"
    assert "refused the request (422): Unsupported currency 'XTS'" in status.last_error


def test_injected_client_error_is_not_retried(dodo, make_product, save, eager_retries):
    dodo.fail_next("POST", "/products", 400, message="name is too long")
    product = make_product()

    save(product, created=True)

    assert product_calls(dodo) == ["POST /products 400"]
    assert "name is too long" in sync_status(product).last_error


def test_gives_up_after_the_last_retry_and_says_so(dodo, make_product, eager_retries):
    dodo.fail_next("POST", "/products", 500, times=50)
    product = make_product()

    result = sync_product.delay(product.pk)

    assert result.failed()
    assert len(product_calls(dodo)) == sync_product.max_retries + 1
    status = sync_status(product)
    assert status.state == "failed"
    assert status.last_error.startswith(f"Gave up after {sync_product.max_retries} retries")


def test_failed_product_is_synced_again_at_the_next_save(dodo, make_product, save,
                                                        eager_retries):
    dodo.fail_next("POST", "/products", 404)
    product = make_product()
    save(product, created=True)
    assert sync_status(product).state == "failed"

    save(product)

    assert sync_status(product).state == "synced"


def test_product_deleted_at_dodo_is_created_again(dodo, make_product, save):
    product = make_product(price=1000)
    save(product, created=True)
    old_id = DodoProduct.objects.get().dodo_product_id
    del dodo.products[old_id]  # removed in the Dodo dashboard

    product.price = 1100
    save(product)

    new_id = DodoProduct.objects.get().dodo_product_id
    assert new_id != old_id
    assert dodo.products[new_id]["price"]["price"] == 1100
    assert product_calls(dodo)[-2:] == ["PATCH /products/{id} 404", "POST /products 200"]


def test_sync_statuses_for_a_list_page_take_one_query(dodo, make_product, save,
                                                      django_assert_num_queries):
    synced, never = make_product(), make_product()
    save(synced, created=True)

    with django_assert_num_queries(1):
        statuses = sync_statuses([synced, never])

    assert {pk: s.state for pk, s in statuses.items()} == {synced.pk: "synced",
                                                           never.pk: "not_synced"}


def test_staff_see_sync_state_in_the_admin_and_can_sync_again(
    dodo, make_product, make_user, client, save, eager_retries, django_capture_on_commit_callbacks
):
    dodo.fail_next("POST", "/products", 422, message="Dodo said no")
    product = make_product(title="Stubborn Guide")
    save(product, created=True)
    staff = make_user(email="staff@example.com", is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:payments_dodo_dodoproduct_changelist")

    listing = client.get(url)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        action = client.post(url, {"action": "sync_again",
                                   "_selected_action": [DodoProduct.objects.get().pk]})

    assert listing.status_code == 200
    assert "Dodo said no" in listing.content.decode()
    assert action.status_code == 302
    assert len(queued) == 1  # queued once the action's changes have committed
    assert sync_status(product).state == "synced"


def test_a_seller_publishing_through_core_syncs_the_product(
    dodo, make_seller, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from marketplace_core.catalog.models import Product
    from marketplace_core.catalog.services import save_product, unpublish_product

    seller = make_seller()
    with django_capture_on_commit_callbacks(execute=True):
        draft = save_product(Product(title="Sound Kit", price=4900, currency="EUR"),
                             seller=seller, publish=False,
                             upload=ContentFile(b"PK\x03\x04", name="kit.zip"))
    assert dodo.exchanges == []  # a draft is not for sale

    with django_capture_on_commit_callbacks(execute=True):
        save_product(draft, seller=seller, publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        unpublish_product(draft, seller=seller)

    assert product_calls(dodo) == ["POST /products 200"]
    assert sync_status(draft).state == "synced"


def test_seller_sees_the_sync_state_on_the_product_pages(dodo, make_product, make_seller, save,
                                                        eager_retries, client,
                                                        django_assert_max_num_queries):
    seller = make_seller()
    synced = make_product(seller=seller, title="Synced Guide")
    refused = make_product(seller=seller, title="Refused Guide", currency="XTS")
    draft = make_product(seller=seller, title="Draft Guide", status="draft")
    for product in (synced, refused):
        save(product, created=True)
    client.force_login(seller)

    page = client.get(reverse("marketplace:seller_products")).content.decode()

    rows = {p.title: page.split(f'data-product="{p.slug}"')[1].split("</tr>")[0]
            for p in (synced, refused, draft)}
    assert 'data-badge="dodo-synced"' in rows["Synced Guide"]
    assert "Synced to Dodo" in rows["Synced Guide"]
    assert 'data-badge="dodo-failed"' in rows["Refused Guide"]
    assert "Unsupported currency" in rows["Refused Guide"]  # the reason, on hover
    assert "Dodo" not in rows["Draft Guide"]  # drafts are not sent to Dodo

    edit = html.unescape(
        client.get(reverse("marketplace:seller_product_update", args=[refused.pk])).content.decode()
    )
    assert "Dodo sync failed" in edit
    assert "Unsupported currency 'XTS'" in edit

    # One query for the whole page's sync states, however many products.
    for n in range(5):
        make_product(seller=seller, title=f"More {n}")
    with django_assert_max_num_queries(8):
        client.get(reverse("marketplace:seller_products"))
