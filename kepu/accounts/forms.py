from django import forms
from django.utils.translation import gettext_lazy as _

from kepu.core.populations import Population


def key_population_choices():
    """The five key populations, then "none of these" (stored as other), then "not said" (empty)."""
    five = [(p.value, p.label) for p in Population if p != Population.OTHER]
    return five + [(Population.OTHER.value, _("None of these")), ("", _("I'd rather not say"))]


class StaffLoginForm(forms.Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    # Explicit consent (PIPL) before a number is registered: never ticked in advance.
    agree = forms.BooleanField(
        error_messages={"required": _("Please read and agree to the user agreement and the privacy policy first.")}
    )


class CodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput)
    agree = forms.BooleanField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class WelcomeForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    community = forms.CharField(label=_("Your community or village"), widget=forms.HiddenInput)
    key_population = forms.ChoiceField(
        label=_("Do you belong to one of these groups? (optional)"),
        choices=key_population_choices,
        required=False,
        widget=forms.RadioSelect,
    )


class KeyPopulationForm(forms.Form):
    key_population = forms.ChoiceField(
        label=_("Key population"),
        choices=key_population_choices,
        required=False,
        help_text=_(
            "Activities and service orders count who took part by these "
            "groups. Your sign-ups use it unless you choose otherwise."
        ),
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=60)
