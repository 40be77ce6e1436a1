from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BasesConfig(AppConfig):
    name = "kepu.bases"
    label = "bases"
    verbose_name = _("Science bases")

    def ready(self):
        from kepu.bases import measures, permissions, seed, tasks  # noqa: F401 - policies, seeder, periodic task
        from kepu.bases.permissions import HOST_ROLES
        from kepu.core.nav import register_nav
        from kepu.core.roles import Role

        measures.register()
        from kepu.bases import leader_figures

        leader_figures.register()
        _attachable()
        register_nav(_("Science bases"), "bases:list", set(Role), order=36, hint=_("Find a base and book a visit"))
        register_nav(
            _("Our science base"), "bases:manage", HOST_ROLES, order=37, hint=_("Certification, annual review")
        )
        register_nav(
            _("Base certification"),
            "bases:manage",
            {Role.DISTRICT_ADMIN, Role.CITY_ADMIN},
            order=37,
            hint=_("Applications, experts, notices"),
        )
        register_nav(_("Bases to review"), "bases:manage", {Role.EXPERT}, order=37, hint=_("Score by the rubric"))
        register_nav(
            _("Annual reviews of bases"),
            "bases:reviews",
            {Role.DISTRICT_ADMIN, Role.CITY_ADMIN},
            order=38,
            hint=_("Self-reports, scores, spot checks"),
        )


def _attachable() -> None:
    """Pieces of the science library (展品介绍, 讲座课件) attach to a base its host runs; its public page shows them."""
    from django.urls import reverse

    from kepu.resources.services import attachment_target_register

    def check(actor, pk: int) -> str:
        from kepu.bases.selectors import base_to_run

        return base_to_run(actor=actor, pk=pk).name

    attachment_target_register("base", _("Science base"), check, lambda pk: reverse("bases:detail", args=[pk]))
