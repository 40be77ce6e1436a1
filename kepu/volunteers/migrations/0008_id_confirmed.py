from django.db import migrations, models


def confirmed_by_consent(apps, schema_editor):
    """A volunteer who gave the ID-number consent registered themselves: their number is theirs. The others were
    entered by a team's import and stay unconfirmed until the person confirms, or the number's holder takes it back."""
    from django.db.models import OuterRef, Subquery

    Volunteer = apps.get_model("volunteers", "Volunteer")
    Consent = apps.get_model("accounts", "Consent")
    consents = Consent.objects.filter(kind="volunteer_id")
    first = consents.filter(user_id=OuterRef("user_id")).order_by("given_at").values("given_at")[:1]
    Volunteer.objects.filter(id_confirmed_at__isnull=True, user_id__in=consents.values("user_id")).update(
        id_confirmed_at=Subquery(first)
    )

class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("volunteers", "0007_import_interrupted"),
    ]

    operations = [
        migrations.AddField(
            model_name="volunteer",
            name="id_confirmed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="ID number confirmed at"),
        ),
        migrations.RunPython(confirmed_by_consent, migrations.RunPython.noop),
    ]
