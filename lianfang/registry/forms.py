from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RelationToHead, ResidenceType, Sex


class HouseholdForm(forms.Form):
    grid = forms.CharField(label=_("Grid"), max_length=32)
    place = forms.CharField(label=_("Compound / building / unit"), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=200)
    room = forms.CharField(label=_("Room"), max_length=30, required=False)
    phone = forms.CharField(label=_("Household phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    allow_same_room = forms.BooleanField(label=_("Register another household at this address anyway"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"), max_length=40, required=False,
        help_text=_("18 characters; old 15-digit numbers are upgraded. Leave empty only for people without one."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    relation_to_head = forms.ChoiceField(label=_("Relation to head"), choices=RelationToHead.choices)
    residence_type = forms.ChoiceField(label=_("Residence type"), choices=ResidenceType.choices)
    sex = forms.ChoiceField(label=_("Sex (if there is no ID number)"), choices=[("", "—")] + Sex.choices, required=False)
    # An ISO value whatever the language: <input type=date> accepts nothing else.
    birth_date = forms.DateField(label=_("Birth date (if there is no ID number)"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
