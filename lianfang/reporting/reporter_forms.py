"""Forms of the reporters' pages. They parse what was typed; the rules (required fields, types,
checks between fields, who may report) live in services.py, so the API and the page agree."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FieldKind
from .selectors import ReportForm

YES, NO = "yes", "no"


def _widget(field, disabled: bool):
    attrs = {"disabled": True} if disabled else {}
    if field.required and field.kind != FieldKind.YES_NO:
        attrs["required"] = True
    if field.kind == FieldKind.INTEGER:
        return forms.NumberInput(attrs={**attrs, "inputmode": "numeric", "min": 0, "step": 1})
    if field.kind == FieldKind.DECIMAL:
        return forms.NumberInput(attrs={**attrs, "inputmode": "decimal", "step": "any"})
    if field.kind == FieldKind.TEXT:
        return forms.Textarea(attrs={**attrs, "rows": 2, "maxlength": 2000})
    if field.kind == FieldKind.YES_NO:
        return forms.RadioSelect(attrs=attrs)
    return forms.Select(attrs=attrs)


def _initial(field, value):
    if value is None:
        return None
    if field.kind == FieldKind.YES_NO:
        return YES if value is True else NO if value is False else value
    return value


class ReportValuesForm(forms.Form):
    """One form field per template field, named by its key. Every field is optional here: the
    service says which are required, in the words of the template's labels."""

    def __init__(self, *args, report_form: ReportForm, disabled: bool = False, **kw):
        kw.setdefault("initial", {f.field.key: _initial(f.field, f.value) for f in report_form.fields})
        super().__init__(*args, **kw)
        self.report_form = report_form
        for f in report_form.fields:
            field = f.field
            if field.kind == FieldKind.CHOICE:
                form_field = forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in field.choices], required=False)
            elif field.kind == FieldKind.YES_NO:
                form_field = forms.ChoiceField(choices=[(YES, _("Yes")), (NO, _("No"))], required=False)
            else:
                form_field = forms.CharField(required=False, max_length=2000)
            form_field.label = field.label
            form_field.widget = _widget(field, disabled)
            form_field.widget.choices = getattr(form_field, "choices", [])
            self.fields[field.key] = form_field

    def sections(self) -> list[tuple[str, list]]:
        """[(section, [(bound field, FormField)])] in the template's order."""
        return [(name, [(self[f.field.key], f) for f in fields]) for name, fields in self.report_form.sections]

    def values(self) -> dict:
        """{key: what was typed} ("" for nothing), as the service takes it."""
        return {key: self.cleaned_data.get(key) or "" for key in self.fields}


class SubmitMetaForm(forms.Form):
    """What goes with a submission besides the values: the id minted when the page was shown
    (a retry after a lost answer is stored once), and the reason of a correction."""

    uid = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("What was wrong (for the correction)"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("The earlier values are kept with this reason."))

    def __init__(self, *args, **kw):
        kw.setdefault("initial", {"uid": uuid.uuid4()})
        kw.setdefault("prefix", "r")
        kw.setdefault("auto_id", False)    # the id goes into two forms of the page (zero report, values)
        super().__init__(*args, **kw)
