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
        from kepu.survey import leader_figures

        leader_figures.register()

        register_nav(
            _("Literacy survey"),
            "survey:home",
            {Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.RESIDENT},
            order=60,
            hint=_("Scientific literacy survey: answer, interview, review, results"),
        )

        from kepu.core.home import register_card, register_todos
        from kepu.survey import selectors
        from kepu.survey.workflow import REVIEWER_ROLES

        register_todos(selectors.worker_todos, REVIEWER_ROLES)
        register_card(
            _("Science literacy questionnaire"),
            "survey:home",
            icon="science",
            audience={Role.RESIDENT},
            hint=_("Answer a few questions when your community is in the survey"),
            order=70,
        )
