from django.apps import AppConfig


class AnalyticsGA4Config(AppConfig):
    name = "marketplace_analytics_ga4"
    label = "analytics_ga4"
    verbose_name = "Google Analytics 4"
    default_auto_field = "django.db.models.BigAutoField"
