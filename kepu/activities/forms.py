from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.activities.models import ActivityKind, Theme, Topic
from kepu.core.populations import Population


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if value and hasattr(value, "strftime"):
            return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if timezone.is_aware(value) else \
                value.strftime("%Y-%m-%dT%H:%M")
        return value


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    summary = forms.CharField(label=_("Summary (shown in lists and when shared)"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
                                  help_text=_("Simple formatting (paragraphs, bold, lists, links) is kept."))
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=Topic.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    populations = forms.MultipleChoiceField(label=_("Target populations"), choices=Population.choices,
                                            required=False, widget=forms.CheckboxSelectMultiple)
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.filter(is_active=True), required=False,
                                   empty_label=_("No theme"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    online_url = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    starts_at = forms.DateTimeField(label=_("First session starts"), widget=DateTimeInput)
    duration_minutes = forms.IntegerField(label=_("Length of a session (minutes)"), min_value=15, max_value=24 * 60,
                                          initial=90)
    repeat_weeks = forms.IntegerField(label=_("Number of weekly sessions"), min_value=1, max_value=52, initial=1)
    capacity = forms.IntegerField(label=_("Places per session"), min_value=1, max_value=100000, initial=50)
    registration_closes_at = forms.DateTimeField(label=_("Sign-up closes (empty: when the session starts)"),
                                                 required=False, widget=DateTimeInput)
    needs_approval = forms.BooleanField(label=_("Sign-ups need approval"), required=False)
    is_public = forms.BooleanField(label=_("Show in the public calendar"), required=False, initial=True)
    offer_hours = forms.IntegerField(label=_("Hours to accept a freed place"), min_value=1, max_value=168,
                                     initial=24)
    image = forms.FileField(label=_("Image for sharing (JPG or PNG)"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("address") and not data.get("online_url"):
            raise forms.ValidationError(_("Give an address or an online link."))
        return data

    def sessions(self):
        d = self.cleaned_data
        length = timedelta(minutes=d["duration_minutes"])
        return [(d["starts_at"] + timedelta(weeks=i), d["starts_at"] + timedelta(weeks=i) + length, d["capacity"])
                for i in range(d["repeat_weeks"])]

    def activity_fields(self):
        d = self.cleaned_data
        keys = ("summary", "description", "kind", "topics", "populations", "theme", "address", "online_url",
                "registration_closes_at", "needs_approval", "is_public", "offer_hours")
        out = {k: d[k] for k in keys}
        if d.get("image"):
            out["image"] = d["image"]
        return out


class SignUpForm(forms.Form):
    population = forms.ChoiceField(label=_("I am"), choices=Population.choices, initial=Population.OTHER)


class OnBehalfForm(forms.Form):
    session = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name of the person or group"), max_length=60)
    head_count = forms.IntegerField(label=_("Head count"), min_value=1, max_value=10000, initial=1)
    population = forms.ChoiceField(label=_("Population"), choices=Population.choices)
    note = forms.CharField(label=_("Note (class, phone of the contact …)"), max_length=200, required=False)


class WalkInForm(forms.Form):
    head_count = forms.IntegerField(label=_("Walk-ins"), min_value=1, max_value=10000, initial=1)
    population = forms.ChoiceField(label=_("Population"), choices=Population.choices, initial=Population.OTHER)


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(label=_("How satisfied are you?"), coerce=int, widget=forms.RadioSelect,
                                   choices=[(5, _("Very satisfied")), (4, _("Satisfied")), (3, _("Neutral")),
                                            (2, _("Dissatisfied")), (1, _("Very dissatisfied"))])
    comment = forms.CharField(label=_("Anything to tell the organizer?"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ReportForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    photo = forms.FileField(label=_("Add a photo"), required=False)
    caption = forms.CharField(label=_("Caption"), max_length=120, required=False)


class VenueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hours = forms.CharField(
        label=_("Opening hours"), widget=forms.Textarea(attrs={"rows": 4}),
        initial="2 09:00-12:00 13:30-16:30\n3 09:00-12:00 13:30-16:30",
        help_text=_("One line per weekday: the weekday (1 = Monday … 7 = Sunday), then the opening periods."))
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=15, max_value=480, initial=60)
    slot_capacity = forms.IntegerField(label=_("Visitors per slot"), min_value=1, max_value=10000, initial=30)

    def clean_hours(self):
        hours = {}
        for line in self.cleaned_data["hours"].splitlines():
            parts = line.split()
            if not parts:
                continue
            try:
                day = int(parts[0])
                if not 1 <= day <= 7:
                    raise ValueError
                periods = [p.split("-") for p in parts[1:]]
                if not periods or any(len(p) != 2 for p in periods):
                    raise ValueError
            except ValueError:
                raise forms.ValidationError(_("Write each line like: 2 09:00-12:00 13:30-16:30")) from None
            hours[str(day - 1)] = periods
        if not hours:
            raise forms.ValidationError(_("Give at least one opening day."))
        return hours


class SlotsForm(forms.Form):
    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
