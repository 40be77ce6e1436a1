"""The kinds of organization: the vocabulary other apps use to speak of organizations."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    CITY_OFFICE = "city_office", _("City office (市科协)")
    DISTRICT_OFFICE = "district_office", _("District office (区科协 / joint-meeting office)")
    MEMBER_UNIT = "member_unit", _("Member unit (成员单位)")
    STREET_OFFICE = "street_office", _("Street/town office")
    COMMUNITY = "community", _("Community/village committee")
    PRACTICE_CENTER = "practice_center", _("Civilization-practice center")
    PRACTICE_STATION = "practice_station", _("Civilization-practice station")
    VOLUNTEER_ORG = "volunteer_org", _("Volunteer organization")
    SCIENCE_BASE = "science_base", _("Science base (科普基地)")
    SCHOOL = "school", _("School")
    ENTERPRISE = "enterprise", _("Enterprise")
