from django import forms
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import LEVEL_ORDER, Level, OrgUnit
from lianfang.core.scoping import scoped

from .site_services import MAX_BEDS, MIN_BEDS

# A site is run by the district, a street or a community.
SITE_LEVELS = LEVEL_ORDER[:LEVEL_ORDER.index(Level.COMMUNITY) + 1]


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. the hotel's name"))
    address = forms.CharField(label=_("Address"), max_length=200)
    org_unit = forms.ChoiceField(label=_("Run by"))
    contact_name = forms.CharField(label=_("Contact"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel"}))

    def __init__(self, *args, actor, **kw):
        super().__init__(*args, **kw)
        nodes = scoped(OrgUnit.objects.filter(level__in=SITE_LEVELS), actor).order_by("path")
        depth = actor.jurisdiction.depth if actor.jurisdiction else 0
        self.fields["org_unit"].choices = [(n.code, f"{'　' * (n.depth - depth)}{n.name}") for n in nodes]
        if actor.jurisdiction and "org_unit" not in self.initial:
            self.fields["org_unit"].initial = actor.jurisdiction.code


class RoomsForm(forms.Form):
    numbers = forms.CharField(label=_("Room numbers"), max_length=2000,
                              help_text=_("One room (305), a range (101-120) or several, separated by commas: 101-120, 201-220"))
    capacity = forms.IntegerField(label=_("Beds per room"), min_value=MIN_BEDS, max_value=MAX_BEDS, initial=1)


class RoomForm(forms.Form):
    capacity = forms.IntegerField(label=_("Beds"), min_value=MIN_BEDS, max_value=MAX_BEDS)
    is_usable = forms.BooleanField(label=_("Usable"), required=False,
                                   help_text=_("Untick to take the room out of use (repairs, cleaning)."))


class MoveForm(forms.Form):
    room = forms.ChoiceField(label=_("To room"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, rooms, **kw):
        super().__init__(*args, **kw)
        self.fields["room"].choices = [
            (r.pk, _("%(site)s · room %(room)s (%(free)d of %(beds)d beds free)") % {
                "site": r.site.name, "room": r.number, "free": r.free, "beds": r.capacity})
            for r in rooms]


class CheckOutForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, help_text=_("e.g. taken to the designated hospital"))
