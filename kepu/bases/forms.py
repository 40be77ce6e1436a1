"""Forms of the bases pages that are not workflow steps (those are in ``workflow.py``)."""

from __future__ import annotations

from datetime import time

from django import forms
from django.utils.translation import gettext_lazy as _

from kepu.bases.models import Base, Category, MaterialKind, NationalType, StudentPolicy, Theme
from kepu.core.populations import Population

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


class BaseForm(forms.ModelForm):
    """The profile of a base; figures are left empty until the base gives them."""

    themes = forms.MultipleChoiceField(
        label=_("Themes"), choices=Theme.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    populations = forms.MultipleChoiceField(
        label=_("Populations served"), choices=Population.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    place_code = forms.ChoiceField(label=_("Street or community"))
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Base
        fields = [
            "name",
            "category",
            "national_type",
            "address",
            "latitude",
            "longitude",
            "exhibition_area",
            "open_days_per_year",
            "hours_note",
            "student_policy",
            "student_days_per_year",
            "student_note",
            "staff_full_time",
            "staff_part_time",
            "guides",
            "summary",
            "description",
            "phone",
            "website",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *Category.choices]
        self.fields["student_policy"].choices = [("", "—"), *StudentPolicy.choices]
        self.fields["national_type"].queryset = NationalType.objects.all()
        self.fields["place_code"].choices = [("", "—"), *places]
        if self.instance.pk:
            self.initial.setdefault("themes", self.instance.theme_list)
            self.initial.setdefault("populations", self.instance.population_list)
            self.initial.setdefault("place_code", self.instance.place.code)
        self.fields["latitude"].help_text = _("Degrees north, e.g. 39.7263 (for the map).")
        self.fields["longitude"].help_text = _("Degrees east, e.g. 116.3416.")


def _period(text: str) -> list[str]:
    start, _sep, end = text.partition("-")
    s, e = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    if e <= s:
        raise ValueError
    return [s.strftime("%H:%M"), e.strftime("%H:%M")]


class HoursForm(forms.Form):
    """Weekly opening hours, one field a weekday ("09:00-12:00 13:30-16:30"; empty: closed), and the slots cut
    from them in the activities engine."""

    slot_minutes = forms.IntegerField(label=_("Visit slot length (minutes)"), min_value=15, max_value=480)
    slot_capacity = forms.IntegerField(label=_("Visitors per slot"), min_value=1, max_value=10000)

    def __init__(self, *args, hours: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for i, name in enumerate(WEEKDAYS):
            self.fields[f"day{i}"] = forms.CharField(
                label=name, required=False, max_length=60, help_text=_("e.g. 09:00-12:00 13:30-16:30; empty: closed")
            )
            if hours and not self.is_bound:
                self.initial[f"day{i}"] = " ".join(f"{a}-{b}" for a, b in hours.get(str(i), []))
        self.order_fields([f"day{i}" for i in range(7)] + ["slot_minutes", "slot_capacity"])

    def clean(self):
        data = super().clean()
        hours = {}
        for i in range(7):
            text = (data.get(f"day{i}") or "").strip()
            if not text:
                continue
            try:
                hours[str(i)] = [_period(p) for p in text.replace(",", " ").replace("，", " ").split()]
            except ValueError:
                self.add_error(f"day{i}", _("Write the periods like 09:00-12:00 13:30-16:30."))
        if not hours and not self.errors:
            raise forms.ValidationError(_("Give at least one opening day."))
        data["hours"] = hours
        return data


class PhotoForm(forms.Form):
    caption = forms.CharField(label=_("Caption"), max_length=120, required=False)


class ApplicationForm(forms.Form):
    statement = forms.CharField(
        label=_("Statement of the application"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the base offers the public, its exhibits and programmes, how it opens to students."),
    )
    visitors_declared = forms.IntegerField(
        label=_("Visitors in the last twelve months"), min_value=0, max_value=100_000_000
    )


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file is"), choices=[("", "—"), *MaterialKind.choices])
    file = forms.FileField(label=_("File (PDF or image)"))


class ObjectionForm(forms.Form):
    text = forms.CharField(label=_("Your objection"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    name = forms.CharField(
        label=_("Raised by (when the office records an objection received by letter or phone)"),
        max_length=60,
        required=False,
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    upheld = forms.TypedChoiceField(
        label=_("Is the objection upheld?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )


class RecuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Your conflict of interest"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConflictForm(forms.Form):
    expert_id = forms.IntegerField(label=_("Expert number"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class StartReviewsForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


class SpotDrawForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    count = forms.IntegerField(label=_("How many to draw"), min_value=1, max_value=10000)
