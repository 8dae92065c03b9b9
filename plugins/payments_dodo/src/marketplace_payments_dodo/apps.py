from django.apps import AppConfig


class PaymentsDodoConfig(AppConfig):
    name = "marketplace_payments_dodo"
    label = "payments_dodo"
    verbose_name = "Dodo Payments"
    default_auto_field = "django.db.models.BigAutoField"
