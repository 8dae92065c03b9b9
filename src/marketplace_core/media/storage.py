"""The public storage product images live on, apart from the private product files.

``MARKETPLACE["MEDIA_STORAGE"]`` names a ``STORAGES`` alias (``"marketplace_media"``
by default); without that alias, images go to the ``default`` storage (local files
under ``MEDIA_ROOT`` in the example site). Whatever is stored there must be readable
by anyone with its URL: only product images are.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages

from marketplace_core.conf import conf
from marketplace_core.storage.backends import DelegatingStorage

#: The folders of the two kinds of product image, and of sellers' avatars.
COVERS = "covers"
GALLERY = "gallery"
AVATARS = "avatars"


def media_storage_alias() -> str:
    """The ``STORAGES`` alias images are stored with: ``MEDIA_STORAGE`` when
    ``STORAGES`` defines it, else ``"default"``."""
    alias = conf.MEDIA_STORAGE
    return alias if alias in getattr(settings, "STORAGES", {}) else "default"


class MediaStorage(DelegatingStorage):
    """The storage of :func:`media_storage_alias`, looked up at each call (Django's
    ``storages`` keeps one instance per alias and forgets them when ``STORAGES``
    changes)."""

    def _target(self) -> Storage:
        return storages[media_storage_alias()]


_media_storage = MediaStorage()


def media_storage() -> MediaStorage:
    """Callable used as the image fields' storage (kept by reference in migrations)."""
    return _media_storage


def new_image_name(folder: str, extension: str) -> str:
    """A fresh, unguessable name for an image: ``<folder>/<uuid4 hex>.<extension>``."""
    return f"{folder}/{uuid.uuid4().hex}.{extension}"
