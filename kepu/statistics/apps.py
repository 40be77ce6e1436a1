from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "kepu.statistics"
    label = "statistics"
    verbose_name = _("Statistics")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.statistics import permissions, seed  # noqa: F401 - policy, seeder
        from kepu.statistics.permissions import STATISTICS_ROLES

        register_nav(
            _("Statistics"),
            "statistics:home",
            STATISTICS_ROLES,
            order=45,
            hint=_("The annual science-popularization statistics: fill, check, approve"),
        )
        post_migrate.connect(load_bundled_edition, sender=self)


def load_bundled_edition(sender, using="default", **kwargs):
    """A fresh database gets the dictionary that ships with the app (later editions are loaded as files)."""
    from kepu.statistics.models import Edition

    try:
        if Edition.objects.using(using).exists():
            return
    except Exception:  # noqa: BLE001 - the table is not there (migrating backwards, a partial migrate)
        return
    from kepu.statistics.data import BUNDLED, load_bundled

    load_bundled(BUNDLED)
