from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "kepu.places"
    label = "places"
    verbose_name = _("Places")

    def ready(self):
        from kepu.places import permissions, seed  # noqa: F401 - registers the policy and the seeder
