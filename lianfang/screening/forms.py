import datetime as dt
import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import LEVEL_ORDER, Level, OrgUnit
from lianfang.core.scoping import scoped

from .models import CaseContact, Presence
from .services import CheckIn

SCOPE_LEVELS = LEVEL_ORDER[:LEVEL_ORDER.index(Level.GRID) + 1]


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scope = forms.ChoiceField(label=_("Scope"), help_text=_("Every household in this area is to be visited."))
    number = forms.IntegerField(label=_("Round number"), min_value=1, max_value=99, initial=1,
                                help_text=_("1 = first screening, 2 = first re-screen..."))
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    risk_areas = forms.CharField(label=_("Risk areas"), required=False, help_text=_("Separated by commas, e.g. 湖北, 武汉"))
    lookback_days = forms.IntegerField(label=_("Within days"), min_value=1, max_value=366, initial=14,
                                       help_text=_("Travel and contact within this many days before the visit count."))
    flag_risk_area = forms.BooleanField(label=_("Travelled to or through a risk area"), required=False, initial=True)
    flag_case_contact = forms.BooleanField(label=_("Contact with a confirmed or suspected case"), required=False, initial=True)
    flag_out_of_city = forms.BooleanField(label=_("Returned from outside the city"), required=False)
    flag_symptoms = forms.BooleanField(label=_("Fever (≥ 37.3 °C) or symptoms"), required=False, initial=True)
    criteria_notes = forms.CharField(label=_("Other criteria"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actor, fixed_scope=None, **kw):
        super().__init__(*args, **kw)
        if fixed_scope is not None:  # the scope of an open round does not move
            del self.fields["scope"]
            return
        nodes = scoped(OrgUnit.objects.filter(level__in=SCOPE_LEVELS), actor).order_by("path")
        self.fields["scope"].choices = [(n.code, f"{'　' * (n.depth - actor.jurisdiction.depth)}{n.name}") for n in nodes]
        self.fields["scope"].initial = actor.jurisdiction.code
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today + dt.timedelta(days=6)

    def criteria(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("scope", None)
        return data


def new_visit_uid() -> str:
    """The visit's id is made when the form is shown: a second submit of the same form (double
    tap, resend after a lost answer) is the same visit."""
    return str(uuid.uuid4())


def person_values(post, prefix: str) -> dict:
    """What the form holds for one person (to show again after an error: nothing typed is lost)."""
    get = (lambda k: post.get(f"{prefix}-{k}", "")) if post is not None else (lambda k: "")
    trips = []
    for i in range(2):
        trips.append({"place": get(f"trip{i}-place"), "from": get(f"trip{i}-from"), "to": get(f"trip{i}-to"),
                      "transit": bool(get(f"trip{i}-transit"))})
    return {
        "presence": get("presence") or Presence.PRESENT, "whereabouts": get("whereabouts"), "case_contact": get("case_contact") or CaseContact.NONE,
        "temperature": get("temperature"), "symptoms": post.getlist(f"{prefix}-symptoms") if post is not None else [],
        "notes": get("notes"), "trips": trips,
        "name": get("name"), "id_number": get("id_number"), "phone": get("phone"), "relation_to_head": get("relation_to_head"),
    }


def check_in(values: dict, *, resident=None, new_person: dict | None = None) -> CheckIn:
    return CheckIn(resident=resident, new_person=new_person, presence=values["presence"], whereabouts=values["whereabouts"],
                   travel=[t for t in values["trips"] if t["place"] or t["from"] or t["to"]], case_contact=values["case_contact"],
                   temperature=values["temperature"], symptoms=values["symptoms"], notes=values["notes"])


def has_findings(values: dict) -> bool:
    """Whether the visitor typed anything about this person beyond the defaults."""
    return (values["presence"] != Presence.PRESENT or values["case_contact"] != CaseContact.NONE or bool(values["temperature"])
            or bool(values["symptoms"]) or bool(values["whereabouts"]) or bool(values["notes"])
            or any(t["place"] or t["from"] or t["to"] for t in values["trips"]))


