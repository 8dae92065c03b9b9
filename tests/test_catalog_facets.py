"""The category filter's counts (catalog.facets): exact after every change, on
every path, under concurrent saves, and read without touching the products."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace_core.catalog import facets, services, versions
from marketplace_core.catalog.models import Category, CategoryFacet, Product
from marketplace_core.testing.contracts import send_together

pytestmark = pytest.mark.django_db


def shown() -> dict[str, int]:
    """What the storefront's category filter offers: ``{slug: products}``."""
    return {row["slug"]: row["products"] for row in facets.category_choices()}


def truth() -> dict[str, int]:
    """The same counted the slow way: a join over every product."""
    counts: dict[str, int] = {}
    for product in Product.objects.published().prefetch_related("categories"):
        for category in product.categories.all():
            counts[category.slug] = counts.get(category.slug, 0) + 1
    return counts


def fresh(product: Product) -> Product:
    return Product.objects.get(pk=product.pk)


def test_counts_follow_every_service_change(make_seller, make_product, make_category):
    seller = make_seller()
    fonts = make_category(seller=seller, name="Fonts")
    icons = make_category(seller=seller, name="Icons")
    a = make_product(seller=seller, title="Serif", status=Product.Status.DRAFT)
    b = make_product(seller=seller, title="Grotesk", status=Product.Status.DRAFT)
    assert shown() == {}

    services.save_product(fresh(a), seller=seller, publish=True, categories=[fonts])
    services.save_product(fresh(b), seller=seller, publish=False, categories=[fonts, icons])
    assert shown() == {"fonts": 1}  # a draft is not offered

    services.save_product(fresh(b), seller=seller, publish=True)  # categories kept
    assert shown() == {"fonts": 2, "icons": 1}

    services.unpublish_product(fresh(a), seller=seller)
    assert shown() == {"fonts": 1, "icons": 1}

    services.save_product(fresh(b), seller=seller, publish=True, categories=[icons])
    assert shown() == {"icons": 1}

    services.save_product(fresh(a), seller=seller, publish=True, categories=[icons])
    assert shown() == {"icons": 2}

    services.delete_product(fresh(a), actor=seller)
    assert shown() == {"icons": 1}

    services.delete_category(icons, seller=seller)
    assert shown() == {}
    assert not CategoryFacet.objects.filter(pk=icons.pk).exists()
    assert shown() == truth()


def test_plain_saves_and_links_keep_counts(make_seller, make_product, make_category):
    """The admin and seed_demo save products and links without the services."""
    seller = make_seller()
    fonts = make_category(seller=seller, name="Fonts")
    product = make_product(seller=seller)
    product.categories.add(fonts)
    assert shown() == {"fonts": 1}

    product.is_active = False
    product.save()
    assert shown() == {}
    product.is_active = True
    product.save(update_fields=["is_active"])
    assert shown() == {"fonts": 1}

    other = make_product(seller=seller)
    fonts.products.add(other)  # from the category's side
    assert shown() == {"fonts": 2}
    fonts.products.clear()
    assert shown() == {}
    product.categories.set([fonts])
    assert shown() == {"fonts": 1}
    product.categories.clear()
    assert shown() == {}

    other.categories.add(fonts)
    other.delete()
    assert shown() == {}
    assert shown() == truth()


def test_same_slug_of_two_sellers_is_one_choice_with_both_counts(make_seller, make_product,
                                                                 make_category, client):
    ana, bo = make_seller(), make_seller()
    make_product(seller=ana, title="Serif").categories.add(make_category(seller=ana,
                                                                          name="Fonts"))
    bo_fonts = make_category(seller=bo, name="Fonts")
    make_product(seller=bo, title="Grotesk").categories.add(bo_fonts)
    make_product(seller=bo, title="Mono").categories.add(bo_fonts)
    html = client.get("/products/").content.decode()
    assert re.findall(r'value="fonts"> Fonts <span class="muted">\((\d+)\)</span>', html) == ["3"]


