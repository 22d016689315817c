"""Forms of the district office's reporting pages: templates with their fields and checks, the
units, duty rosters and the brief. They parse; the rules live in services.py."""

import re

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core import clock
from lianfang.core.figures import SOURCES
from lianfang.core.models import PATH_SEGMENT, User
from lianfang.core.roles import CAPABILITIES, Capability

from .models import DutyRole, FieldKind, ReportingUnit, RuleOp, UnitKind, WebhookKind

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TemplateForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("template", "Name"), max_length=100, help_text=_("e.g. 疫情防控工作日报"))
    unit_kinds = forms.MultipleChoiceField(label=_("Who reports"), choices=UnitKind.choices, widget=forms.CheckboxSelectMultiple)
    deadline = forms.TimeField(label=_("Deadline"), widget=TIME, initial="10:00")
    deadline_next_day = forms.BooleanField(label=_("The deadline is the next morning"), required=False,
                                           help_text=_("Tick when the day's report is due the following day at that time."))
    remind_before = forms.IntegerField(label=_("Remind minutes before the deadline"), min_value=0, max_value=1440, initial=60,
                                       help_text=_("0: no reminder before."))
    remind_after = forms.IntegerField(label=_("Remind again minutes after the deadline"), min_value=0, max_value=1440, initial=30)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


def _source_choices() -> list[tuple[str, str]]:
    return [("", _("— typed in by the unit —"))] + sorted(((name, str(s.label)) for name, s in SOURCES.items()), key=lambda c: c[1])


class FieldRowForm(forms.Form):
    """One field of a template. Nothing is required here: a row left blank is ignored, and the
    service says what a filled-in row lacks, at that row."""

    section = forms.CharField(label=_("Section"), max_length=100, required=False)
    key = forms.CharField(label=_("Key"), max_length=50, required=False, help_text=_("letters, digits and _"),
                          widget=forms.TextInput(attrs={"autocapitalize": "off", "spellcheck": "false"}))
    label = forms.CharField(label=_("Label"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=FieldKind.choices, initial=FieldKind.INTEGER, required=False)
    choices = forms.CharField(label=_("Options (for a choice)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}), help_text=_("One a line, or separated by 、"))
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    source = forms.ChoiceField(label=_("Pre-filled from"), required=False)
    DELETE = forms.BooleanField(label=_("Remove"), required=False)

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.fields["source"].choices = _source_choices()

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return data.get("DELETE") or not any((data.get(k) or "").strip() for k in ("section", "key", "label", "choices"))

    def as_service(self) -> dict:
        data = self.cleaned_data
        return {"section": data["section"], "key": data["key"], "label": data["label"], "kind": data["kind"] or FieldKind.INTEGER,
                "choices": split_choices(data["choices"]), "required": data["required"], "source": data["source"]}


def split_choices(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"[\n、,，;；]+", text or "") if c.strip()]


class RuleRowForm(forms.Form):
    left = forms.CharField(label=_("Field (key)"), max_length=50, required=False)
    op = forms.ChoiceField(label=_("must be"), choices=RuleOp.choices, initial=RuleOp.LE, required=False)
    right = forms.CharField(label=_("than field (key)"), max_length=50, required=False)
    message = forms.CharField(label=_("Message when broken"), max_length=200, required=False)
    DELETE = forms.BooleanField(label=_("Remove"), required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return data.get("DELETE") or not any((data.get(k) or "").strip() for k in ("left", "right", "message"))

    def as_service(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("left", "op", "right", "message")}


FieldFormSet = forms.formset_factory(FieldRowForm, extra=0)
RuleFormSet = forms.formset_factory(RuleRowForm, extra=0)
BLANK_ROWS = 2


def template_initial(template) -> tuple[dict, list[dict], list[dict]]:
    fields = [{"section": f.section, "key": f.key, "label": f.label, "kind": f.kind, "choices": "\n".join(f.choices),
               "required": f.required, "source": f.source} for f in template.fields.all()]
    rules = [{"left": r.left, "op": r.op, "right": r.right, "message": r.message} for r in template.rules.all()]
    return ({"name": template.name, "unit_kinds": template.unit_kinds, "deadline": template.deadline,
             "deadline_next_day": template.deadline_next_day, "remind_before": template.remind_before,
             "remind_after": template.remind_after, "is_active": template.is_active}, fields, rules)


def as_typed(form) -> dict:
    """What was typed into a bound form, as initial values of an unbound one: the "add a row"
    buttons re-show the page one row longer (no JavaScript, so any phone does it) with
    everything kept and no errors for what is not finished yet."""
    return {name: form[name].value() for name in form.fields}


MAX_ROWS = 200


# --- units ----------------------------------------------------------------------------------

REPORTER_ROLES = [role for role, caps in CAPABILITIES.items() if Capability.SUBMIT_REPORTS in caps]


def people_of(*, unit: ReportingUnit, actor):
    """Accounts that may answer or report for `unit`: those of its part of the tree, and of the
    nodes above it that the actor manages (a street's officer for one of its communities). A
    department sits at the district's node: the district's own accounts."""
    path = unit.org_path
    if unit.org_id is None:
        mine = Q(jurisdiction__path=path)
    else:
        mine = Q(jurisdiction__path__startswith=path)
    top = actor.jurisdiction.path if actor.jurisdiction else path
    above = [path[:i] for i in range(PATH_SEGMENT, len(path), PATH_SEGMENT) if path[:i].startswith(top)]
    current = Q(pk__in=[unit.head_id] if unit.head_id else []) | Q(pk__in=unit.reporters.values("pk"))
    return (User.objects.filter(mine | Q(jurisdiction__path__in=above), is_active=True) | User.objects.filter(current)) \
        .select_related("jurisdiction").distinct().order_by("jurisdiction__path", "username")


class UnitForm(forms.Form):
    head_name = forms.CharField(label=_("Responsible person"), max_length=50, required=False)
    head_phone = forms.CharField(label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    duty_phone = forms.CharField(label=_("24-hour duty phone"), max_length=20, required=False,
                                 widget=forms.TextInput(attrs={"inputmode": "tel"}))
    head = forms.ChoiceField(label=_("Head (signs the reports off)"), required=False)
    reporters = forms.MultipleChoiceField(label=_("Reporters"), required=False, widget=forms.CheckboxSelectMultiple,
                                          help_text=_("Accounts of this unit that fill in its daily reports."))
    webhook_kind = forms.ChoiceField(label=_("Reminder robot"), required=False,
                                     choices=[("", _("— none —"))] + WebhookKind.choices)
    webhook_url = forms.CharField(label=_("Robot webhook address"), max_length=500, required=False,
                                  widget=forms.TextInput(attrs={"inputmode": "url", "autocapitalize": "off"}),
                                  help_text=_("The group robot's address (https://qyapi.weixin.qq.com/… or https://oapi.dingtalk.com/…)."))
    is_active = forms.BooleanField(label=_("Reports every day"), required=False)

    def __init__(self, *args, unit: ReportingUnit, actor, **kw):
        super().__init__(*args, **kw)
        people = list(people_of(unit=unit, actor=actor))
        self.people = {str(u.pk): u for u in people}
        label = lambda u: f"{u} · {u.get_role_display()} · {u.jurisdiction.name if u.jurisdiction else ''}"  # noqa: E731
        self.fields["head"].choices = [("", _("— none —"))] + [(pk, label(u)) for pk, u in self.people.items()]
        self.fields["reporters"].choices = [(pk, label(u)) for pk, u in self.people.items()
                                            if u.role in REPORTER_ROLES or u.pk in {r.pk for r in unit.reporters.all()}]

    def as_service(self) -> dict:
        data = self.cleaned_data
        return {"head_name": data["head_name"], "head_phone": data["head_phone"], "duty_phone": data["duty_phone"],
                "head": self.people.get(data["head"] or ""), "reporters": [self.people[pk] for pk in data["reporters"]],
                "webhook_kind": data["webhook_kind"], "webhook_url": data["webhook_url"], "is_active": data["is_active"]}


def unit_initial(unit: ReportingUnit) -> dict:
    return {"head_name": unit.head_name, "head_phone": unit.head_phone, "duty_phone": unit.duty_phone,
            "head": str(unit.head_id or ""), "reporters": [str(u.pk) for u in unit.reporters.all()],
            "webhook_kind": unit.webhook_kind, "webhook_url": unit.webhook_url, "is_active": unit.is_active}


# --- duty rosters ---------------------------------------------------------------------------

class DutyRowForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=DutyRole.choices, initial=DutyRole.OFFICER, required=False)
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))

    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("name") or "").strip() and not (self.cleaned_data.get("phone") or "").strip()


