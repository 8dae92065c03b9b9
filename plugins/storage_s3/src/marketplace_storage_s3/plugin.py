"""Plugin metadata: import-safe, read by ``settings.py`` before Django starts."""

from marketplace_core import PluginInfo
from marketplace_storage_s3 import __version__

plugin = PluginInfo(
    name="storage_s3",
    verbose_name="S3 storage",
    version=__version__,
    compatibility="marketplace-core>=0.1,<0.2",
    app="marketplace_storage_s3.apps.StorageS3Config",
    hooks="marketplace_storage_s3.hooks",
    description=(
        "Private product files on S3 (or any S3-compatible store) with presigned downloads."
    ),
)
