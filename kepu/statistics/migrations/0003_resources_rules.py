from django.db import migrations

#: The library's pieces add up: new-media works within all pieces, videos within new-media works, and the
#: new-media works, courses and exhibits (three kinds that do not overlap) within all pieces.
CODES = ("R18", "R19", "R20")


def forwards(apps, schema_editor):
    from kepu.statistics.data import add_rules

    add_rules(CODES, Rule=apps.get_model("statistics", "Rule"), Edition=apps.get_model("statistics", "Edition"))


class Migration(migrations.Migration):
    dependencies = [("statistics", "0002_bases_and_resources_indicators")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