def test_bulk_writes_are_counted_by_recount_all(make_seller, make_category):
    seller = make_seller()
    fonts = make_category(seller=seller, name="Fonts")
    products = Product.objects.bulk_create(
        Product(seller=seller, title=f"Bulk {i}", slug=f"bulk-{i}", price=100,
                status=Product.Status.PUBLISHED) for i in range(5)
    )
    Product.categories.through.objects.bulk_create(
        Product.categories.through(product_id=p.pk, category_id=fonts.pk) for p in products
    )
    assert shown() == {}  # signals bypassed: not counted yet
    facets.recount_all()
    assert shown() == {"fonts": 5}
    Product.objects.filter(pk=products[0].pk).update(status=Product.Status.DRAFT)
    facets.recount_categories([fonts.pk])
    assert shown() == {"fonts": 4} == truth()


def _bulk_products(seller, category: Category, count: int) -> None:
    start = Product.objects.count()
    created = Product.objects.bulk_create(
        Product(seller=seller, title=f"Poster {start + i}", slug=f"poster-{start + i}",
                price=100, status=Product.Status.PUBLISHED) for i in range(count)
    )
    Product.categories.through.objects.bulk_create(
        Product.categories.through(product_id=p.pk, category_id=category.pk) for p in created
    )
    facets.recount_all()
    versions.bump_after_commit()  # bulk writes send no signals: the page cache


def test_category_list_reads_no_product_rows_whatever_the_catalog_size(
    client, make_seller, make_category,
):
    seller = make_seller()
    categories = [make_category(seller=seller, name=f"Shelf {i}") for i in range(3)]
    sizes = []
    for count in (1, 1000):
        for category in categories:
            _bulk_products(seller, category, count // len(categories) or 1)
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/products/").content.decode()
        assert "Shelf 2 <span" in html
        (choices_sql,) = [q["sql"] for q in queries if "categoryfacet" in q["sql"]]
        assert "marketplace_core_product" not in choices_sql
        sizes.append(len(queries))
    assert sizes[0] == sizes[1]


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)
def test_counts_stay_exact_under_concurrent_saves(make_seller, make_product, make_category):
    seller = make_seller()
    fonts = make_category(seller=seller, name="Fonts")
    icons = make_category(seller=seller, name="Icons")
    products = []
    for i in range(16):
        product = make_product(seller=seller,
                               status=Product.Status.PUBLISHED if i % 2 else Product.Status.DRAFT)
        product.categories.add(fonts)
        products.append(product)
    assert shown() == {"fonts": 8}

    def change(i: int) -> str:
        try:
            product = fresh(products[i % len(products)])
            if i < len(products):  # flip published / draft
                services.save_product(product, seller=seller,
                                      publish=product.status == Product.Status.DRAFT)
            else:  # the same products, now also in "icons" and published
                services.save_product(product, seller=seller, publish=True,
                                      categories=[fonts, icons])
            return "ok"
        finally:
            connection.close()

    assert send_together(24, change) == ["ok"] * 24
    assert shown() == truth()
    assert Product.categories.through.objects.filter(category=icons).count() == 8


FACETS = ("marketplace_core", "0006_catalog_facets")


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_an_existing_catalog(make_seller, make_product, make_category):
    from django.db.migrations.executor import MigrationExecutor

    seller = make_seller()
    fonts = make_category(seller=seller, name="Fonts")
    make_category(seller=seller, name="Empty")
    for status in (Product.Status.PUBLISHED, Product.Status.PUBLISHED, Product.Status.DRAFT):
        make_product(seller=seller, status=status).categories.add(fonts)
    executor = MigrationExecutor(connection)
    (before,) = [parent.key for parent in executor.loader.graph.node_map[FACETS].parents
                 if parent.key[0] == "marketplace_core"]
    try:
        executor.migrate([before])  # a database from before the counts
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([FACETS])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert shown() == {"fonts": 2}
    assert CategoryFacet.objects.count() == 2  # the empty category has a row too
