"""Checkpoints in the demo district, through the real services: the gates of the demo
community (one the single exit of a closed compound), a week of rosters with one gap, pass
cards for every household, and a week of passages with turn-backs, fevers and one breach."""

import datetime as dt
import random
import uuid

from django.utils import timezone

from lianfang.checkpoints import services, tokens
from lianfang.checkpoints.models import Checkpoint, PassCard, StaffKind
from lianfang.core.audit import COMMAND
from lianfang.core.models import Level, OrgUnit, User
from lianfang.core.scoping import subtree_q
from lianfang.quarantine.models import QuarantineOrder
from lianfang.registry.models import Resident

VISITORS = ["快递员刘师傅", "外卖骑手陈", "送菜师傅王", "物业维修李", "探亲 赵女士", "社区医生孙"]
PURPOSES = ["买菜", "上班（保供企业）", "就医", "送快递", "送菜", "返回住所"]
PLATES = ["甘A12345", "甘AD12345", "甘B6N789", "陕A8K321"]


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def demo_checkpoints_ensure(*, users: list[User], days: int = 7, per_day: int = 120, seed: int = 2020) -> int:
    """Set up the demo community's gates once. Returns the passages recorded (0 if done before)."""
    by_name = {u.username: u for u in users}
    officer, staff = by_name["street"], by_name["checkpoint"]
    community = staff.jurisdiction
    if Checkpoint.objects.filter(org_path__startswith=community.path).exists():
        return 0
    rng = random.Random(seed)
    compound = OrgUnit.objects.filter(subtree_q("path", community.path), level=Level.COMPOUND).order_by("path").first()
    closes = compound or community
    main = services.checkpoint_create(actor=officer, org=closes, name="南门卡点", kind="compound_gate", location=f"{closes.name}南门",
                                      equipment=["tent", "heater", "thermometer", "disinfectant", "scanner"], is_single_exit=True,
                                      via=COMMAND)
    side = services.checkpoint_create(actor=officer, org=community, name="社区东口", kind="village_entrance", location="东街路口",
                                      opens_at=dt.time(6), closes_at=dt.time(22), equipment=["tent", "thermometer"], via=COMMAND)
    services.checkpoint_create(actor=officer, org=community, name="国道检查站", kind="road", location="G312 入城口",
                               equipment=["tent", "heater", "thermal_camera", "disinfectant", "barrier", "lighting"],
                               shift_starts=["08:00", "20:00"], via=COMMAND)
    for gate in (main, side):
        services.checkpoint_staff_set(actor=officer, checkpoint=gate, users=[staff], via=COMMAND)
    today = timezone.localdate()
    # Each gate has its own people (one person stands at one gate at a time), two to a shift.
    pools = [["王建国", "李红梅", "张卫东", "刘志强"], ["陈静", "杨帆", "赵磊", "周敏"], ["孙丽", "吴强", "郑伟", "冯军"]]
    for g, gate in enumerate(Checkpoint.objects.filter(org_path__startswith=community.path).order_by("pk")):
        shifts = services.shifts_plan(actor=officer, checkpoint=gate, start=today - dt.timedelta(days=1), days=8, via=COMMAND)
        pool = pools[g % len(pools)]
        for n, shift in enumerate(shifts):
            if gate == side and n == 4:
                continue  # a gap, for the duty board to show
            for k in range(2):
                i = (2 * n + k) % len(pool)
                services.duty_assign(actor=officer, shift=shift, name=pool[i], phone=f"1390931{g}{i:02d}{g}",
                                     kind=[StaffKind.PARTY_MEMBER, StaffKind.VOLUNTEER, StaffKind.CADRE][(n + k) % 3], via=COMMAND)
            if shift.ends_at <= timezone.now():
                services.handover_record(actor=officer, shift=shift, note="交接：体温枪电池已更换，外来车辆一律登记消毒。", via=COMMAND)
    services.pass_cards_issue_for(actor=officer, org=closes, via=COMMAND)
    cards = list(PassCard.objects.filter(subtree_q("org_path", closes.path), status=PassCard.Status.ACTIVE).select_related("household"))
    # Everyday traffic is of people free to go; the one breach is added on purpose below.
    active = QuarantineOrder.objects.filter(status=QuarantineOrder.Status.ACTIVE)
    quarantined = set(active.values_list("resident__household_id", flat=True))
    free_cards = [c for c in cards if c.household_id not in quarantined]
    residents = list(Resident.objects.filter(subtree_q("org_path", community.path), id_number__isnull=False)
                     .exclude(household_id__in=quarantined).values_list("id_number", flat=True)[:200])
    now = timezone.now()
    drafts = []
    for d in range(days, -1, -1):
        day = today - dt.timedelta(days=d)
        for _i in range(per_day):
            # Mornings and the evening return are the busy hours at a compound gate.
            hour = rng.choices(range(6, 22), weights=[2, 6, 9, 7, 4, 3, 5, 4, 3, 3, 4, 6, 8, 7, 4, 2])[0]
            at = _at(day, hour, rng.randrange(60))
            if at > now:
                continue
            direction = rng.choice(["in", "out"])
            kind = rng.random()
            fields = {"direction": direction, "temperature": rng.choice(["36.2", "36.4", "36.5", "36.6", "36.8"]),
                      "mask": rng.random() > 0.03, "health_code": "green", "purpose": rng.choice(PURPOSES)}
            if kind < 0.7 and free_cards:
                fields["card"] = tokens.card_code(rng.choice(free_cards).token)
            elif kind < 0.85 and residents:
                fields["id_number"] = rng.choice(residents)
            else:
                fields.update(name=rng.choice(VISITORS), phone=f"138{rng.randrange(10**8):08d}", temperature="36.5")
                if rng.random() < 0.4:
                    fields.update(plate=rng.choice(PLATES), disinfected=True)
                if rng.random() < 0.1:
                    fields.update(outcome="turned_back", turn_back_reason="非本小区人员，无事由")
            if rng.random() < 0.004:
                fields["temperature"] = "37.6"
            drafts.append(services.PassageDraft(uid=uuid.uuid4(), checkpoint=rng.choice([main.uid, main.uid, side.uid]), at=at, **fields))
    breach_card = next((c for c in cards if c.household_id in quarantined), None)
    if breach_card is not None:
        drafts.append(services.PassageDraft(uid=uuid.uuid4(), checkpoint=main.uid, at=now - dt.timedelta(hours=2), direction="out",
                                            card=tokens.card_code(breach_card.token), purpose="买菜"))
    for start in range(0, len(drafts), services.MAX_BATCH):
        services.passages_record(actor=staff, drafts=drafts[start:start + services.MAX_BATCH], via=COMMAND)
    return len(drafts)
