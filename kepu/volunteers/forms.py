import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.places.choices import PlaceLevel
from kepu.places.selectors import places_at
from kepu.volunteers.models import (
    Audience,
    Availability,
    Education,
    EmergencyField,
    ExpertField,
    InvitationOutcome,
    InvitationTarget,
    NeedKind,
)


def split_words(value: str) -> list[str]:
    return [w for w in re.split(r"[,，、;；\s]+", value or "") if w]


class WordsField(forms.CharField):
    def to_python(self, value):
        return split_words(super().to_python(value))

    def prepare_value(self, value):
        return "、".join(value) if isinstance(value, list) else value


class StreetField(forms.ModelChoiceField):
    """A street or town by its code (the place picker posts codes)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return obj.name


def streets():
    return places_at(PlaceLevel.STREET).order_by("path")


class RegisterForm(forms.Form):
    real_name = forms.CharField(label=_("Real name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        min_length=18,
        help_text=_("18 characters; kept encrypted and shown masked."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to use the number you sign in with."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    street = StreetField(label=_("Home street or town"), queryset=places_at(PlaceLevel.STREET).none(), required=False)
    skills = WordsField(label=_("Skills"), required=False, help_text=_("Separate with commas, e.g. 讲解、摄影、急救"))
    topics = WordsField(label=_("Topics you can speak on"), required=False)
    languages = WordsField(label=_("Languages"), required=False, help_text=_("e.g. 普通话、英语、手语"))
    availability = forms.MultipleChoiceField(
        label=_("When you are free"), choices=Availability.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    education = forms.ChoiceField(label=_("Education"), choices=[("", "—"), *Education.choices], required=False)
    title = forms.CharField(label=_("Professional title"), max_length=50, required=False)
    # Explicit consent (PIPL) to giving the real name and ID number: never ticked in advance.
    agree = forms.BooleanField(
        label=_(
            "I agree that my real name and ID number are kept, as the privacy policy says, for my volunteer record."
        ),
        error_messages={"required": _("Please agree to the use of your real name and ID number first.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets()


class ConfirmIdForm(forms.Form):
    """The person's own ID number, for a profile a team's import made for them (never pre-filled)."""

    id_number = RegisterForm.base_fields["id_number"]
    agree = RegisterForm.base_fields["agree"]


class ProfileForm(forms.Form):
    street = StreetField(label=_("Home street or town"), queryset=places_at(PlaceLevel.STREET).none(), required=False)
    skills = WordsField(label=_("Skills"), required=False, help_text=_("Separate with commas, e.g. 讲解、摄影、急救"))
    topics = WordsField(label=_("Topics you can speak on"), required=False)
    languages = WordsField(label=_("Languages"), required=False, help_text=_("e.g. 普通话、英语、手语"))
    availability = forms.MultipleChoiceField(
        label=_("When you are free"), choices=Availability.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    education = forms.ChoiceField(label=_("Education"), choices=[("", "—"), *Education.choices], required=False)
    title = forms.CharField(label=_("Professional title"), max_length=50, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets()


class NeedForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    kind = forms.ChoiceField(label=_("For"), choices=NeedKind.choices)
    ref_id = forms.IntegerField(label=_("Activity or order number"), required=False, min_value=1)
    place = StreetField(label=_("Street or town"), queryset=places_at(PlaceLevel.STREET).none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    slots = forms.IntegerField(label=_("Volunteers needed"), min_value=1, max_value=1000)
    standby_slots = forms.IntegerField(label=_("Standby places"), min_value=0, max_value=1000, initial=0)
    skills = WordsField(label=_("Skills wanted"), required=False)
    required_training = forms.ModelChoiceField(label=_("Required training"), queryset=None, required=False)
    leader = forms.ModelChoiceField(label=_("Team leader (signs volunteers in and out)"), queryset=None, required=False)

    def __init__(self, *args, trainings, leaders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = streets()
        self.fields["required_training"].queryset = trainings
        self.fields["leader"].queryset = leaders
        self.fields["leader"].label_from_instance = lambda u: u.get_display_name()


class ReportForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    served_on = forms.DateField(label=_("Day of service"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label=_("Hours"), min_value=0.1, max_value=24, decimal_places=1)
    description = forms.CharField(label=_("What you did"), max_length=200)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["served_on"].initial = timezone.localdate()


class CorrectionForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes to add (negative to take back)"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ExpertSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, affiliation or topic"), required=False)
    field = forms.ChoiceField(label=_("Field"), choices=[("", _("All fields")), *ExpertField.choices], required=False)
    district = forms.ModelChoiceField(
        label=_("District"), queryset=None, required=False, empty_label=_("All districts")
    )
    audience = forms.ChoiceField(
        label=_("Audience"), choices=[("", _("All audiences")), *Audience.choices], required=False
    )
    available = forms.BooleanField(label=_("Available now"), required=False)
    emergency = forms.BooleanField(label=_("Emergency team only"), required=False)
    emergency_field = forms.ChoiceField(
        label=_("Emergency field"), choices=[("", _("Any")), *EmergencyField.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = places_at(PlaceLevel.DISTRICT)


class ExpertForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=50)
    field = forms.ChoiceField(label=_("Field"), choices=ExpertField.choices)
    subfield = forms.CharField(label=_("Sub-field"), max_length=40, required=False)
    title = forms.CharField(label=_("Professional title"), max_length=50, required=False)
    affiliation = forms.CharField(label=_("Affiliation"), max_length=100, required=False)
    district = forms.ModelChoiceField(label=_("District"), queryset=None)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    topics = WordsField(label=_("Topics"), required=False)
    audiences = forms.MultipleChoiceField(
        label=_("Audiences"), choices=Audience.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    term_start = forms.DateField(label=_("Term starts"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    term_end = forms.DateField(label=_("Term ends"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    is_emergency = forms.BooleanField(label=_("Member of the emergency team"), required=False)
    emergency_fields = forms.MultipleChoiceField(
        label=_("Emergency fields"), choices=EmergencyField.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = places_at(PlaceLevel.DISTRICT)


class InviteForm(forms.Form):
    target = forms.ChoiceField(label=_("Invite to"), choices=InvitationTarget.choices)
    target_id = forms.IntegerField(label=_("Order or activity number"), min_value=1)
    message = forms.CharField(label=_("Message"), max_length=200, required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[c for c in InvitationOutcome.choices if c[0] != InvitationOutcome.INVITED]
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class TrainingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    hours = forms.DecimalField(label=_("Training hours"), min_value=0, max_value=999, decimal_places=1)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    location = forms.CharField(label=_("Location"), max_length=100, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx) from the template"))
