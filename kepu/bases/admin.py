"""The admin sees bases through the same policy as the pages; rubrics and national types are reference data
the city office keeps here."""

from django.contrib import admin

from kepu.bases.models import Base, NationalType, Rubric, RubricItem, Threshold
from kepu.bases.permissions import BaseAction
from kepu.core.admin import PolicyAdmin, ReferenceAdmin


@admin.register(Base)
class BaseAdmin(PolicyAdmin):
    view_action = BaseAction.VIEW
    change_action = BaseAction.CHANGE

    list_display = ("name", "organization", "category", "level", "standing", "term_end")
    list_filter = ("standing", "level", "category")
    search_fields = ("name",)


class CityOnly(ReferenceAdmin):
    """Reference data: the city office may change it (the rubric of a year before it is used)."""

    keep_action = BaseAction.KEEP_STANDARDS
    keep_model = Base

    def has_delete_permission(self, request, obj=None):
        return False


class ThresholdInline(admin.TabularInline):
    model = Threshold
    extra = 0


class ItemInline(admin.TabularInline):
    model = RubricItem
    extra = 0


@admin.register(Rubric)
class RubricAdmin(CityOnly):
    list_display = ("name", "level", "year", "pass_line")
    inlines = [ThresholdInline, ItemInline]

    def get_inline_instances(self, request, obj=None):
        return [inline(self.model, self.admin_site) for inline in self.inlines] if self.keeps(request) else []


@admin.register(NationalType)
class NationalTypeAdmin(CityOnly):
    list_display = ("name", "slug", "order")
