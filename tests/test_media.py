"""Product images: upload checks, cover and gallery in the seller panel, size variants
made by the Celery task (eager here), files deleted with what they belonged to, the
markup of cards and of the gallery, and the image settings' system checks."""

from __future__ import annotations

import io
import re

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from PIL import Image

from marketplace_core.catalog import images
from marketplace_core.catalog.models import Product, ProductImage
from marketplace_core.catalog.tasks import make_image_variants
from marketplace_core.catalog.versions import bump_catalog_version
from marketplace_core.exceptions import Rejected
from marketplace_core.media.storage import media_storage
from marketplace_core.media.validation import validate_image
from marketplace_core.testing.factories import logged_in
from tests.media_support import (
    jpeg_with_gps_and_orientation,
    media_root,  # noqa: F401  (fixture)
    picture,
    picture_bytes,
    png_declaring,
    stored_media,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def edit_url(product: Product) -> str:
    return f"/seller/products/{product.pk}/edit/"


def product_data(product: Product, **extra):
    """The product form's fields as they are, saved keeping the product's status (a
    published product's "Save as draft" asks for confirmation first)."""
    keep = "publish" if product.status == Product.Status.PUBLISHED else "draft"
    data = {"title": product.title, "slug": product.slug, "description": product.description,
            "price": "19.99", "currency": "USD", "action": keep}
    data.update(extra)
    return data


def errors_for(html: str, field: str) -> list[str]:
    block = re.search(rf'data-errors-for="{field}">(.*?)</div>', html, flags=re.S)
    return re.findall(r"<p>(.*?)</p>", block.group(1)) if block else []


@pytest.fixture
def seller(make_seller):
    return make_seller(name="Ada Pixel")


@pytest.fixture
def product(make_product, seller):
    return make_product(seller=seller, title="Watercolour Basics")


@pytest.fixture
def client(seller):
    return logged_in(seller)


def upload_cover(client, product, upload, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(edit_url(product), product_data(product, cover_image=upload, **extra))


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("notes.png", b"just some text, not a picture"), "image_invalid"),
        (SimpleUploadedFile("cover.jpg", picture_bytes(image_format="PNG")),
         "image_extension_mismatch"),
        (SimpleUploadedFile("cover.bmp", picture_bytes(image_format="BMP")), "image_extension"),
        (SimpleUploadedFile("bomb.png", png_declaring(50_000, 50_000)), "image_too_many_pixels"),
        (SimpleUploadedFile("wide.png", png_declaring(9_000, 9_000)), "image_too_many_pixels"),
        (SimpleUploadedFile("cover.png", b""), "image_empty"),
        (SimpleUploadedFile("half.png", picture_bytes()[:200]), "image_invalid"),
    ],
    ids=["text", "png-named-jpg", "bmp", "bomb", "over-own-limit", "empty", "truncated"],
)
def test_bad_images_are_refused_with_a_reason(upload, code):
    with pytest.raises(ValidationError) as refused:
        validate_image(upload)
    assert refused.value.code == code


def test_a_file_over_the_byte_limit_is_refused(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "IMAGE_MAX_BYTES": 1000}
    with pytest.raises(ValidationError) as refused:
        validate_image(picture(size=(300, 300), color=(1, 2, 3), mode="RGB",
                               image_format="PNG", compress_level=0))
    assert refused.value.code == "image_too_large"
    assert "images may be at most 1000\xa0bytes" in refused.value.messages[0]


def test_exif_is_stripped_and_the_orientation_kept():
    upload = SimpleUploadedFile("holiday.JPG", jpeg_with_gps_and_orientation((400, 200)))
    checked = validate_image(upload)
    stored = Image.open(io.BytesIO(checked.content.read()))
    exif = stored.getexif()
    assert not exif.get_ifd(0x8825)  # no GPS
    assert 0x0110 not in exif and 0x0112 not in exif  # no camera, no orientation left
    assert b"Secret Camera" not in checked.content.open().read()
    # Turned upright by the orientation tag before it was dropped.
    assert (checked.width, checked.height) == (200, 400) == stored.size


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_comments_text_and_xmp_are_stripped_too(image_format):
    from PIL import PngImagePlugin

    exif = Image.Exif()
    exif[0x0110] = "Secret Camera"
    options = {"JPEG": {"comment": b"secret comment", "exif": exif},
               "WEBP": {"exif": exif, "xmp": b"<x:xmpmeta>secret place</x:xmpmeta>"},
               "PNG": {"exif": exif, "pnginfo": PngImagePlugin.PngInfo()}}[image_format]
    if image_format == "PNG":
        options["pnginfo"].add_text("Author", "secret author")
    data = picture_bytes(size=(50, 40), image_format=image_format, **options)
    assert b"secret" in data.lower() or b"Secret" in data
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[image_format]
    stored = validate_image(SimpleUploadedFile(f"a.{extension}", data)).content.read()
    assert b"secret" not in stored.lower()


