"""The hazards an office prepares for, as data (more can be added in the admin)."""

from django.db import migrations

#: code, name, English name, the emergency team's field that is called
HAZARDS = [
    ("rainstorm", "暴雨洪涝", "Rainstorm and flood", "disasters"),
    ("heat", "高温", "Heat wave", "disasters"),
    ("cold_wave", "寒潮", "Cold wave", "disasters"),
    ("gale", "大风", "Gale", "disasters"),
    ("sandstorm", "沙尘", "Sand and dust", "environment"),
    ("air_pollution", "空气重污染", "Heavy air pollution", "environment"),
    ("earthquake", "地震", "Earthquake", "disasters"),
    ("epidemic", "传染病", "Infectious disease", "public_health"),
    ("food_safety", "食品安全", "Food safety", "public_health"),
    ("fire", "火灾", "Fire", "safety"),
    ("gas", "燃气", "Gas leak", "safety"),
]


def load(apps, schema_editor):
    Hazard = apps.get_model("emergency", "Hazard")
    for n, (code, name, name_en, field) in enumerate(HAZARDS):
        Hazard.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "expert_field": field, "position": n * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("emergency", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
