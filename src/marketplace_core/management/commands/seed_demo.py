"""``manage.py seed_demo``: sellers, customers, a staff user, categories and ~40 products.

Idempotent: running it again finds what exists (by email and slug) and adds
only what is missing. Every product gets a real downloadable file and a cover
drawn with Pillow (its title on its category's colour), whose size variants are
made at the end on every CPU at once (a demo starts quicker), and the
demo buyer owns a few products through the same services real payments use.
Before those purchases, the ``demo_products_seeded`` event lets each enabled
plugin add its own demo setup (the licenses plugin: a product that issues keys).
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.text import slugify

from marketplace_core.catalog.images import apply_cover
from marketplace_core.catalog.models import Category, Product
from marketplace_core.catalog.versions import bump_after_commit
from marketplace_core.media.demo import draw_cover
from marketplace_core.media.variants import make_variants
from marketplace_core.ownership import services
from marketplace_core.payments.dummy import DummyProvider
from marketplace_core.people.names import display_name
from marketplace_core.people.records import mark_email_verified
from marketplace_core.people.users import create_user, email_of, find_by_email, new_user_fields
from marketplace_core.plugins import events
from marketplace_core.roles import Role, make_seller

if TYPE_CHECKING:
    from marketplace_core.people.types import User

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented demo credential

SELLERS = [
    ("seller@example.com", "Sam Seller", ["Templates", "E-books", "Icons"]),
    ("studio@example.com", "Pixel Studio", ["Fonts", "Photos", "Audio"]),
]
CUSTOMERS = [("buyer@example.com", "Bea Buyer"), ("customer@example.com", "Cal Customer")]
#: Staff and superuser: the admin, and signing in while maintenance mode is on.
STAFF = ("staff@example.com", "Stella Staff")
TOPICS = [
    "Notion budget planner", "Landing page kit", "Resume template", "Pitch deck", "Invoice pack",
    "Python crash course", "SQL field guide", "Design systems primer", "Remote work handbook",
    "Sourdough baking notes", "Line icon set", "Duotone icon set", "Emoji pack", "Weather icons",
    "Geometric sans font", "Handwritten script font", "Monospace coding font", "Serif display",
    "Mountain photos", "City at night photos", "Texture pack", "Minimal wallpapers",
    "Lo-fi beats loop pack", "Podcast intro jingles", "Foley sound effects", "Ambient drones",
    "Kanban board template", "Habit tracker", "Meal planner", "Wedding checklist",
    "Email newsletter kit", "Social media templates", "Brand guideline template",
    "UX research toolkit", "Data viz cheatsheets", "Git cheatsheet", "Regex cheatsheet",
    "Marketing calendar", "Freelance contract pack", "Study planner",
]
PRICES = [0, 499, 900, 1299, 1900, 2500, 4900]


def _zip_bytes(title: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", f"{title}\n\nThank you for your purchase!\n")
        archive.writestr("data/items.csv", "id,name\n" + "".join(
            f"{i},{title} item {i}\n" for i in range(1, 51)))
    return buffer.getvalue()


def _pdf_bytes(title: str) -> bytes:
    """A minimal valid one-page PDF showing ``title``."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


