"""Seller status and the verified address move off core's ``User`` into rows
keyed by ``settings.AUTH_USER_MODEL`` (``Account``, ``SellerProfile``), so that
every user model has one source of truth for them.

With core's ``User`` as the user model its data is copied first (verified users
get an ``Account`` holding their address, sellers a ``SellerProfile``); with
another user model core's ``User`` is swapped out (no table), so there is
nothing to copy and the ``RemoveField`` operations are skipped by Django.
Reversible: going back copies the rows into the two columns again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, OuterRef

BATCH = 1000


def _people(apps, schema_editor):
    """Core's historical User manager and the managers of the two new models, or
    ``None`` when another user model replaces core's User (nothing to copy)."""
    user_model = apps.get_model("marketplace_core", "User")
    if user_model._meta.swapped:
        return None
    db = schema_editor.connection.alias
    return (user_model.objects.using(db),
            apps.get_model("marketplace_core", "Account").objects.using(db),
            apps.get_model("marketplace_core", "SellerProfile").objects.using(db))


def copy_to_people(apps, schema_editor):
    models_ = _people(apps, schema_editor)
    if models_ is None:
        return
    users, accounts, sellers = models_
    verified = users.filter(email_verified=True).order_by("pk").values_list("pk", "email")
    accounts.bulk_create(
        (accounts.model(user_id=pk, verified_email=email)
         for pk, email in verified.iterator(chunk_size=BATCH)), batch_size=BATCH)
    selling = users.filter(role="seller").order_by("pk").values_list("pk", flat=True)
    sellers.bulk_create(
        (sellers.model(user_id=pk) for pk in selling.iterator(chunk_size=BATCH)),
        batch_size=BATCH)


def copy_back(apps, schema_editor):
    models_ = _people(apps, schema_editor)
    if models_ is None:
        return
    users, accounts, sellers = models_
    users.filter(Exists(accounts.filter(
        user_id=OuterRef("pk"), verified_email__iexact=OuterRef("email")))
    ).update(email_verified=True)
    users.filter(Exists(sellers.filter(user_id=OuterRef("pk"), active=True))
                 ).update(role="seller")


class Migration(migrations.Migration):

    dependencies = [
        ('marketplace_core', '0004_maintenance_state'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Account',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='marketplace_account', serialize=False, to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ('verified_email', models.EmailField(blank=True, max_length=254, verbose_name='verified email address')),
                ('display_name', models.CharField(blank=True, help_text='Used when the user model has no name field of its own.', max_length=150, verbose_name='name in the shop')),
            ],
            options={
                'verbose_name': 'marketplace account',
                'verbose_name_plural': 'marketplace accounts',
            },
        ),
        migrations.CreateModel(
            name='SellerProfile',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='marketplace_seller', serialize=False, to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ('active', models.BooleanField(default=True, help_text='Off: the seller panel answers 403; products and sales stay.', verbose_name='may sell')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='seller since')),
            ],
            options={
                'verbose_name': 'seller',
                'verbose_name_plural': 'sellers',
            },
        ),
        migrations.RunPython(copy_to_people, copy_back),
        migrations.RemoveField(
            model_name='user',
            name='email_verified',
        ),
        migrations.RemoveField(
            model_name='user',
            name='role',
        ),
    ]
