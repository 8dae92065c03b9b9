from django.apps import AppConfig


class ShorturlConfig(AppConfig):
    name = "marketplace_shorturl"
    label = "shorturl"
    verbose_name = "Short URLs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the cache-invalidation receivers; no database access.
        from marketplace_shorturl import signals  # noqa: F401
