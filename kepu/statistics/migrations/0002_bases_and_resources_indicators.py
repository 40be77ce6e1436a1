from django.db import migrations

#: Bases' open days and visitors, and the pieces published in the science library, pre-filled from the platform.
CODES = ("V14", "V15", "M10", "M11", "M12", "M13", "M14")


def forwards(apps, schema_editor):
    from kepu.statistics.data import add_indicators

    add_indicators(
        CODES,
        Indicator=apps.get_model("statistics", "Indicator"),
        Table=apps.get_model("statistics", "Table"),
        Edition=apps.get_model("statistics", "Edition"),
    )


class Migration(migrations.Migration):
    dependencies = [("statistics", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
