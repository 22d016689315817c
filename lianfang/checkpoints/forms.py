"""Forms of the checkpoint management pages. They parse; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.models import Level, OrgUnit, User
from lianfang.core.scoping import scoped

from . import selectors
from .models import DEFAULT_SHIFT_STARTS, CheckpointKind, Equipment, StaffKind

# A gate closes a community or village, a compound or a building.
GATE_LEVELS = [Level.COMMUNITY, Level.COMPOUND, Level.BUILDING]
# Pass cards are issued and printed per community, compound or building (and grid, how some
# communities split their households).
CARD_LEVELS = [Level.COMMUNITY, Level.GRID, Level.COMPOUND, Level.BUILDING]


def unit_choices(actor, levels) -> list[tuple[str, str]]:
    """Units of the actor's tree at `levels`, indented by depth so the tree reads in a select."""
    nodes = scoped(OrgUnit.objects.filter(level__in=levels), actor).order_by("path")
    depth = actor.jurisdiction.depth if actor.jurisdiction else 0
    return [(n.code, f"{'　' * max(n.depth - depth, 0)}{n.name}") for n in nodes]


class CheckpointForm(forms.Form):
    org = forms.ChoiceField(label=_("Closes (unit)"), help_text=_("The community, village, compound or building this gate closes."))
    name = forms.CharField(label=pgettext_lazy("checkpoint", "Name"), max_length=100, help_text=_("e.g. 东门, 北门"))
    kind = forms.ChoiceField(label=_("Type"), choices=CheckpointKind.choices)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    opens_at = forms.TimeField(label=_("Opens"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                               help_text=_("Leave both times empty for a gate open 24 hours."))
    closes_at = forms.TimeField(label=_("Closes"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                help_text=_("A closing time before the opening time runs past midnight."))
    equipment = forms.MultipleChoiceField(label=_("Equipment"), choices=Equipment.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    equipment_note = forms.CharField(label=_("Other equipment"), max_length=200, required=False)
    is_single_exit = forms.BooleanField(label=_("Single exit of a closed circle"), required=False,
                                        help_text=_("The one way out of the unit it closes (封闭式管理，只留一个出口)."))
    shift_starts = forms.CharField(label=_("Shift start times"), max_length=100, required=False,
                                   initial=", ".join(DEFAULT_SHIFT_STARTS),
                                   help_text=_("Each shift runs to the next start, e.g. 08:00, 16:00, 00:00."))

    def __init__(self, *args, actor, checkpoint=None, **kw):
        super().__init__(*args, **kw)
        if checkpoint is None:
            self.fields["org"].choices = unit_choices(actor, GATE_LEVELS)
        else:
            # The unit a gate closes does not change: a gate elsewhere is another gate.
            del self.fields["org"]
            self.fields["is_active"] = forms.BooleanField(label=_("In service"), required=False,
                                                          help_text=_("Untick when the gate is closed down."))
            staff = selectors.staff_candidates(checkpoint=checkpoint)
            self.staff_users = {str(u.pk): u for u in staff}
            self.fields["staff"] = forms.MultipleChoiceField(
                label=_("Posted checkpoint staff"), required=False, widget=forms.CheckboxSelectMultiple,
                choices=[(pk, f"{u} · {u.jurisdiction.name}") for pk, u in self.staff_users.items()],
                help_text=_("They see and record at the gates they are posted to, and nowhere else."))

    def checkpoint_fields(self) -> dict:
        """The cleaned fields as the services take them."""
        data = dict(self.cleaned_data)
        data.pop("org", None)
        data.pop("staff", None)
        return data

    def staff_chosen(self) -> list[User]:
        return [self.staff_users[pk] for pk in self.cleaned_data.get("staff", [])]


def checkpoint_initial(checkpoint) -> dict:
    return {"name": checkpoint.name, "kind": checkpoint.kind, "location": checkpoint.location, "opens_at": checkpoint.opens_at,
            "closes_at": checkpoint.closes_at, "equipment": checkpoint.equipment, "equipment_note": checkpoint.equipment_note,
            "is_single_exit": checkpoint.is_single_exit, "shift_starts": ", ".join(checkpoint.shift_starts),
            "is_active": checkpoint.is_active, "staff": [str(u.pk) for u in checkpoint.staff.all()]}


class AssignForm(forms.Form):
    """One person onto a shift; rendered once per shift, so without ids (labels wrap inputs)."""

    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    kind = forms.ChoiceField(label=_("As"), choices=StaffKind.choices, initial=StaffKind.VOLUNTEER)
    user = forms.ChoiceField(label=_("User account"), required=False)

    def __init__(self, *args, checkpoint, **kw):
        kw.setdefault("auto_id", False)
        super().__init__(*args, **kw)
        self.users = {str(u.pk): u for u in selectors.duty_user_candidates(checkpoint=checkpoint)}
        self.fields["user"].choices = [("", _("— none —"))] + [(pk, f"{u} · {u.get_role_display()}") for pk, u in self.users.items()]

    def user_chosen(self) -> User | None:
        return self.users.get(self.cleaned_data.get("user") or "")


class HandoverForm(forms.Form):
    note = forms.CharField(label=_("Handover note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("What happened on this shift and what the next one should watch."))


class PlanForm(forms.Form):
    start = forms.DateField(label=_("From"))
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=62, initial=7)


class CardIssueForm(forms.Form):
    household = forms.UUIDField(label=_("Household"), help_text=_("The household's id, from its page in the registry."))


class CardsForForm(forms.Form):
    org = forms.ChoiceField(label=pgettext_lazy("org unit", "Unit"), help_text=_("Every household under it without a valid card gets one."))

    def __init__(self, *args, actor, **kw):
        super().__init__(*args, **kw)
        self.fields["org"].choices = unit_choices(actor, CARD_LEVELS)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("e.g. lost, damaged, moved out"))
