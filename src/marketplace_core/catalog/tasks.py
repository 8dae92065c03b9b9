"""Background work of the catalog: removing product files that were replaced."""

from __future__ import annotations

import logging

from celery import shared_task

from marketplace_core.catalog.models import Product, ProductFileVersion
from marketplace_core.storage.backends import product_storage

logger = logging.getLogger("marketplace_core.catalog")

DELETE_FILE_TASK = "marketplace_core.catalog.delete_product_file"


@shared_task(name=DELETE_FILE_TASK, acks_late=True)
def delete_product_file(name: str) -> bool:
    """Delete stored product file ``name`` unless a product or a file version still uses it.

    Idempotent: a file already gone is not an error (workers die and brokers
    redeliver). Returns whether a delete was sent to the storage.
    """
    if (not name or Product.objects.filter(file=name).exists()
            or ProductFileVersion.objects.filter(file=name).exists()):
        return False
    product_storage().delete(name)
    logger.info("Deleted replaced product file %s", name)
    return True
