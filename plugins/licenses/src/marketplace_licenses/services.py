"""Everything that changes license rows: policies, issuing, disabling, activations.

Issuing is idempotent (one key per purchase: a unique constraint, so two
concurrent ``ownership_granted`` deliveries make one key). An activation
locks its key's row (``select_for_update``; on SQLite the ``IMMEDIATE``
transaction serializes writers) before counting, so the activation limit
holds however many clients activate at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from marketplace_core.catalog.models import Product
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.people.types import User
from marketplace_core.prepared import prepared
from marketplace_licenses import keys
from marketplace_licenses.events import activation_recorded
from marketplace_licenses.models import Activation, LicenseKey, LicensePolicy

#: The longest instance name accepted (characters), as the column holds.
MAX_INSTANCE_NAME = 200


# -------------------------------------------------------------------------
# policies
# -------------------------------------------------------------------------


def save_policy(product: Product, *, seller: User, issue_keys: bool,
                activation_limit: int | None, validity_days: int | None) -> LicensePolicy:
    """Set ``product``'s license policy; only its seller may (``Rejected`` otherwise).

    Applies to keys issued from now on; keys already sold keep their limit and expiry.
    """
    if product.seller_id != seller.pk:
        raise Rejected("This is not your product.", code="not_owner")
    policy, _ = LicensePolicy.objects.update_or_create(
        product=product,
        defaults={"issue_keys": issue_keys, "activation_limit": activation_limit,
                  "validity_days": validity_days},
    )
    return policy


# -------------------------------------------------------------------------
# issuing and revoking
# -------------------------------------------------------------------------


def _issuing_policy(product_id: int) -> LicensePolicy | None:
    """The product's policy if it issues keys: a query compiled once per process
    (core's ``prepared``), as every payment asks it."""
    def build(key: int) -> QuerySet[LicensePolicy]:
        return LicensePolicy.objects.filter(product_id=key, issue_keys=True).order_by("pk")[:1]

    query = prepared(("licenses issuing policy", LicensePolicy.objects.all().db), build,
                     LicensePolicy._meta.get_field("product"), 0)
    if query is None:
        return next(iter(build(product_id)), None)
    policy: LicensePolicy | None = query.first(product_id)
    return policy


def issue_key(purchase: PurchasedProduct) -> LicenseKey | None:
    """The key of ``purchase``, issued now if its product issues keys and it has none.

    ``None`` when the product issues no keys (now: a key issued before the seller
    turned keys off stays, and My Products shows it), or the purchase was revoked
    before a key was issued. Idempotent and safe concurrently: the purchase's unique
    key row decides, and a losing concurrent call returns the winner's key.
    """
    # The policy first: on the payment path (this runs from ownership_granted in the
    # webhook's request) a product that issues no keys then costs one query.
    policy = _issuing_policy(purchase.product_id)
    if policy is None:
        return None
    existing = LicenseKey.objects.filter(purchase_id=purchase.pk).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            # The purchase row stays locked until the key is in: a revocation (an
            # UPDATE of that row) waits, and its ownership_revoked then finds the
            # key to disable; one that came first leaves no key issued.
            fresh = (PurchasedProduct.objects.select_for_update()
                     .filter(pk=purchase.pk, revoked_at__isnull=True).first())
            if fresh is None:
                return None
            nonce = keys.new_nonce()
            key_text = keys.derive(fresh.pk, nonce)
            expires_at = (fresh.granted_at + dt.timedelta(days=policy.validity_days)
                          if policy.validity_days else None)
            return LicenseKey.objects.create(
                purchase=fresh, product_id=fresh.product_id, nonce=nonce,
                key_hash=keys.lookup_hash(keys.normalize(key_text) or ""),
                prefix=keys.prefix(key_text), activation_limit=policy.activation_limit,
                expires_at=expires_at,
            )
    except IntegrityError:  # a concurrent call issued it first
        return LicenseKey.objects.get(purchase_id=purchase.pk)


def disable_for_revocation(purchase: PurchasedProduct) -> bool:
    """Disable ``purchase``'s key because the purchase was revoked (a refund).

    Idempotent; ``False`` when there was nothing left to disable. Such a key can
    never be enabled again by the seller.
    """
    updated = (LicenseKey.objects.filter(purchase_id=purchase.pk)
               .exclude(disabled_by=LicenseKey.DisabledBy.REVOCATION)
               .update(disabled_at=timezone.now(),
                       disabled_by=LicenseKey.DisabledBy.REVOCATION))
    return bool(updated)


# -------------------------------------------------------------------------
# the seller
# -------------------------------------------------------------------------


def keys_of_seller(seller: User) -> QuerySet[LicenseKey]:
    """The seller's keys (a queryset): only keys of their own products."""
    return LicenseKey.objects.filter(product__seller_id=seller.pk)


def set_disabled(seller: User, key_id: int, *, disabled: bool) -> LicenseKey:
    """Disable or enable one of ``seller``'s keys.

    ``LicenseKey.DoesNotExist`` for another seller's key (the view's 404);
    ``Rejected`` when enabling a key a refund disabled.
    """
    with transaction.atomic():
        key = keys_of_seller(seller).select_for_update().get(pk=key_id)
        if disabled:
            if key.disabled_at is None:
                key.disabled_at = timezone.now()
                key.disabled_by = LicenseKey.DisabledBy.SELLER
                key.save(update_fields=["disabled_at", "disabled_by"])
        elif key.disabled_by == LicenseKey.DisabledBy.REVOCATION:
            raise Rejected("This key was disabled because its purchase was refunded or "
                           "revoked; it cannot be enabled again.", code="revoked")
        elif key.disabled_at is not None:
            key.disabled_at = None
            key.disabled_by = ""
            key.save(update_fields=["disabled_at", "disabled_by"])
        return key


def free_activation(seller: User, activation_id: int) -> Activation:
    """Remove one activation of one of ``seller``'s keys, freeing a slot.

    ``Activation.DoesNotExist`` for another seller's activation (the view's 404).
    """
    with transaction.atomic():
        activation = Activation.objects.select_related("license_key").get(
            pk=activation_id, license_key__product__seller_id=seller.pk)
        LicenseKey.objects.select_for_update().filter(pk=activation.license_key_id).first()
        activation.delete()
        activation_recorded("deactivated", activation.license_key, activation)
        return activation


# -------------------------------------------------------------------------
# the license API
# -------------------------------------------------------------------------


class LicenseError(Exception):
    """The license API refuses a request: ``status`` and ``message`` go to the client.

    ``license_key`` is set only where telling the client about the key reveals
    nothing it did not know (an expired key, a full key): never for a wrong or
    disabled key, which look the same.
    """

    def __init__(self, status: int, message: str, *, code: str,
                 license_key: LicenseKey | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.license_key = license_key


NOT_FOUND = "license_key not found."


def _not_found() -> LicenseError:
    return LicenseError(404, NOT_FOUND, code="not_found")


@dataclass(frozen=True)
class KeyState:
    """A key as the API reports it, with its usage counted under the same lock."""

    license_key: LicenseKey
    activation_usage: int
    instance: Activation | None = None


def _find(text: str, *, lock: bool) -> LicenseKey:
    """The usable (not disabled) key ``text`` names, else the same 404 for every case."""
    queryset = LicenseKey.objects.select_related("product", "purchase__buyer")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    key = queryset.filter(key_hash=keys.hash_of(text)).first()
    if key is None or not keys.matches(key.key_hash, text):
        raise _not_found()
    if key.disabled_at is not None:  # a disabled key looks like a wrong one
        raise _not_found()
    return key


def activation_usage(key: LicenseKey) -> int:
    return Activation.objects.filter(license_key=key).count()


def _instance(key: LicenseKey, instance_id: str) -> Activation:
    try:
        wanted = uuid.UUID(str(instance_id))
    except ValueError:
        raise LicenseError(404, "instance not found.", code="instance_not_found",
                           license_key=key) from None
    activation = Activation.objects.filter(license_key=key, instance_id=wanted).first()
    if activation is None:
        raise LicenseError(404, "instance not found.", code="instance_not_found",
                           license_key=key)
    return activation


def activate(text: str, instance_name: str) -> KeyState:
    """Activate key ``text`` on a new instance named ``instance_name``.

    Refused (``LicenseError``): no instance name (422), a wrong or disabled key
    (404, the same body), an expired key (400), a key at its activation limit
    (400). The key's row is locked while counting, so concurrent activations
    never pass the limit.
    """
    name = (instance_name or "").strip()
    if not name or len(name) > MAX_INSTANCE_NAME:
        raise LicenseError(422, f"instance_name is required (at most {MAX_INSTANCE_NAME} "
                           "characters).", code="invalid_instance_name")
    with transaction.atomic():
        key = _find(text, lock=True)
        if key.status_at() == LicenseKey.Status.EXPIRED:
            raise LicenseError(400, "This license key has expired.", code="expired",
                               license_key=key)
        used = activation_usage(key)
        if key.activation_limit is not None and used >= key.activation_limit:
            raise LicenseError(400, "This license key has reached its activation limit.",
                               code="limit_reached", license_key=key)
        activation = Activation.objects.create(license_key=key, name=name)
        activation_recorded("activated", key, activation)
        return KeyState(key, used + 1, activation)


def validate(text: str, instance_id: str | None = None) -> KeyState:
    """Whether key ``text`` (and, when given, its instance ``instance_id``) is valid.

    Refused like :func:`activate`; an expired key is 400 with the key's data, an
    unknown instance of a valid key 404.
    """
    key = _find(text, lock=False)
    instance = _instance(key, instance_id) if instance_id else None
    if key.status_at() == LicenseKey.Status.EXPIRED:
        raise LicenseError(400, "This license key has expired.", code="expired",
                           license_key=key)
    return KeyState(key, activation_usage(key), instance)


def deactivate(text: str, instance_id: str) -> KeyState:
    """Remove instance ``instance_id`` of key ``text`` (an expired key too)."""
    if not instance_id:
        raise LicenseError(422, "instance_id is required.", code="invalid_instance_id")
    with transaction.atomic():
        key = _find(text, lock=True)
        instance = _instance(key, instance_id)
        instance.delete()
        activation_recorded("deactivated", key, instance)
        return KeyState(key, activation_usage(key), instance)


def usage_by_key(key_ids: list[int]) -> dict[int, int]:
    """Activations per key, in one query."""
    rows = (Activation.objects.filter(license_key_id__in=key_ids).order_by()
            .values_list("license_key_id").annotate(n=Count("id")))
    return dict(rows)
