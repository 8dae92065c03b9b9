from django.apps import AppConfig


class LicensesConfig(AppConfig):
    name = "marketplace_licenses"
    label = "licenses"
    verbose_name = "License keys"
    default_auto_field = "django.db.models.BigAutoField"
