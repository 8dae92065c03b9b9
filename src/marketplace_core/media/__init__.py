"""Product images: upload validation, the public media storage, size variants and
their markup (docs/media.md)."""
