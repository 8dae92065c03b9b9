"""The seller's categories (seed §5 SellerProductCategory* views): create, list,
edit, delete; names unique per seller in any letter case; deleting a category
leaves its products in place."""

from __future__ import annotations

import pytest

from marketplace_core.catalog.models import Category, Product
from tests.panels_support import data_values, logged_in, text_of

pytestmark = pytest.mark.django_db

LIST_URL = "/seller/categories/"
CREATE_URL = "/seller/categories/new/"


@pytest.fixture
def seller(make_seller):
    return make_seller()


@pytest.fixture
def client(seller):
    return logged_in(seller)


def name_errors(html: str) -> list[str]:
    if 'data-errors-for="name"' not in html:
        return []
    block = html.split('data-errors-for="name">', 1)[1].split("</div>", 1)[0]
    return [text_of(part) for part in block.split("</p>") if text_of(part)]


@pytest.mark.by_database
def test_create_then_list_with_product_counts(client, seller, make_product):
    response = client.post(CREATE_URL, {"name": "  Watercolour  "}, follow=True)

    category = Category.objects.get()
    assert response.redirect_chain == [(LIST_URL, 302)]
    assert (category.seller, category.name, category.slug) == (seller, "Watercolour",
                                                               "watercolour")
    make_product(seller=seller).categories.add(category)
    html = client.get(LIST_URL).content.decode()
    assert data_values(html, "category") == ["watercolour"]
    row = html.split('data-category="watercolour">', 1)[1].split("</tr>", 1)[0]
    assert text_of(row).startswith("Watercolour 1")


@pytest.mark.by_database
def test_names_are_unique_per_seller_in_any_letter_case(client, seller, make_category):
    make_category(seller=seller, name="Brushes")
    make_category(name="Paper")  # another seller's

    duplicate = client.post(CREATE_URL, {"name": "bRUSHES"})
    reused = client.post(CREATE_URL, {"name": "Paper"})

    assert name_errors(duplicate.content.decode()) == [
        "You already have a category named “bRUSHES”."
    ]
    assert reused.status_code == 302
    assert sorted(Category.objects.filter(seller=seller).values_list("name", flat=True)) == [
        "Brushes", "Paper"]


def test_edit_renames_and_refuses_a_name_in_use(client, seller, make_category):
    brushes = make_category(seller=seller, name="Brushes")
    make_category(seller=seller, name="Paper")
    url = f"/seller/categories/{brushes.pk}/edit/"

    refused = client.post(url, {"name": "paper"})
    renamed = client.post(url, {"name": "Fine Brushes"})
    same_name_other_case = client.post(url, {"name": "FINE brushes"})

    assert name_errors(refused.content.decode()) == ["You already have a category named “paper”."]
    assert renamed.status_code == 302 and same_name_other_case.status_code == 302
    brushes.refresh_from_db()
    assert (brushes.name, brushes.slug) == ("FINE brushes", "fine-brushes")


def test_deleting_a_category_keeps_its_products(client, seller, make_category, make_product):
    category = make_category(seller=seller, name="Sketching")
    kept = [make_product(seller=seller, title=f"Sketch {i}") for i in range(2)]
    for product in kept:
        product.categories.add(category)
    url = f"/seller/categories/{category.pk}/delete/"

    page = client.get(url).content.decode()
    response = client.post(url, follow=True)

    assert "2 products are in this category. They stay in your shop" in text_of(page)
    assert "Category “Sketching” is deleted. Its 2 products stay in place." in (
        response.content.decode())
    assert not Category.objects.filter(pk=category.pk).exists()
    assert Product.objects.filter(pk__in=[p.pk for p in kept]).count() == 2
    assert all(p.categories.count() == 0 for p in kept)


def test_other_sellers_categories_are_not_found(client, make_category):
    theirs = make_category(name="Not Yours")

    for url in (f"/seller/categories/{theirs.pk}/edit/", f"/seller/categories/{theirs.pk}/delete/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Taken Over"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Not Yours"
    assert "Not Yours" not in client.get(LIST_URL).content.decode()


@pytest.mark.by_database
@pytest.mark.parametrize(("count", "page", "shown"), [(1, 1, 1), (50, 1, 50), (53, 2, 3)])
def test_list_query_count_does_not_grow(count, page, shown, client, seller, make_category,
                                        make_product, django_assert_num_queries):
    product = make_product(seller=seller)
    for i in range(count):
        product.categories.add(make_category(seller=seller, name=f"Category {i:02d}"))

    # session, user with the person's seller/verified rows, count, categories with product
    # counts
    with django_assert_num_queries(4):
        response = client.get(LIST_URL, {"page": page})

    assert len(data_values(response.content.decode(), "category")) == shown
