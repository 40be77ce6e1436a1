from django import forms
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone number"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))


class CodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(label=_("Code from the SMS"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


class WelcomeForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    community = forms.CharField(label=_("Your community or village"), widget=forms.HiddenInput)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=60)
