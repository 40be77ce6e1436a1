from django.db import migrations


def load(apps, schema_editor):
    from kepu.activities.themes import THEMES

    Theme = apps.get_model("activities", "Theme")
    for row in THEMES:
        Theme.objects.get_or_create(slug=row["slug"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