class Command(BaseCommand):
    help = "Create demo sellers, customers, categories and ~40 products (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=len(TOPICS),
                            help="How many products to ensure (at most %(default)s).")

    def handle(self, *args: Any, **options: Any) -> None:
        count = max(0, min(options["products"], len(TOPICS)))
        sellers = [self._user(email, name, Role.SELLER) for email, name, _ in SELLERS]
        customers = [self._user(email, name, Role.CUSTOMER) for email, name in CUSTOMERS]
        self._staff(*STAFF)
        categories = {
            seller.pk: [self._category(seller, name) for name in names]
            for seller, (_, _, names) in zip(sellers, SELLERS, strict=True)
        }
        created = 0
        for index, topic in enumerate(TOPICS[:count]):
            seller = sellers[index % len(sellers)]
            created += self._product(index, topic, seller, categories[seller.pk])
            self._progress(index + 1, count)
        self._cover_variants()
        buyer = customers[0]
        demo_products = list(Product.objects.published()
                             .filter(slug__in=[slugify(topic) for topic in TOPICS[:count]])
                             .order_by("id"))
        # Before the purchases: what plugins set up on the products applies to them.
        events.emit("demo_products_seeded", products=demo_products)
        for product in [p for p in demo_products if p.seller_id != buyer.pk][:3]:
            self._purchase(buyer, product)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {len(sellers)} sellers, {len(customers)} customers, "
            f"{count} products ({created} new), staff user {STAFF[0]}. "
            f"Password for every demo user: {DEMO_PASSWORD}"
        ))

    def _cover_variants(self) -> None:
        """Make the missing variants of the demo covers, on every CPU (Pillow resizes
        and encodes without the GIL); rows are updated here, as the task would."""
        pending = list(Product.objects.filter(cover_variants__isnull=True)
                       .exclude(cover_image="").values_list("pk", "cover_image"))
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            made = list(pool.map(make_variants, [name for _, name in pending]))
        for (pk, name), variants in zip(pending, made, strict=True):
            Product.objects.filter(pk=pk, cover_image=name).update(cover_variants=variants)
        bump_after_commit()

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        stream = sys.stdout if self.stdout.isatty() else None
        line = f"\rProducts [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if stream is not None:
            stream.write(line)
            stream.flush()
            if done == total:
                stream.write("\n")
        elif done == total:
            self.stdout.write(line.strip())

    def _user(self, email: str, name: str, role: str) -> User:
        user = find_by_email(email)
        if user is None:
            user = create_user(email, DEMO_PASSWORD, name)
            mark_email_verified(user)
            if role == Role.SELLER:
                make_seller(user)
        return user

    def _staff(self, email: str, name: str) -> User:
        user = find_by_email(email)
        if user is None:
            manager = get_user_model()._default_manager
            user = manager.create_superuser(password=DEMO_PASSWORD, **new_user_fields(email, name))
            mark_email_verified(user)
        return user

    def _category(self, seller: User, name: str) -> Category:
        category, _ = Category.objects.get_or_create(
            seller=seller, slug=slugify(name), defaults={"name": name}
        )
        return category

    @transaction.atomic
    def _product(self, index: int, topic: str, seller: User, categories: list[Category]) -> int:
        slug = slugify(topic)
        if Product.objects.filter(slug=slug).exists():
            return 0
        as_pdf = index % 2 == 0
        product = Product(
            seller=seller,
            title=topic,
            slug=slug,
            description=f"{topic}: a demo product with a real file to download.\n\n"
                        "Everything you need, delivered instantly after payment.",
            price=PRICES[index % len(PRICES)] or 299,
            currency="USD" if index % 5 else "EUR",
            status=Product.Status.DRAFT if index % 13 == 12 else Product.Status.PUBLISHED,
            is_featured=index % 7 == 0,
        )
        file_name = f"{slug}.pdf" if as_pdf else f"{slug}.zip"
        content = _pdf_bytes(topic) if as_pdf else _zip_bytes(topic)
        product.set_file(ContentFile(content, name=file_name), original_name=file_name)
        category = categories[index % len(categories)]
        apply_cover(product, draw_cover(topic, category.name), remove=False)
        product.save()
        product.categories.set([category])
        return 1

    def _purchase(self, buyer: User, product: Product) -> None:
        if services.owns(buyer, product):
            return
        order = services.start_checkout(
            buyer=buyer, product=product, provider=DummyProvider.identifier,
            billing={"name": display_name(buyer), "email": email_of(buyer), "country": "US"},
        )
        services.confirm_payment(
            provider=DummyProvider.identifier,
            order_reference=str(order.reference),
            provider_payment_id=f"demo_{order.reference.hex}",
            amount=order.amount,
            currency=order.currency,
        )
