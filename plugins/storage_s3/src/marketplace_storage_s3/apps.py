from django.apps import AppConfig


class StorageS3Config(AppConfig):
    name = "marketplace_storage_s3"
    label = "storage_s3"
    verbose_name = "S3 storage"
    default_auto_field = "django.db.models.BigAutoField"
