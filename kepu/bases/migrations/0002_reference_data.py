from django.db import migrations

from kepu.bases.standards import NATIONAL_TYPES, RUBRICS, create_rubric


def forwards(apps, schema_editor):
    NationalType = apps.get_model("bases", "NationalType")
    Rubric = apps.get_model("bases", "Rubric")
    Threshold = apps.get_model("bases", "Threshold")
    RubricItem = apps.get_model("bases", "RubricItem")
    for slug, name, order in NATIONAL_TYPES:
        NationalType.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
    for year in (2025, 2026, 2027):
        for level in RUBRICS:
            if not Rubric.objects.filter(level=level, year=year).exists():
                create_rubric(Rubric, Threshold, RubricItem, level, year)


class Migration(migrations.Migration):
    dependencies = [("bases", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
