from django import forms
from django.utils.translation import gettext_lazy as _

from kepu.plans.models import Comparator, NodeKind


class UploadForm(forms.Form):
    document = forms.FileField(
        label=_("Plan document (.docx or .txt)"), help_text=_("The work plan as published: Word (.docx) or plain text.")
    )


class PublishForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    end_year = forms.IntegerField(
        label=_("Last year (for a plan over several years)"),
        required=False,
        min_value=2000,
        max_value=2110,
        help_text=_("Leave empty for a plan of one year."),
    )


class NodeAddForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to add"), choices=NodeKind.choices, initial=NodeKind.TASK)
    parent = forms.TypedChoiceField(label=_("Under"), required=False, coerce=int, empty_value=None)
    marker = forms.CharField(
        label=_("Number"), max_length=20, required=False, help_text=_("As the document numbers it, e.g. （三） or 4.")
    )
    title = forms.CharField(label=_("Title"), max_length=500)
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lead_unit = forms.TypedChoiceField(label=_("Lead unit"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, sections=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("— top level —"))] + [
            (s.pk, f"{s.marker}{s.title}"[:80]) for s in sections
        ]
        self.fields["lead_unit"].choices = [("", _("— none —"))] + [(o.pk, o.name) for o in units]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    text = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 4}))
    percent = forms.DecimalField(label=_("Progress (%)"), required=False, min_value=0, max_value=100, decimal_places=1)
    target = forms.TypedChoiceField(label=_("Target"), required=False, coerce=int, empty_value=None)
    value = forms.DecimalField(label=_("Value reached so far"), required=False, min_value=0)
    files = MultipleFileField(
        label=_("Evidence (photos, documents)"),
        required=False,
        help_text=_("PDF, pictures, Word or Excel files, up to 20 MB each."),
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", _("— none —"))] + [(t.pk, str(t)) for t in targets]


class TaskEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=500, required=False)
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lead_unit = forms.TypedChoiceField(label=_("Lead unit"), required=False, coerce=int, empty_value=None)
    co_units = forms.TypedMultipleChoiceField(
        label=_("Co-units"), required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    weight = forms.DecimalField(label=_("Weight"), required=False, min_value=0)
    budget = forms.DecimalField(label=_("Budget (10k yuan)"), required=False, min_value=0)
    spent = forms.DecimalField(label=_("Spent (10k yuan)"), required=False, min_value=0)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(o.pk, o.name) for o in units]
        self.fields["lead_unit"].choices = [("", _("— none —")), *choices]
        self.fields["co_units"].choices = choices


class TargetForm(forms.Form):
    label = forms.CharField(label=_("What is measured"), max_length=200)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0)
    unit_of_measure = forms.CharField(label=_("Unit of measure"), max_length=20)
    comparator = forms.ChoiceField(label=_("Qualifier"), choices=Comparator.choices)


class WeightsForm(forms.Form):
    targets = forms.IntegerField(label=_("Targets met"), min_value=0, max_value=100)
    on_time = forms.IntegerField(label=_("Reports on time"), min_value=0, max_value=100)
    quality = forms.IntegerField(label=_("Quality marks"), min_value=0, max_value=100)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen it"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