def test_a_gif_keeps_its_first_frame_as_a_png():
    frames = [Image.new("P", (30, 20), color) for color in (1, 2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    checked = validate_image(SimpleUploadedFile("anim.gif", buffer.getvalue()))
    assert checked.format == "PNG" and checked.extension == "png"
    assert (checked.width, checked.height) == (30, 20)


# ---------------------------------------------------------------------------
# cover
# ---------------------------------------------------------------------------


def test_a_cover_is_stored_with_its_size_and_gets_variants(
        client, product, django_capture_on_commit_callbacks):
    response = upload_cover(client, product, picture(size=(1600, 900)),
                            django_capture_on_commit_callbacks)
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.cover_image.name.startswith("covers/")
    assert (product.cover_width, product.cover_height) == (1600, 900)
    widths = [width for width, _ in product.cover_variants["webp"]]
    assert widths == [320, 640, 1280]  # never the original's 1600: it stays the original
    fallback_width, fallback = product.cover_variants["fallback"]
    assert fallback_width == 640 and fallback.endswith(".jpg")
    for _, name in [*product.cover_variants["webp"], product.cover_variants["fallback"]]:
        with media_storage().open(name) as stored:
            assert Image.open(stored).width in (320, 640, 1280)


def test_a_small_cover_is_never_upscaled(client, product, django_capture_on_commit_callbacks):
    upload_cover(client, product, picture(size=(500, 300)), django_capture_on_commit_callbacks)
    product.refresh_from_db()
    assert [width for width, _ in product.cover_variants["webp"]] == [320, 500]
    assert product.cover_variants["fallback"][0] == 500


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.png", b"not an image"), "not a JPEG, PNG, WebP or GIF"),
        (SimpleUploadedFile("cover.jpg", picture_bytes()), "rename it to .png"),
        (SimpleUploadedFile("bomb.png", png_declaring(40_000, 40_000)), "too many pixels"),
    ],
    ids=["not-an-image", "wrong-extension", "bomb"],
)
def test_a_bad_cover_is_a_form_error_and_nothing_is_stored(
        client, product, upload, message, django_capture_on_commit_callbacks):
    before = stored_media()
    response = upload_cover(client, product, upload, django_capture_on_commit_callbacks,
                            title="Renamed")
    assert response.status_code == 200
    assert any(message in error for error in errors_for(response.content.decode(),
                                                        "cover_image"))
    assert stored_media() == before
    product.refresh_from_db()
    assert product.title == "Watercolour Basics" and not product.cover_image


def test_an_oversized_cover_is_a_form_error(client, product, settings,
                                            django_capture_on_commit_callbacks):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "IMAGE_MAX_BYTES": 2048}
    before = stored_media()
    response = upload_cover(client, product, picture(size=(400, 400), compress_level=0),
                            django_capture_on_commit_callbacks)
    errors = errors_for(response.content.decode(), "cover_image")
    assert response.status_code == 200 and "images may be at most 2.0\xa0KB" in errors[0]
    assert stored_media() == before


def test_replacing_and_removing_the_cover_delete_its_files(
        client, product, django_capture_on_commit_callbacks):
    upload_cover(client, product, picture(size=(900, 600)), django_capture_on_commit_callbacks)
    product.refresh_from_db()
    first = stored_media()
    assert product.cover_image.name in first and len(first) == 5  # original, 3 WebP, JPEG
    upload_cover(client, product, picture(size=(700, 500), color=(0, 90, 0)),
                 django_capture_on_commit_callbacks)
    product.refresh_from_db()
    second = stored_media()
    assert not (first & second) and product.cover_image.name in second
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit_url(product), product_data(product, remove_cover="on"))
    product.refresh_from_db()
    assert not product.cover_image and product.cover_width is None
    assert stored_media() == set()


