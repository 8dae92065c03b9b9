from django.db import migrations


def create_state(apps, schema_editor):
    # The flush locks and advances this one row; creating it here (not lazily)
    # means two first flushes never race to insert it.
    ClickFlushState = apps.get_model("shorturl", "ClickFlushState")
    ClickFlushState.objects.get_or_create(name="clicks")


class Migration(migrations.Migration):
    dependencies = [("shorturl", "0001_initial")]

    operations = [migrations.RunPython(create_state, migrations.RunPython.noop)]