DutyFormSet = forms.formset_factory(DutyRowForm, extra=0)


# --- the brief ------------------------------------------------------------------------------

class BriefForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DATE)
    templates = forms.MultipleChoiceField(label=_("Reports to include"), widget=forms.CheckboxSelectMultiple, required=False,
                                          help_text=_("None ticked: every template in use."))
    title = forms.CharField(label=_("Title"), max_length=100, required=False,
                            help_text=_("Empty: “Epidemic prevention and control daily brief”."))
    office = forms.CharField(label=pgettext_lazy("brief", "Issued by"), max_length=100, required=False,
                             help_text=_("Empty: the district's epidemic prevention and control command office."))
    send_to = forms.CharField(label=_("Sent to (本期送)"), max_length=500, required=False, help_text=_("e.g. 区县处级领导"))
    copy_to = forms.CharField(label=_("Distributed to (发)"), max_length=500, required=False,
                              help_text=_("e.g. 各街道办事处、区直各单位负责同志"))
    editors = forms.CharField(label=_("Editors"), max_length=200, required=False)
    again = forms.BooleanField(label=_("Issue another brief of this day"), required=False,
                               help_text=_("Only when the day's brief is issued already: its number stays in the archive."))
    highlights = forms.CharField(label=_("Highlights"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6}),
                                 help_text=_("Free text of the day's work, printed after the figures; a paragraph a line."))

    def __init__(self, *args, templates, **kw):
        super().__init__(*args, **kw)
        self.template_objects = {str(t.uid): t for t in templates}
        self.fields["templates"].choices = [(uid, t.name) for uid, t in self.template_objects.items()]
        self.fields["day"].initial = clock.today()
        self.fields["templates"].initial = [uid for uid, t in self.template_objects.items() if t.is_active]

    def templates_chosen(self) -> list | None:
        chosen = [self.template_objects[uid] for uid in self.cleaned_data["templates"]]
        return chosen or None
