from django import forms
from django.utils.translation import gettext_lazy as _

from kepu.survey.models import (
    MAX_AGE,
    MIN_AGE,
    Area,
    Education,
    KeyPopulation,
    QuestionBank,
    ResponseStatus,
    ScoringRuleChoice,
    Sex,
)


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    bank = forms.ModelChoiceField(label=_("Question bank"), queryset=QuestionBank.objects.all())
    rule = forms.ChoiceField(label=_("Scoring rule"), choices=ScoringRuleChoice.choices)
    target_percent = forms.DecimalField(
        label=_("Target literacy rate (%)"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    show_score = forms.BooleanField(label=_("Respondents see their own score after the estimation"), required=False)
    opens_on = forms.DateField(label=_("Opens on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(label=_("Closes on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class CsvForm(forms.Form):
    file = forms.FileField(label=_("CSV file (UTF-8)"), required=False)
    text = forms.CharField(label=_("…or paste the rows"), required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            raw = upload.read()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    data["content"] = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise forms.ValidationError(_("The file is not UTF-8 or GB18030 text."))
        elif data.get("text", "").strip():
            data["content"] = data["text"]
        else:
            raise forms.ValidationError(_("Choose a file or paste the rows."))
        return data


class DemographicsForm(forms.Form):
    community = forms.ChoiceField(label=_("Community/village where you live"))
    respondent_label = forms.CharField(label=_("Respondent (surname or note, optional)"), required=False, max_length=50)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    age = forms.IntegerField(
        label=_("Age"),
        min_value=MIN_AGE,
        max_value=MAX_AGE,
        help_text=_("The survey is for residents aged 18 to 69."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    education = forms.ChoiceField(label=_("Education"), choices=Education.choices, widget=forms.RadioSelect)
    area = forms.ChoiceField(
        label=_("Do you live in a town or a village?"), choices=Area.choices, widget=forms.RadioSelect
    )
    key_population = forms.ChoiceField(
        label=_("Do you belong to one of these groups? (optional)"),
        choices=[("", _("None of these"))] + list(KeyPopulation.choices),
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, communities, interviewer=False, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list] = {}
        for unit in communities:
            street = unit.place.parent
            groups.setdefault(f"{unit.street.stratum.district.name} {street.name}", []).append(
                (unit.place.code, unit.place.name)
            )
        self.fields["community"].choices = [("", _("Choose…"))] + list(groups.items())
        if not interviewer:
            del self.fields["respondent_label"]
        else:
            self.fields["community"].label = _("Respondent's community/village")
            self.fields["area"].label = _("Does the respondent live in a town or a village?")
            self.fields["key_population"].label = _("Does the respondent belong to one of these groups? (optional)")


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (ResponseStatus.APPROVED, _("Approve")),
            (ResponseStatus.ON_HOLD, _("Put on hold")),
            (ResponseStatus.REJECTED, _("Do not approve")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason (required when not approved)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
