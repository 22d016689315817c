from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditAction, Duty


class ResponsiblePersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    duty = forms.ChoiceField(label=_("Duty"), choices=Duty.choices)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    title = forms.CharField(label=_("Title/post"), max_length=100, required=False)


class OrgUnitForm(forms.Form):
    name = forms.CharField(label=_("Unit name"), max_length=100)
    level = forms.ChoiceField(label=_("Level"), choices=())
    code = forms.CharField(label=_("Code"), max_length=32, required=False, help_text=_("Leave empty to number it automatically."))


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=[("", _("All"))] + AuditAction.choices, required=False)
    user = forms.CharField(label=_("User"), required=False)
    q = forms.CharField(label=_("Record or page"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("e.g. the program that will use it"))
