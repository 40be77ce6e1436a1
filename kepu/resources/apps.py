from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "kepu.resources"
    label = "resources"
    verbose_name = _("Science resources")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import AREA_ROLES, OFFICE_ROLES, STAFF_ROLES, Role
        from kepu.resources import attachments, measures, permissions, search, seed, tasks  # noqa: F401

        attachments.register_builtin()
        measures.register()
        from kepu.resources import leader_figures

        leader_figures.register()
        register_nav(_("Science library"), "resources:library", set(Role), order=40, hint=_("Read, watch, listen"))
        register_nav(_("For you"), "resources:feed", {Role.RESIDENT}, order=41, hint=_("Pieces picked for you"))
        register_nav(
            _("Our resources"),
            "resources:manage",
            STAFF_ROLES | {Role.EXPERT},
            order=42,
            hint=_("Write, review, publish"),
        )
        register_nav(_("Pushes"), "resources:pushes", AREA_ROLES, order=43, hint=_("Who was reached"))
        register_nav(
            _("Resource figures"), "resources:figures", OFFICE_ROLES, order=44, hint=_("Published, reach, reads")
        )
