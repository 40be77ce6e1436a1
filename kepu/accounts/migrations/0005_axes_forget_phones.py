"""django-axes kept the phone numbers of failed and successful sign-ins in clear (its username column).

Its tables only hold lockout state and a sign-in log that the audit trail already covers, so they are
emptied once; from now on axes stores a phone's blind index (kepu.accounts.lockout) and keeps no log.
"""

from django.db import migrations


def forget(apps, schema_editor):
    for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
        try:
            model = apps.get_model("axes", name)
        except LookupError:
            continue
        model.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_invitations"), ("axes", "0010_accessattemptexpiration")]
    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
