"""Deleting stored product files in the background, once links to them can have expired."""

from __future__ import annotations

import logging

from marketplace_core.storage.backends import download_link_ttl

logger = logging.getLogger("marketplace_core.catalog")


def schedule_file_deletion(name: str, *, countdown: int | None = None) -> None:
    """Ask a worker to delete stored file ``name`` after ``countdown`` seconds.

    The default countdown is the download link lifetime. Broker errors are
    logged, never raised: the product change they follow has committed.
    """
    from marketplace_core.catalog.tasks import delete_product_file

    delay = download_link_ttl() if countdown is None else countdown
    try:
        delete_product_file.apply_async(args=[name], countdown=delay)
    except Exception:
        logger.exception("Could not schedule the deletion of stored file %r", name)
