from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "marketplace_support"
    label = "support"
    verbose_name = "Support requests"
    default_auto_field = "django.db.models.BigAutoField"
