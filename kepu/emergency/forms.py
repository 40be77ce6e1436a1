"""Inputs of emergency communication: the declaration, the pack, a question, an answer, a fast-track review."""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.emergency.models import Hazard, Level


def place_choices(actor) -> list[tuple[str, str]]:
    """The places an office may declare for: its streets (the city office: its districts) and its own place."""
    from kepu.places.selectors import children_of

    place = actor.place if actor is not None else None
    if place is None or actor.area_path is None:
        return []
    return [(place.code, place.name)] + [(c.code, c.name) for c in children_of(place.code)]


class EventForm(forms.Form):
    """The office's declaration. Nothing is chosen in advance: hazard, level and places are the office's call."""

    hazard = forms.ModelChoiceField(
        label=_("Hazard"),
        queryset=Hazard.objects.filter(active=True),
        empty_label=_("Choose the hazard"),
        error_messages={"required": _("Choose the hazard.")},
    )
    level = forms.ChoiceField(
        label=_("Warning level"),
        choices=Level.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the warning level.")},
    )
    places = forms.MultipleChoiceField(
        label=_("Affected places"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one affected place.")},
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
        error_messages={"required": _("Say when it starts.")},
    )
    expected_end = forms.DateTimeField(
        label=_("Expected end"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
        error_messages={"required": _("Say when it is expected to end.")},
    )
    override_reason = forms.CharField(
        label=_("Reason to send a pack past its review date"),
        required=False,
        max_length=500,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("Only needed when the hazard's pack is past its review date; it is recorded in the audit trail."),
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].choices = place_choices(actor)

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("expected_end")
        if start and start < clock.now() - timedelta(days=2):
            self.add_error("starts_at", _("An event starts at most two days ago."))
        if start and end and end <= start:
            self.add_error("expected_end", _("The expected end must be after the start."))
        if start and end and end - start > timedelta(days=60):
            self.add_error("expected_end", _("An event lasts at most 60 days; declare a new one after."))
        return data


def _ids(value: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", value or "")]


class PackForm(forms.Form):
    hazard = forms.ModelChoiceField(
        label=_("Hazard"),
        queryset=Hazard.objects.filter(active=True),
        empty_label=_("Choose the hazard"),
        error_messages={"required": _("Choose the hazard.")},
    )
    title = forms.CharField(label=_("Title"), max_length=100)
    sms_text = forms.CharField(
        label=_("SMS text"),
        max_length=140,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("What a text message says, in at most 140 characters (70 fit in one message)."),
    )
    items = forms.CharField(
        label=_("Guidance: numbers of published pieces"),
        help_text=_("The numbers of the library's pieces, in the order to read them, separated by commas."),
    )
    poster = forms.IntegerField(label=_("Poster: number of a published poster"), min_value=1)
    elder = forms.IntegerField(label=_("Elder-friendly version: number of a published piece"), min_value=1)

    def clean_items(self):
        ids = list(dict.fromkeys(_ids(self.cleaned_data["items"])))
        if not ids:
            raise forms.ValidationError(_("Give the number of at least one piece."), code="items_missing")
        if len(ids) > 20:
            raise forms.ValidationError(_("A pack holds at most 20 pieces."), code="items_many")
        return ids


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        max_length=300,
        min_length=4,
        widget=forms.Textarea({"rows": 3}),
        error_messages={"required": _("Write your question.")},
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        max_length=2000,
        min_length=4,
        widget=forms.Textarea({"rows": 3}),
        error_messages={"required": _("Write the answer.")},
    )


class FastTrackForm(forms.Form):
    resource = forms.IntegerField(label=_("Number of the submitted piece"), min_value=1)
