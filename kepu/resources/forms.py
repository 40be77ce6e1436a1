"""Input of the resources pages and API: one form per operation, used by both (the API feeds it JSON)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.core.populations import Population
from kepu.resources.models import FileRole, Kind, Licence, ReadingLevel, Topic, review_fields

#: A push is for people in these key populations; "everyone" must be chosen as such, never assumed.
EVERYONE = "all"


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—")] + Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    summary = forms.CharField(
        label=_("Summary (one or two sentences)"), max_length=400, required=False, widget=forms.Textarea({"rows": 2})
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea({"rows": 10}),
        help_text=_(
            "Paragraphs separated by empty lines; headings, lists and links are kept, everything else is removed."
        ),
    )
    transcript = forms.CharField(
        label=_("Transcript (what the video or audio says)"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea({"rows": 4}),
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    populations = forms.MultipleChoiceField(
        label=_("For whom"), choices=Population.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    reading_level = forms.ChoiceField(label=_("Reading level"), choices=[("", "—")] + ReadingLevel.choices)
    review_field = forms.ChoiceField(
        label=_("Field of science (for review)"),
        help_text=_("An expert of the library in this field reviews the science."),
    )
    author = forms.CharField(label=_("Author"), max_length=100)
    licence = forms.ChoiceField(label=_("Licence"), choices=[("", "—")] + Licence.choices)
    duration_minutes = forms.IntegerField(label=_("Length in minutes"), required=False, min_value=1, max_value=1000)
    stock = forms.IntegerField(
        label=_("Number to lend (exhibits and kits)"), required=False, min_value=0, max_value=10_000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review_field"].choices = [("", "—")] + list(review_fields())


class LessonForm(forms.Form):
    title = forms.CharField(label=_("Lesson title"), max_length=120)
    body = forms.CharField(
        label=_("Text of the lesson"), required=False, max_length=50_000, widget=forms.Textarea({"rows": 4})
    )
    duration_minutes = forms.IntegerField(label=_("Length in minutes"), required=False, min_value=1, max_value=600)


class FileForm(forms.Form):
    role = forms.ChoiceField(label=_("What it is"), choices=FileRole.choices)
    upload = forms.FileField(label=_("File"))
    alt = forms.CharField(
        label=_("Description of the image (for screen readers)"),
        max_length=200,
        required=False,
        help_text=_("Needed for covers, posters and images."),
    )
    lesson = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("role") in (FileRole.COVER, FileRole.IMAGE) and not (data.get("alt") or "").strip():
            self.add_error("alt", _("Describe the image in a few words, for people who cannot see it."))
        return data


def push_place_choices(actor) -> list[tuple[str, object]]:
    """The places an office may push to: its own area and the streets (or districts) in it."""
    from kepu.places.selectors import children_of

    place = actor.place
    if place is None or actor.area_path is None:
        return []
    out = [(place.code, place.name)]
    children = list(children_of(place.code))
    out += [(c.code, c.name) for c in children]
    return out


class PushForm(forms.Form):
    populations = forms.MultipleChoiceField(
        label=_("To whom"),
        choices=[(EVERYONE, _("Every resident"))] + Population.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the groups to push to (or every resident).")},
    )
    places = forms.MultipleChoiceField(
        label=_("Where"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one place.")},
    )
    sms = forms.BooleanField(label=_("Also by SMS"), required=False)
    wechat = forms.BooleanField(label=_("Also by WeChat template message"), required=False)
    message = forms.CharField(
        label=_("A line to go with it (optional)"), max_length=200, required=False, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].choices = push_place_choices(actor) if actor is not None else []

    def clean_populations(self):
        values = self.cleaned_data["populations"]
        if EVERYONE in values and len(values) > 1:
            raise forms.ValidationError(_("Choose either every resident or some groups, not both."))
        return values


class LoanRequestForm(forms.Form):
    quantity = forms.IntegerField(label=_("How many"), min_value=1, max_value=1000)
    wanted_from = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    wanted_until = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=_("What for"), max_length=200)

    def clean(self):
        data = super().clean()
        start, end = data.get("wanted_from"), data.get("wanted_until")
        if start and start < clock.now().date():
            self.add_error("wanted_from", _("The loan cannot start in the past."))
        if start and end and end < start:
            self.add_error("wanted_until", _("The end date must not be before the start date."))
        if start and end and end - start > timedelta(days=180):
            self.add_error("wanted_until", _("A loan lasts at most 180 days."))
        return data


class AttachForm(forms.Form):
    resource = forms.IntegerField(widget=forms.HiddenInput)
    label = forms.ChoiceField(label=_("Attach as"))

    def __init__(self, *args, labels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].choices = list(labels)


class SearchForm(forms.Form):
    """The library's search and filters (all optional)."""

    q = forms.CharField(label=_("Search the library"), max_length=100, required=False)
    topic = forms.ChoiceField(label=_("Topic"), choices=[("", _("All topics"))] + Topic.choices, required=False)
    population = forms.ChoiceField(
        label=_("For whom"), choices=[("", _("Everyone"))] + Population.choices, required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds"))] + Kind.choices, required=False)
    district = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kepu.places.selectors import children_of

        self.fields["district"].choices = [("", _("All districts"))] + [(p.code, p.name) for p in children_of(None)]
