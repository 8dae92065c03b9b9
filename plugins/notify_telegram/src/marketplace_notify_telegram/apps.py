from django.apps import AppConfig


class NotifyTelegramConfig(AppConfig):
    name = "marketplace_notify_telegram"
    label = "notify_telegram"
    verbose_name = "Telegram notifications"
    default_auto_field = "django.db.models.BigAutoField"
