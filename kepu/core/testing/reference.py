"""Reference data for tests that come after a flush."""

from importlib import import_module

from django.apps import apps


def restore_reference_data():
    """Reference data the migrations and post_migrate load (the theme-day calendar, the bases' national types and
    rubrics, the emergency hazards, the statistics' bundled indicator dictionary), put back when a flush emptied it.
    A transactional test's flush empties it, and with the
    suite spread over workers a test that relies on it may come after such a flush on the same worker. Apps are
    named, not imported: core depends on no app."""
    if not apps.get_model("activities", "Theme").objects.exists():
        import_module("kepu.activities.migrations.0002_theme_calendar").load(apps, None)
    if not apps.get_model("bases", "NationalType").objects.exists():
        import_module("kepu.bases.migrations.0002_reference_data").forwards(apps, None)
    if not apps.get_model("emergency", "Hazard").objects.exists():
        import_module("kepu.emergency.migrations.0002_hazards").load(apps, None)
    if not apps.get_model("statistics", "Indicator").objects.exists():
        data = import_module("kepu.statistics.data")
        apps.get_model("statistics", "Edition").objects.all().delete()
        data.load_bundled(data.BUNDLED)
