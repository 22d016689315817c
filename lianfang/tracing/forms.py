import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import LEVEL_ORDER, Level, OrgUnit
from lianfang.core.scoping import scoped
from lianfang.quarantine.models import OrderKind

from .models import Case, Classification, ContactKind, Setting

DATE = {"type": "date"}
DATETIME = {"type": "datetime-local"}
REPORTING_LEVELS = LEVEL_ORDER[:LEVEL_ORDER.index(Level.GRID) + 1]


class CaseForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), required=False,
                                help_text=_("A resident of your area is found by the number; anyone else is recorded as typed."))
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    org = forms.ChoiceField(label=_("Reported by"), help_text=_("For a case not living in your area."))
    classification = forms.ChoiceField(label=_("Classification"), choices=[
        (c, label) for c, label in Classification.choices if c != Classification.EXCLUDED])
    onset_date = forms.DateField(label=_("Onset date"), required=False, widget=forms.DateInput(attrs=DATE))
    confirmed_on = forms.DateField(label=_("Confirmed on"), required=False, widget=forms.DateInput(attrs=DATE))
    hospital = forms.CharField(label=_("Hospital / where treated"), max_length=100, required=False)
    cluster = forms.CharField(label=_("Cluster"), max_length=100, required=False,
                              help_text=_("The cluster the case belongs to, e.g. the market where it started."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actor, **kw):
        super().__init__(*args, **kw)
        nodes = scoped(OrgUnit.objects.filter(level__in=REPORTING_LEVELS), actor).order_by("path")
        self.fields["org"].choices = [(n.code, f"{'　' * (n.depth - actor.jurisdiction.depth)}{n.name}") for n in nodes]
        self.fields["org"].initial = actor.jurisdiction.code


class CaseEditForm(forms.Form):
    onset_date = forms.DateField(label=_("Onset date"), required=False, widget=forms.DateInput(attrs=DATE))
    confirmed_on = forms.DateField(label=_("Confirmed on"), required=False, widget=forms.DateInput(attrs=DATE))
    hospital = forms.CharField(label=_("Hospital / where treated"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Case.Status.choices)
    cluster = forms.CharField(label=_("Cluster"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ClassifyForm(forms.Form):
    classification = forms.ChoiceField(label=_("New classification"), choices=Classification.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    confirmed_on = forms.DateField(label=_("Confirmed on"), required=False, widget=forms.DateInput(attrs=DATE))


class TrajectoryForm(forms.Form):
    place = forms.CharField(label=_("Place"), max_length=200)
    started_at = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(attrs=DATETIME))
    ended_at = forms.DateTimeField(label=_("To"), widget=forms.DateTimeInput(attrs=DATETIME))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ContactForm(forms.Form):
    uid = forms.UUIDField(widget=forms.HiddenInput, required=False)
    id_number = forms.CharField(label=_("ID number"), required=False,
                                help_text=_("A resident of your area is put under quarantine at once."))
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    setting = forms.ChoiceField(label=_("Setting"), choices=Setting.choices)
    last_exposure_on = forms.DateField(label=_("Last exposure"), required=False, widget=forms.DateInput(attrs=DATE))
    order_kind = forms.ChoiceField(label=_("Quarantine"), required=False, choices=[
        ("", _("By kind (close: home quarantine; secondary: observation)")),
        (OrderKind.HOME_QUARANTINE, OrderKind.HOME_QUARANTINE.label), (OrderKind.HOME_OBSERVATION, OrderKind.HOME_OBSERVATION.label)])
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        # Made when the form is shown: a double tap or a resend is the same contact.
        self.fields["uid"].initial = uuid.uuid4()


class HandOverForm(forms.Form):
    to = forms.CharField(label=_("Handed over to"), max_length=100)
    note = forms.CharField(label=_("Note"), required=False)


class ToCaseForm(forms.Form):
    classification = forms.ChoiceField(label=_("Classification"), choices=[
        (c, label) for c, label in Classification.choices if c != Classification.EXCLUDED])
    onset_date = forms.DateField(label=_("Onset date"), required=False, widget=forms.DateInput(attrs=DATE))