def test_the_variants_task_may_run_twice_and_skips_a_replaced_image(
        product, django_capture_on_commit_callbacks):
    checked = validate_image(picture(size=(700, 400)))
    with django_capture_on_commit_callbacks(execute=True):
        images.apply_cover(product, checked, remove=False)
        product.save()
    # Not queued (no after_cover_saved): the task runs by hand, twice.
    name = product.cover_image.name
    assert make_image_variants("cover", product.pk, name) is True
    files = stored_media()
    assert make_image_variants("cover", product.pk, name) is False  # already recorded
    Product.objects.filter(pk=product.pk).update(cover_variants=None)
    assert make_image_variants("cover", product.pk, name) is True  # files found in place
    assert stored_media() == files
    # A stale task for an image the product no longer has makes nothing.
    assert make_image_variants("cover", product.pk, "covers/gone.png") is False
    assert stored_media() == files


def test_deleting_a_product_deletes_its_images(
        client, product, seller, django_capture_on_commit_callbacks):
    upload_cover(client, product, picture(size=(700, 400)), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        images.add_gallery_image(product, seller=seller,
                                 image=validate_image(picture(size=(500, 500))))
    assert len(stored_media()) == 9  # cover: 1 + 3 + 1; gallery: 1 + 2 + 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/seller/products/{product.pk}/delete/")
    assert response.status_code == 302
    assert stored_media() == set()


# ---------------------------------------------------------------------------
# gallery
# ---------------------------------------------------------------------------


def add_image(client, product, upload, django_capture_on_commit_callbacks, alt=""):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/seller/products/{product.pk}/images/",
                           {"gallery-image": upload, "gallery-alt_text": alt})


def test_gallery_images_are_added_in_order_with_alt_text_and_variants(
        client, product, django_capture_on_commit_callbacks):
    for n in range(3):
        response = add_image(client, product, picture(f"p{n}.png", size=(900, 700)),
                             django_capture_on_commit_callbacks, alt=f"Page {n}")
        assert response.status_code == 302
        assert response["Location"].endswith(f"{edit_url(product)}#gallery")
    rows = list(product.images.all())
    assert [row.alt_text for row in rows] == ["Page 0", "Page 1", "Page 2"]
    assert all((row.width, row.height) == (900, 700) and row.variants for row in rows)
    page = client.get(edit_url(product)).content.decode()
    assert page.count("data-gallery-image=") == 3


def test_the_ninth_gallery_image_is_refused_and_not_stored(
        client, product, seller, django_capture_on_commit_callbacks):
    for _ in range(8):
        images.add_gallery_image(product, seller=seller,
                                 image=validate_image(picture(size=(40, 30))))
    before = stored_media()
    response = add_image(client, product, picture(size=(40, 30)),
                         django_capture_on_commit_callbacks)
    assert response.status_code == 400
    html = response.content.decode()
    assert errors_for(html, "image") == [
        "A gallery holds at most 8 images. Remove one to add another."]
    assert product.images.count() == 8 and stored_media() == before


