from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveyConfig(AppConfig):
    name = "kepu.survey"
    label = "survey"
    verbose_name = _("Literacy survey")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import Role
        from kepu.survey import measures, permissions, seed, tasks  # noqa: F401

        measures.register()

        register_nav(_("Literacy survey"), "survey:home",
                     {Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.RESIDENT},
                     order=60, hint=_("Scientific literacy survey: answer, interview, review, results"))
