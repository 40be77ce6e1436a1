from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.core.populations import Population
from kepu.orders.models import ServiceKind, Topic


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")  # what <input type=date> expects


class OrderForm(forms.Form):
    """A resident's order (or staff ordering for one). Who it is for is chosen, never taken from the first option;
    a newcomer also gives their name, and the community they pick becomes theirs."""

    your_name = forms.CharField(label=_("Your name"), max_length=50)
    title = forms.CharField(
        label=_("What do you want?"),
        max_length=100,
        help_text=_("For example: a talk on preventing falls for older people"),
    )
    kind = forms.ChoiceField(label=_("Kind of service"), choices=[("", _("Choose…")), *ServiceKind.choices])
    topic = forms.ChoiceField(label=_("Topic"), choices=[("", _("Choose…")), *Topic.choices])
    population = forms.ChoiceField(
        label=_("Who is it for?"),
        choices=[("", _("Choose…")), *Population.choices],
        error_messages={"required": _("Choose who the service is for.")},
    )
    expected_audience = forms.IntegerField(label=_("About how many people?"), min_value=1, max_value=10000, initial=20)
    place = forms.CharField(
        label=_("Community"), max_length=20, error_messages={"required": _("Choose the community.")}
    )
    address = forms.CharField(
        label=_("Street address"),
        max_length=200,
        required=False,
        help_text=_("Building, room or square where it should take place"),
    )
    preferred_from = forms.DateField(label=_("Earliest date"), widget=DateInput)
    preferred_to = forms.DateField(label=_("Latest date"), widget=DateInput)
    description = forms.CharField(
        label=_("Anything else we should know?"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact_name = forms.CharField(label=_("Resident's name"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Resident's mobile phone"), max_length=20, required=False)
    service_item = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, places=(), on_behalf=False, newcomer=False, place_check=None, prefilled=False, **kwargs):
        super().__init__(*args, **kwargs)
        if places:  # staff choose among the places of their area
            self.fields["place"] = forms.ChoiceField(label=_("Community"), choices=places)
        self.place_check = place_check
        if not newcomer:
            del self.fields["your_name"]
        if prefilled:
            self.fields["population"].help_text = _(
                "Filled in from your profile. Change it if the service is for others."
            )
        if not on_behalf:
            del self.fields["contact_name"]
            del self.fields["contact_phone"]
        else:
            self.fields["contact_name"].required = True
            self.fields["contact_phone"].required = True
        today = timezone.localdate()
        self.fields["preferred_from"].initial = today + timezone.timedelta(days=3)
        self.fields["preferred_to"].initial = today + timezone.timedelta(days=30)

    def clean_place(self):
        code = self.cleaned_data["place"]
        if self.place_check is not None:
            place = self.place_check(code)
            if place is None:
                raise forms.ValidationError(_("Choose the community from the list."))
            self.cleaned_data["place_obj"] = place
        return code


class MenuItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind of service"), choices=ServiceKind.choices)
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    populations = forms.MultipleChoiceField(
        label=_("Suited to"), choices=Population.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput)
    name = forms.CharField(label=_("Name of the day"), max_length=40)
    is_workday = forms.BooleanField(label=_("Make-up working day (a weekend day worked)"), required=False)
