from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.activities.models import ActivityKind, Theme, Topic, Venue
from kepu.activities.selectors import place_pick, place_pick_for, usable_venues
from kepu.core.populations import Population
from kepu.places.selectors import place_by_code


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if value and hasattr(value, "strftime"):
            return (
                timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
                if timezone.is_aware(value)
                else value.strftime("%Y-%m-%dT%H:%M")
            )
        return value


class Where:
    VENUE = "venue"
    PLACE = "place"
    ONLINE = "online"


class ActivityForm(forms.Form):
    """Create an activity (with its sessions) or edit one (``edit=True``: sessions are managed on their own).

    Where it happens is one of three: a venue of the district, a place of the tree picked step
    by step (district → street → community) with an address, or online.
    """

    title = forms.CharField(label=_("Title"), max_length=120)
    summary = forms.CharField(label=_("Summary (shown in lists and when shared)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("Simple formatting (paragraphs, bold, lists, links) is kept."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    populations = forms.MultipleChoiceField(
        label=_("Target populations"), choices=Population.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.filter(is_active=True), required=False, empty_label=_("No theme")
    )
    where = forms.ChoiceField(
        label=_("Where does it take place?"),
        widget=forms.RadioSelect,
        initial=Where.PLACE,
        choices=[(Where.VENUE, _("At a venue")), (Where.PLACE, _("At an address")), (Where.ONLINE, _("Online"))],
    )
    venue = forms.ModelChoiceField(
        label=_("The venue"), queryset=Venue.objects.none(), required=False, empty_label=_("Choose…")
    )
    # The place picker's three steps are drawn by the picker fragment, not by the generic field loop.
    district = forms.CharField(required=False, widget=forms.HiddenInput)
    street = forms.CharField(required=False, widget=forms.HiddenInput)
    community = forms.CharField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address (building, room)"), max_length=200, required=False)
    online_url = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    starts_at = forms.DateTimeField(label=_("First session starts"), widget=DateTimeInput)
    duration_minutes = forms.IntegerField(
        label=_("Length of a session (minutes)"), min_value=15, max_value=24 * 60, initial=90
    )
    repeat_weeks = forms.IntegerField(label=_("Number of weekly sessions"), min_value=1, max_value=52, initial=1)
    capacity = forms.IntegerField(label=_("Places per session"), min_value=1, max_value=100000, initial=50)
    registration_opens_at = forms.DateTimeField(
        label=_("Sign-up opens (empty: as soon as it is published)"), required=False, widget=DateTimeInput
    )
    registration_closes_at = forms.DateTimeField(
        label=_("Sign-up closes (empty: when the session starts)"), required=False, widget=DateTimeInput
    )
    needs_approval = forms.BooleanField(label=_("Sign-ups need approval"), required=False)
    is_public = forms.BooleanField(label=_("Show in the public calendar"), required=False, initial=True)
    offer_hours = forms.IntegerField(label=_("Hours to accept a freed place"), min_value=1, max_value=168, initial=24)
    image = forms.FileField(label=_("Image for sharing (JPG or PNG)"), required=False)

    WHAT = ("title", "summary", "description", "kind", "topics", "populations", "theme", "image")
    WHEN = ("starts_at", "duration_minutes", "repeat_weeks", "capacity")
    SIGN_UP = ("registration_opens_at", "registration_closes_at", "needs_approval", "is_public", "offer_hours")

    def __init__(self, *args, organization, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.edit = edit
        self.fields["venue"].queryset = usable_venues(organization)
        if not self.fields["venue"].queryset.exists():
            self.fields["where"].choices = [c for c in self.fields["where"].choices if c[0] != Where.VENUE]
        if edit:
            for name in self.WHEN:
                del self.fields[name]

    @classmethod
    def initial_for(cls, activity) -> dict:
        """The form's values for editing ``activity``."""
        if activity.venue_id:
            where = Where.VENUE
        elif activity.is_online:
            where = Where.ONLINE
        else:
            where = Where.PLACE
        pick = place_pick_for(activity.organization, activity.place)
        return {
            "title": activity.title,
            "summary": activity.summary,
            "description": activity.description,
            "kind": activity.kind,
            "topics": activity.topic_list,
            "populations": activity.population_list,
            "theme": activity.theme_id,
            "where": where,
            "venue": activity.venue_id,
            "district": pick.district,
            "street": pick.street,
            "community": pick.community,
            "address": "" if activity.venue_id else activity.address,
            "online_url": activity.online_url,
            "registration_opens_at": activity.registration_opens_at,
            "registration_closes_at": activity.registration_closes_at,
            "needs_approval": activity.needs_approval,
            "is_public": activity.is_public,
            "offer_hours": activity.offer_hours,
        }

    def _group(self, names):
        return [self[n] for n in names if n in self.fields]

    def what_fields(self):
        return self._group(self.WHAT)

    def when_fields(self):
        return self._group(self.WHEN)

    def sign_up_fields(self):
        return self._group(self.SIGN_UP)

    def picker(self):
        """The place picker's choices for the values posted (or preset)."""

        def value(name):
            return (self.data.get(name) if self.is_bound else self.initial.get(name)) or ""

        return place_pick(
            self.organization, district=value("district"), street=value("street"), community=value("community")
        )

    def clean(self):
        data = super().clean()
        where = data.get("where")
        if where == Where.VENUE:
            venue = data.get("venue")
            if venue is None:
                self.add_error("venue", _("Choose the venue."))
            else:
                data.update(place=venue.place, address=venue.address, online_url="")
        elif where == Where.PLACE:
            pick = place_pick(
                self.organization,
                district=data.get("district", ""),
                street=data.get("street", ""),
                community=data.get("community", ""),
            )
            code = pick.community or pick.street or pick.district
            if not code:
                self.add_error("address", _("Choose the district, then the street and the community."))
            elif not data.get("address"):
                self.add_error("address", _("Give the address (building, room) so that people find it."))
            else:
                data.update(place=place_by_code(code), venue=None, online_url="")
        elif where == Where.ONLINE:
            if not data.get("online_url"):
                self.add_error("online_url", _("Give the online link."))
            data.update(place=self.organization.place, venue=None, address="")
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes_at", _("Sign-up must close after it opens."))
        if opens and data.get("starts_at") and opens >= data["starts_at"]:
            self.add_error("registration_opens_at", _("Sign-up must open before the first session starts."))
        return data

    def sessions(self):
        d = self.cleaned_data
        length = timedelta(minutes=d["duration_minutes"])
        return [
            (d["starts_at"] + timedelta(weeks=i), d["starts_at"] + timedelta(weeks=i) + length, d["capacity"])
            for i in range(d["repeat_weeks"])
        ]

    def activity_fields(self):
        d = self.cleaned_data
        keys = (
            "summary",
            "description",
            "kind",
            "topics",
            "populations",
            "theme",
            "place",
            "venue",
            "address",
            "online_url",
            "registration_opens_at",
            "registration_closes_at",
            "needs_approval",
            "is_public",
            "offer_hours",
        )
        out = {k: d[k] for k in keys}
        if self.edit:
            out["title"] = d["title"]
        if d.get("image"):
            out["image"] = d["image"]
        return out


class SignUpForm(forms.Form):
    population = forms.ChoiceField(label=_("I am"), choices=[("", _("Choose…")), *Population.choices])


class OnBehalfForm(forms.Form):
    session = forms.IntegerField(widget=forms.HiddenInput, required=False)
    phone = forms.CharField(
        label=_("Their mobile phone, if they have an account (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("The ticket then reaches them, and their key population is taken from their profile."),
    )
    name = forms.CharField(label=_("Name of the person or group"), max_length=60, required=False)
    head_count = forms.IntegerField(label=_("Head count"), min_value=1, max_value=10000, initial=1)
    population = forms.ChoiceField(
        label=_("Population"),
        required=False,
        choices=[("", _("From their profile (else other)"))] + list(Population.choices),
    )

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not (data.get("name") or "").strip():
            self.add_error("name", _("Enter the name of the person or group."))
        return data

    note = forms.CharField(label=_("Note (class, phone of the contact …)"), max_length=200, required=False)


class WalkInForm(forms.Form):
    head_count = forms.IntegerField(label=_("Walk-ins"), min_value=1, max_value=10000)
    # Counted: chosen at the door, never pre-filled.
    population = forms.ChoiceField(label=_("Population"), choices=[("", _("Choose…"))] + list(Population.choices))


class LateEntryForm(forms.Form):
    """补登: someone the door missed, counted afterwards with the reason."""

    registration = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why is this a late entry?"),
        max_length=300,
        min_length=2,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the scanner failed at the door")}),
    )


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("Very satisfied")),
            (4, _("Satisfied")),
            (3, _("Neutral")),
            (2, _("Dissatisfied")),
            (1, _("Very dissatisfied")),
        ],
    )
    comment = forms.CharField(
        label=_("Anything to tell the organizer?"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    photo = forms.FileField(label=_("Add a photo"), required=False)
    caption = forms.CharField(label=_("Caption"), max_length=120, required=False)


class VenueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hours = forms.CharField(
        label=_("Opening hours"),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="2 09:00-12:00 13:30-16:30\n3 09:00-12:00 13:30-16:30",
        help_text=_("One line per weekday: the weekday (1 = Monday … 7 = Sunday), then the opening periods."),
    )
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