def test_a_bad_gallery_image_is_a_form_error_and_nothing_is_stored(
        client, product, django_capture_on_commit_callbacks):
    before = stored_media()
    response = add_image(client, product, SimpleUploadedFile("photo.jpg", picture_bytes()),
                         django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "rename it to .png" in errors_for(response.content.decode(), "image")[0]
    assert stored_media() == before and not product.images.exists()


def test_gallery_images_move_and_removal_deletes_their_files(
        client, product, seller, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third = (
            images.add_gallery_image(product, seller=seller, alt_text=f"#{n}",
                                     image=validate_image(picture(size=(400, 300))))
            for n in range(3))
    client.post(f"/seller/products/{product.pk}/images/{third.pk}/move/",
                {"direction": "earlier"})
    assert [row.pk for row in product.images.all()] == [first.pk, third.pk, second.pk]
    client.post(f"/seller/products/{product.pk}/images/{first.pk}/move/",
                {"direction": "earlier"})  # already first: stays
    assert [row.pk for row in product.images.all()] == [first.pk, third.pk, second.pk]
    kept = {name for name in stored_media() if third.image.name.split(".")[0] not in name}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/seller/products/{product.pk}/images/{third.pk}/delete/")
    assert response.status_code == 302
    assert [row.pk for row in product.images.all()] == [first.pk, second.pk]
    assert stored_media() == kept


def test_another_sellers_gallery_is_not_found(client, product, make_product, make_seller,
                                              django_capture_on_commit_callbacks):
    other = make_product(seller=make_seller(), title="Not yours")
    theirs = images.add_gallery_image(other, seller=other.seller,
                                      image=validate_image(picture(size=(40, 30))))
    before = stored_media()
    assert add_image(client, other, picture(), django_capture_on_commit_callbacks
                     ).status_code == 404
    for action in ("delete", "move"):
        assert client.post(f"/seller/products/{other.pk}/images/{theirs.pk}/{action}/"
                           ).status_code == 404
        # Their image through my product's address: not found either.
        assert client.post(f"/seller/products/{product.pk}/images/{theirs.pk}/{action}/"
                           ).status_code == 404
    assert stored_media() == before and ProductImage.objects.filter(pk=theirs.pk).exists()
    with pytest.raises(Rejected):
        images.add_gallery_image(other, seller=product.seller,
                                 image=validate_image(picture(size=(40, 30))))


# ---------------------------------------------------------------------------
# markup
# ---------------------------------------------------------------------------


def _with_cover(product, django_capture_on_commit_callbacks, size=(1200, 800)):
    with django_capture_on_commit_callbacks(execute=True):
        images.apply_cover(product, validate_image(picture(size=size)), remove=False)
        product.save()
        images.after_cover_saved(product, validate_image(picture(size=size)))
    product.refresh_from_db()
    return product


def test_cards_show_a_responsive_cover_or_a_css_placeholder(
        client, product, make_product, seller, django_capture_on_commit_callbacks):
    _with_cover(product, django_capture_on_commit_callbacks)
    make_product(seller=seller, title="No Picture Yet")
    bump_catalog_version()
    html = client.get("/products/").content.decode()
    card = html.split(f'data-product="{product.slug}"')[1].split("</article>")[0]
    assert '<source type="image/webp" srcset="/media/covers/' in card
    assert " 320w, " in card and " 640w, " in card and " 1200w" in card
    assert 'sizes="(max-width: 40rem) 100vw, 20rem"' in card
    assert 'width="1200" height="800"' in card and 'loading="lazy"' in card
    assert 'alt=""' in card  # the title is the card's heading right after it
    assert re.search(r'<img src="/media/covers/\w+\.w640\.jpg"', card)
    assert "$19.99" in card and "Ada Pixel" in card
    bare = html.split('data-product="no-picture-yet')[1].split("</article>")[0]
    assert 'class="cover image-placeholder" aria-hidden="true"><span>N</span>' in bare
    assert "<img" not in bare


def test_a_cover_without_variants_yet_shows_the_original(product):
    checked = validate_image(picture(size=(640, 480)))
    images.apply_cover(product, checked, remove=False)  # no task queued
    product.save()
    html = render_to_string("marketplace_core/catalog/_product_cards.html",
                            {"products": [product]})
    assert f'<img src="/media/{product.cover_image.name}" alt=""' in html
    assert "srcset" not in html and 'width="640" height="480"' in html


def test_catalog_queries_do_not_grow_with_covers(make_product, seller,
                                                 django_assert_num_queries,
                                                 django_capture_on_commit_callbacks):
    for n in range(6):
        _with_cover(make_product(seller=seller, title=f"Poster {n}"),
                    django_capture_on_commit_callbacks, size=(400, 300))
    bump_catalog_version()
    with django_assert_num_queries(2):  # the page with its count, the category choices
        html = Client().get("/products/").content.decode()
    assert html.count("<picture>") == 6


def test_the_gallery_partial_shows_the_cover_first_and_thumbnails_as_links(
        product, seller, django_capture_on_commit_callbacks, django_assert_num_queries):
    _with_cover(product, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        shelf = images.add_gallery_image(product, seller=seller, alt_text="The shelf",
                                         image=validate_image(picture(size=(800, 800))))
        images.add_gallery_image(product, seller=seller,
                                 image=validate_image(picture(size=(300, 200))))
    product.refresh_from_db()  # as the product page reads it
    assert product.gallery_size == 2
    with django_assert_num_queries(1):  # the gallery's rows
        html = render_to_string("marketplace_core/catalog/_product_gallery.html",
                                {"product": product})
    stage = html.split('class="gallery-stage"')[1].split("</div>")[0]
    slides = re.findall(r"<img [^>]*>", stage)
    assert len(slides) == 3
    assert 'alt="Watercolour Basics"' in slides[0] and 'fetchpriority="high"' in slides[0]
    assert "loading=" not in slides[0]  # the first picture is never lazy
    assert 'alt="The shelf"' in slides[1] and 'loading="lazy"' in slides[1]
    assert 'alt="Watercolour Basics"' in slides[2]  # no text of its own: the title
    assert 'width="800" height="800"' in slides[1]
    thumbs = html.split('class="gallery-thumbs"')[1]
    assert re.findall(r'href="#(picture-[\w]+)"', thumbs) == [
        "picture-cover", f"picture-{shelf.pk}", f"picture-{shelf.pk + 1}"]
    assert all('alt=""' in img for img in re.findall(r"<img [^>]*>", thumbs))


def test_no_gallery_markup_without_pictures(product, django_assert_num_queries):
    with django_assert_num_queries(0):  # gallery_size says there is none: not even asked
        html = render_to_string("marketplace_core/catalog/_product_gallery.html",
                                {"product": product})
    assert "product-gallery" not in html
    assert 'class="gallery-placeholder" role="img"' in html


def test_the_gallery_size_follows_adds_and_removals_and_survives_a_stale_save(
        client, product, seller, django_capture_on_commit_callbacks):
    stale = Product.objects.get(pk=product.pk)
    with django_capture_on_commit_callbacks(execute=True):
        first = images.add_gallery_image(product, seller=seller,
                                         image=validate_image(picture(size=(300, 200))))
        images.add_gallery_image(product, seller=seller,
                                 image=validate_image(picture(size=(300, 200))))
    assert Product.objects.get(pk=product.pk).gallery_size == 2
    stale.title = "Renamed"
    stale.save()  # loaded before the images were added: must not reset their count
    assert Product.objects.values_list("title", "gallery_size").get(pk=product.pk) == (
        "Renamed", 2)
    with django_capture_on_commit_callbacks(execute=True):
        images.remove_gallery_image(product, seller=seller, image_pk=first.pk)
    assert Product.objects.get(pk=product.pk).gallery_size == 1
    bump_catalog_version()
    html = client.get(Product.objects.get(pk=product.pk).get_absolute_url()).content.decode()
    assert html.count('class="gallery-slide"') == 1


# ---------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "check"),
    [
        ("IMAGE_MAX_BYTES", 0, "E060"),
        ("IMAGE_MAX_PIXELS", "many", "E061"),
        ("IMAGE_FALLBACK_WIDTH", -5, "E062"),
        ("IMAGE_VARIANT_WIDTHS", [], "E063"),
        ("IMAGE_VARIANT_WIDTHS", [320, "wide"], "E063"),
        ("MEDIA_STORAGE", 3, "E064"),
        ("GALLERY_MAX_IMAGES", True, "E065"),
    ],
)
def test_bad_image_settings_are_named_by_a_check(settings, key, value, check):
    settings.MARKETPLACE = {**settings.MARKETPLACE, key: value}
    found = [message for message in run_checks() if message.id == f"marketplace_core.{check}"]
    assert len(found) == 1 and f"MARKETPLACE['{key}']" in found[0].msg


def test_images_go_to_the_default_storage_without_the_alias(settings, tmp_path):
    settings.STORAGES = {key: value for key, value in settings.STORAGES.items()
                         if key != "marketplace_media"}
    settings.MEDIA_ROOT = str(tmp_path / "default-media")
    name = media_storage().save("covers/x.png", ContentFile(picture_bytes(size=(2, 2))))
    assert (tmp_path / "default-media" / name).exists()


# ---------------------------------------------------------------------------
# demo covers
# ---------------------------------------------------------------------------


def test_seed_demo_draws_covers_with_variants_the_same_every_time(
        django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from marketplace_core.media.demo import draw_cover

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--products", "3", stdout=io.StringIO())
    products = list(Product.objects.filter(slug__in=["notion-budget-planner",
                                                     "landing-page-kit", "resume-template"]))
    assert len(products) == 3
    for product in products:
        assert (product.cover_width, product.cover_height) == (960, 540)
        assert product.cover_variants and product.cover_variants["fallback"][0] == 640
        with media_storage().open(product.cover_image.name) as stored:
            assert Image.open(stored).format == "JPEG"
    first = draw_cover("Pitch deck", "Templates").content.read()
    assert draw_cover("Pitch deck", "Templates").content.read() == first
    assert draw_cover("Pitch deck", "Fonts").content.read() != first  # the category's colour


def test_an_avatar_is_a_checked_centred_square_without_metadata():
    from marketplace_core.media.avatars import avatar_image

    avatar = avatar_image(SimpleUploadedFile("me.jpg", jpeg_with_gps_and_orientation((900, 500))))
    stored = Image.open(io.BytesIO(avatar.content.read()))
    assert stored.size == (256, 256) == (avatar.width, avatar.height)
    assert not stored.getexif()
    small = avatar_image(picture("me.png", size=(100, 60)))
    assert (small.width, small.height, small.format) == (60, 60, "PNG")  # never enlarged
    with pytest.raises(ValidationError):
        avatar_image(SimpleUploadedFile("me.png", b"not a picture"))


def test_cached_catalog_pages_switch_to_the_variants_once_made(
        product, django_capture_on_commit_callbacks):
    anonymous = Client()
    images.apply_cover(product, validate_image(picture(size=(800, 450))), remove=False)
    product.save()  # the product's signal retires the cached pages
    assert "<picture>" not in anonymous.get("/products/").content.decode()  # the original
    assert "<picture>" not in anonymous.get("/products/").content.decode()  # cached
    with django_capture_on_commit_callbacks(execute=True):
        make_image_variants("cover", product.pk, product.cover_image.name)
    assert "<picture>" in anonymous.get("/products/").content.decode()


def test_a_product_created_with_a_cover(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/seller/products/new/", {
            "title": "Fresh Start", "slug": "", "description": "", "price": "5",
            "currency": "USD", "action": "draft", "cover_image": picture(size=(700, 400))})
    assert response.status_code == 302
    product = Product.objects.get(title="Fresh Start")
    assert (product.cover_width, product.cover_height) == (700, 400) and product.cover_variants



# ---------------------------------------------------------------------------
# mends after review
# ---------------------------------------------------------------------------


def test_a_refused_gallery_image_keeps_the_product_form_as_stored(
        client, product, django_capture_on_commit_callbacks):
    response = add_image(client, product, SimpleUploadedFile("x.png", b"not a picture"),
                         django_capture_on_commit_callbacks)
    assert response.status_code == 400
    html = response.content.decode()
    assert errors_for(html, "image")  # the gallery's error, beside its form
    # The product's own fields show what is stored, without errors of their own.
    assert f'value="{product.title}"' in html
    assert not errors_for(html, "title") and not errors_for(html, "price")


def test_a_save_that_overlaps_the_variants_task_keeps_the_variants(
        client, product, django_capture_on_commit_callbacks):
    stale = Product.objects.get(pk=product.pk)  # the seller's form loaded, then ...
    _with_cover(product, django_capture_on_commit_callbacks)  # ... the task ran
    assert product.cover_variants
    stale.title = "Renamed"
    stale.save()
    stored = Product.objects.get(pk=product.pk)
    assert (stored.title, stored.cover_variants) == ("Renamed", product.cover_variants)


def test_a_multi_picture_jpeg_from_a_phone_is_accepted_as_its_first_picture():
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (640, 480), (10, 120, 200)), Image.new("RGB", (160, 120))
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(buffer.getvalue())) as probe:
        assert probe.format == "MPO"  # what Pillow calls a phone's Ultra HDR photo
    checked = validate_image(SimpleUploadedFile("photo.jpg", buffer.getvalue()))
    assert (checked.format, checked.width, checked.height) == ("JPEG", 640, 480)
