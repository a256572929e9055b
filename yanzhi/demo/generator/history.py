"""One customer's life, simulated in time order, as the rows the services would have written.

A customer registers (walk-in at the desk, or an online lead who comes later or never), visits
the chain (a Poisson process at the customer's own rate — a Pareto draw, so a few come very
often — over a limited lifetime), and at each visit the services' rules apply in order:

- the visit type from `visits.rules.decide_visit_type` (初诊 first, then 复诊 until a deal,
  疗程内 while a course is open, 复查 for a check-up appointment, 再消费 otherwise);
- triage gives the customer a consultant and a doctor the first time ("1+1" team);
- open courses are executed (执行划扣: ledger row, exhausted at zero, the visit's treatment
  stage); a purchase opens an order, pays it (stored-value balance first, then money, now and
  then leaving arrears), decides the deal, grants courses (services, session cards, packages)
  and stored-value cards with their ledgers; earlier arrears are paid at later visits;
- about 3 % of paid orders are refunded a few days later (whole, or one line): unused sessions
  revoked, cards taken back, money returned to the original methods latest first;
- follow-up tasks are created by the shipped rules exactly where their triggers fire (new
  customer, no-show, visited without paying, paid but not executed after the wait, post-op
  nodes, birthdays, 三八 greetings, member fell asleep) and worked on (reached, not reached up to
  three calls, SMS sent or not for lack of consent) or cancelled by what cancels them.

The summary row, the membership level and its history, the member-activity class and the open
course count are then exactly what the services would have left. Every row is made here; the
writer only copies them in."""

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import count

from yanzhi.core.search import name_keys
from yanzhi.customers.models import ActivitySettings, tag_keys_of
from yanzhi.demo.generator import people
from yanzhi.demo.generator.clock import (
    DAY,
    HOUR,
    MINUTE,
    Clock,
    allocate,
    div_half_up,
)
from yanzhi.demo.generator.people import Weighted
from yanzhi.sales.membership import window_start

MEMBER_NO_START = 10000001
WINDOWS = ((11 * HOUR, 12 * HOUR + 30 * MINUTE), (14 * HOUR + 30 * MINUTE, 17 * HOUR + 30 * MINUTE),
           (19 * HOUR + 30 * MINUTE, 20 * HOUR + 30 * MINUTE))  # fmt: skip
OPENS, LAST_ARRIVAL, CLOSES = 10 * HOUR, 19 * HOUR + 30 * MINUTE, 21 * HOUR
NEW_DAYS = ActivitySettings.DEFAULT_NEW_MEMBER_DAYS
SLEEPING_DAYS = ActivitySettings.DEFAULT_SLEEPING_DAYS
DEEP_DAYS = ActivitySettings.DEFAULT_DEEP_SLEEP_DAYS
WINDOW_MONTHS = 12  # MembershipProgram.DEFAULT_WINDOW_MONTHS
MARKETING_KINDS = frozenset({"birthday", "date", "member_sleeping", "campaign"})
MONEY_METHODS = Weighted([("wechat", 45), ("alipay", 25), ("bank_card", 22), ("cash", 8)])
SPEND = frozenset({"cash", "bank_card", "wechat", "alipay", "deposit"})
PURCHASE_CHANCE = {"first": 0.62, "return": 0.5, "in_course": 0.38, "checkup": 0.2,
                   "repurchase": 0.78}  # fmt: skip
KIND_MIX = Weighted([("service", 28), ("product", 40), ("drug", 15), ("package", 4), ("card", 13)])
SATISFACTION = Weighted([(5, 55), (4, 30), (3, 10), (2, 3), (1, 2)])
REACHED_NOTES = ["客户反馈恢复良好", "客户对效果满意", "已提醒术后注意事项", "客户有轻微红肿,已安抚",
                 "客户表示近期会再来", "已预约复查时间", "客户较忙,简单沟通", "客户询问新项目"]  # fmt: skip
ALLERGIES = ["青霉素过敏", "利多卡因过敏", "海鲜过敏", "花粉过敏", "对酒精敏感"]
NOTES = ["", "", "", "", "周末有空", "不喜欢电话打扰,优先微信", "朋友推荐来的", "上班族,晚上来"]
DEVICES = {
    "皮肤科": ["M22光子", "Thermage FLX", "超皮秒PicoWay", "黄金微针"],
    "毛发": ["冰点脱毛仪"],
}


@dataclass
class Course:
    id: int
    item: object
    store_id: int
    line_id: int | None
    source_kind: str
    total: int
    remaining: int
    unit_value: int
    expires: int | None  # day number
    created: int
    order_id: int
    frozen: bool = False
    status: str = "active"
    first_executed: int | None = None


@dataclass
class Card:
    id: int
    item_id: int
    store_id: int
    line_id: int
    card_no: str
    original: int
    balance: int
    created: int
    order_id: int
    frozen: bool = False
    status: str = "active"
    updated: int = 0


@dataclass
class OrderState:
    id: int
    row: list
    lines: list  # line rows (lists)
    line_items: list  # ItemInfo per line
    payments: list = field(default_factory=list)  # [payment id, method, amount, card]
    refunded_payments: dict = field(default_factory=dict)  # payment id → refunded fen
    # whom its money counts for: (consultant, online consultant, visit's doctor, channel)
    credit: tuple = (None, None, None, None)
    deal_number: int | None = None


@dataclass
class Task:
    """A follow-up task whose fate (done, not reached, cancelled, still pending) is decided when
    the customer's history is complete."""

    store_id: int
    kind: str
    rule_id: int
    node: object
    cause: str
    owner: int
    owner_note: str
    script: str
    due: int
    created: int
    item_id: int | None = None
    execution_id: int | None = None
    line_id: int | None = None


class Rows(dict):
    """The rows of one chunk, per table name (a plain dict: looked up for every row)."""

    def __init__(self, tables):
        super().__init__((t.name, []) for t in tables)

    @property
    def by_table(self) -> dict:
        return self

    def count(self) -> int:
        return sum(len(rows) for rows in self.values())


class HistoryBuilder:
    def __init__(
        self, world, clock: Clock, *, customers: int, years: int, bases: dict, stride: int
    ):
        """`bases`: the first id of each table; `stride`: the number of blocks. Row ids of a
        block interleave with the other blocks' (block b, k-th row: base + k·stride + b), so
        blocks can be built in any order or in parallel and still get the same ids."""
        self.w = world
        self.c = clock
        self.n_customers = customers
        self.start_day = clock.today - int(years * 365)
        self.start = clock.at(self.start_day, 0)
        self.end = clock.today_start  # history ends at the start of today
        self.bases = bases
        self.stride = stride
        self.block = 0
        self.ids = {}  # table → the id counter of the block being built
        self.pinyin_cache: dict[str, tuple[str, str]] = {}
        self.store_pick = Weighted([(s, s.weight) for s in world.stores])
        self.channel_pick = Weighted([((pk, kind), w) for pk, kind, w in world.channels])
        self.tag_pick = Weighted(world.tags)
        self.by_kind: dict[int, dict[str, Weighted]] = {}
        for store in world.stores:
            kinds = {}
            for kind in ("service", "product", "drug", "package"):
                pairs = [(i, i.weight) for i in store.items if i.kind == kind]
                kinds[kind] = Weighted(pairs)
            kinds["stored_value"] = Weighted(
                [(i, i.weight) for i in store.items if i.card_type == "stored_value"]
            )
            kinds["sessions"] = Weighted(
                [(i, i.weight) for i in store.items if i.card_type == "sessions"]
            )
            self.by_kind[store.id] = kinds
        self.items_by_id = {i.id: i for i in world.items.values()}
        self.store_by_id = {s.id: s for s in world.stores}
        self.rules = {t: [r for r in rs if r.is_active] for t, rs in world.rules.items()}
        self.date_days = self._date_rule_days()
        self.month_cache: dict[tuple[int, int], int] = {}
        self.window_cache: dict[int, int] = {}

    # --- small helpers ----------------------------------------------------------------------
    def nid(self, table: str) -> int:
        return next(self.ids[table])

    def keys(self, name: str) -> tuple[str, str]:
        keys = self.pinyin_cache.get(name)
        if keys is None:
            pinyin, initials = name_keys(name)
            keys = self.pinyin_cache[name] = (pinyin[:120], initials[:30])
        return keys

    def local(self, ts: int) -> tuple[int, int]:
        day, seconds = divmod(ts + self.c.offset, DAY)
        return day, seconds

    def into_window(self, ts: int) -> int:
        day, seconds = self.local(ts)
        for extra in range(3):
            for opens, closes in WINDOWS:
                if extra or seconds < opens:
                    return self.c.at(day + extra, opens)
                if seconds < closes:
                    return ts
            seconds = -1
        raise AssertionError("unreachable")

    def next_window_start(self, ts: int) -> int:
        day, seconds = self.local(ts)
        for extra in range(3):
            for opens, _closes in WINDOWS:
                if extra or opens > seconds:
                    return self.c.at(day + extra, opens)
        raise AssertionError("unreachable")

    def add_months(self, day: int, months: int) -> int:
        key = (day, months)
        value = self.month_cache.get(key)
        if value is None:
            from yanzhi.followups.duetime import add_months

            value = self.c.day_number(add_months(self.c.date(day), months))
            self.month_cache[key] = value
        return value

    def due_at(self, base: int, value: int, unit: str) -> int:
        if unit == "hours":
            return self.into_window(base + value * HOUR)
        day = self.local(base)[0]
        day = day + value if unit == "days" else self.add_months(day, value)
        return self.c.at(day, WINDOWS[0][0])

    def spend_window_start(self, day: int) -> int:
        value = self.window_cache.get(day)
        if value is None:
            value = self.c.day_number(window_start(self.c.date(day), WINDOW_MONTHS))
            self.window_cache[day] = value
        return value

    def _date_rule_days(self) -> list[tuple[object, int]]:
        """(rule, day) for every 节日 date of the date rules inside the history (and today)."""
        out = []
        first_year = self.c.date(self.start_day).year
        last_year = self.c.date(self.c.today).year
        for rule in self.rules.get("date", []):
            for text in rule.dates:
                parts = text.split("-")
                years = [int(parts[0])] if len(parts) == 3 else range(first_year, last_year + 1)
                month, dom = int(parts[-2]), int(parts[-1])
                for year in years:
                    try:
                        day = self.c.day_number(
                            self.c.date(0).replace(year=year, month=month, day=dom)
                        )
                    except ValueError:
                        continue
                    if self.start_day < day <= self.c.today:
                        out.append((rule, day))
        return sorted(out, key=lambda pair: pair[1])

    def staff(self, store, role: str, rng) -> int:
        members = store.staff.get(role)
        if not members:
            return store.staff["store_manager"][0]
        return members[0] if len(members) == 1 else members[int(rng.random() * len(members))]

    # --- one chunk of customers ------------------------------------------------------------------
    def build_block(self, block: int, block_size: int, seed: int, tables) -> Rows:
        """The customers of one block with everything they did, drawn from the block's own
        random stream (seeded by the seed and the block number)."""
        self.block = block
        # The k-th row of the block gets base + k·stride + block.
        self.ids = {key: count(base + block, self.stride) for key, base in self.bases.items()}
        self.c.trim_caches()
        rng = people.FastRandom(f"yanzhi-generator:{seed}:{block}")
        rows = Rows(tables)
        first = block * block_size
        for index in range(first, min(first + block_size, self.n_customers)):
            self.customer(index, rng, rows)
        return rows

    # --- one customer ------------------------------------------------------------------------------
    def customer(self, index: int, rng, rows: Rows) -> None:  # noqa: C901 - one life, in order
        w, c = self.w, self.c
        money = c.money  # fen → the column value (the nested functions below use it too)
        org = w.org_id
        cid = self.bases["customer"] + index
        home = self.store_pick(rng)
        channel_id, channel_kind = self.channel_pick(rng)
        referrer = None
        if channel_kind == "referral" and index > 0:
            referrer = cid - 1 - rng.randrange(min(index, 50_000))  # an earlier customer
        lead = channel_kind in ("ecommerce", "influencer", "online")
        # Registration: spread over the history with mild growth, inside opening hours.
        u = (index + rng.random()) / self.n_customers
        reg_day = self.start_day + int((self.c.today - self.start_day) * (u**0.85))
        reg_day = min(reg_day, self.c.today - 1)
        reg = c.at(reg_day, OPENS + rng.randrange(LAST_ARRIVAL - OPENS))

        gender = "female" if rng.random() < 0.86 else "male"
        full_name = people.name(rng, gender)
        birth = people.birth_date(rng, c.date(reg_day))
        phone = people.mobile(rng)  # made unique in customer order by the main process
        id_card = people.id_card(rng, birth, gender) if rng.random() < 0.72 else ""
        if not id_card and rng.random() < 0.3:
            birth = None
        pinyin, initials = self.keys(full_name)
        online_consultant = self.staff(home, "online_consultant", rng) if lead else None
        created_by = online_consultant or self.staff(home, "front_desk", rng)
        consent = rng.random() < 0.55
        allergies = rng.choice(ALLERGIES) if rng.random() < 0.05 else ""
        consultant = None
        doctor = None
        if lead and rng.random() < 0.3:
            consultant = self.staff(home, "consultant", rng)

        # --- state kept as the services would ------------------------------------------------------
        visits_done = 0
        first_visit = last_visit = None
        last_visit_type = ""
        deal_count = 0
        first_deal = second_deal = last_deal = None
        spend = 0
        arrears_total = 0
        courses: list[Course] = []
        cards: list[Card] = []
        orders: list[OrderState] = []
        arrears_orders: list[OrderState] = []
        refunds: list[tuple[int, OrderState, bool]] = []  # (moment, order, whole order)
        pay_moments: list[int] = []
        activity_moments: list[int] = []  # visits and pay calls (last_active_at)
        spend_payments: list[tuple[int, int]] = []  # (business day, fen) for the rolling spend
        level_events: list[tuple[int, str]] = []  # (moment, reason) when the spend moved
        visit_closes: list[int] = []
        appointment_arrivals: list[int] = []
        line_refunds: dict[int, int] = {}
        tasks: list[Task] = []
        links: dict[int, int] = {}
        line_amounts: dict[int, int] = {}

        def task(store, kind, rule, node, cause, base, owner, note="", item=None, execution=None,
                 line_id=None):  # fmt: skip
            script = node.script
            if "{" in script:
                script = (
                    script.replace("{称呼}", salutation)
                    .replace("{姓名}", full_name)
                    .replace("{项目}", item.name if item is not None else "")
                    .replace("{门店}", store.name)
                    .replace("{负责人}", w.staff_names.get(owner, ""))
                )
            tasks.append(
                Task(
                    store.id,
                    kind,
                    rule.id,
                    node,
                    cause,
                    owner,
                    note,
                    script,
                    self.due_at(base, node.value, node.unit),
                    base,
                    item.id if item is not None else None,
                    execution,
                    line_id,
                )  # fmt: skip
            )

        def owner_for(role, store, execution_people=(), rng=rng):
            """followups.services.resolve_owner, with the store's staff."""
            members = store.staff
            if role == "consultant":
                if consultant is not None and consultant in members.get("consultant", ()):
                    return consultant, ""
            elif role in ("doctor", "nurse"):
                for person in execution_people:
                    if person is not None and w.staff_role[person] == role:
                        return person, ""
                if role == "doctor" and doctor is not None and doctor in members.get("doctor", ()):
                    return doctor, ""
                if members.get(role):
                    return self.staff(store, role, rng), ""
            elif role == "customer_service" and members.get("customer_service"):
                return self.staff(store, "customer_service", rng), ""
            label = {"consultant": "责任咨询师", "doctor": "医生", "nurse": "护士",
                     "customer_service": "客服", "executor": "执行人"}[role]  # fmt: skip
            return members["store_manager"][0], f"无{label},已转店长"

        def fire(trigger, store, cause, base, item=None, execution=None, people_=(),
                 line_id=None, kind=None):  # fmt: skip
            for rule in self.rules.get(trigger, ()):
                if trigger == "executed" and (item is None or not item.surgical):
                    continue
                for node in rule.nodes:
                    owner, note = owner_for(node.owner_role, store, people_)
                    task(store, kind or trigger, rule, node, cause, base, owner, note, item,
                         execution, line_id)  # fmt: skip

        salutation = people.salutation(full_name, gender)
        # 新建客户 (the event fires at registration).
        fire("customer_created", home, f"customer:{cid}", reg)

        def open_courses(day):
            return [
                k for k in courses
                if k.status == "active" and k.remaining > 0
                and (k.expires is None or k.expires >= day)
            ]  # fmt: skip

        def note_money_moment(ts):
            pay_moments.append(ts)
            activity_moments.append(ts)

        def pay_rows(order, store, day, ts, lines_money, cashier):
            """Payment rows of one pay call: [(method, fen, card)]."""
            for method, amount, card in lines_money:
                pid = self.nid("payment")
                order.payments.append([pid, method, amount, card])
                rows["sales_payment"].append(
                    (pid, org, store.id, order.id, method, money(amount), None,
                     card.id if card else None, None, None, None, c.day(day), cashier, c.ts(ts),
                     *order.credit)
                )  # fmt: skip
                if card is not None:
                    card.balance -= amount
                    card.updated = ts
                    rows["sales_storedvalueledger"].append(
                        (self.nid("card_ledger"), org, card.id, money(-amount),
                         money(card.balance), "paid", pid, order.row[6], cashier, c.ts(ts))
                    )  # fmt: skip
                if method in SPEND:
                    spend_payments.append((ts, day, amount))

        def grant(order, line, item, store, day, ts, cashier):
            """What a paid line gives: courses (service, session card, package) or cards."""
            line_id, quantity = line[0], line[4]
            amount = line_amounts[line_id]
            expires = day + item.valid_days if item.valid_days else None
            if item.kind == "card" and item.card_type == "stored_value":
                for _n in range(quantity):
                    kid = self.nid("card")
                    value = item.card_value if item.card_value else div_half_up(amount, quantity)
                    card = Card(kid, item.id, store.id, line_id, f"SV{kid:08d}", value, value, ts,
                                order.id, updated=ts)  # fmt: skip
                    cards.append(card)
                    rows["sales_storedvalueledger"].append(
                        (self.nid("card_ledger"), org, kid, money(value), money(value), "issued",
                         None, order.row[6], cashier, c.ts(ts))
                    )  # fmt: skip
                return
            parts = []  # (service item, sessions, unit value, source kind)
            if item.kind == "service":
                parts.append((item, quantity, div_half_up(amount, quantity), "purchase"))
            elif item.kind == "card" and item.card_type == "sessions":
                sessions = item.card_sessions * quantity
                service = self.items_by_id[item.card_service_id]
                parts.append((service, sessions, div_half_up(amount, sessions), "session_card"))
            elif item.kind == "package":
                services = [(i, q) for i, q in item.components if i.kind == "service"]
                values = allocate(amount, [i.price * q for i, q in services])
                for (service, q), value in zip(services, values, strict=True):
                    sessions = q * quantity
                    parts.append((service, sessions, div_half_up(value, sessions), "package"))
            for service, sessions, unit, source in parts:
                kid = self.nid("entitlement")
                courses.append(
                    Course(
                        kid,
                        service,
                        store.id,
                        line_id,
                        source,
                        sessions,
                        sessions,
                        unit,
                        expires,
                        ts,
                        order.id,
                    )  # fmt: skip
                )
                rows["treatments_entitlementledger"].append(
                    (self.nid("entitlement_ledger"), kid, sessions, sessions, "granted",
                     f"order_line:{line_id}", cashier, c.ts(ts))
                )  # fmt: skip

        def execute(course, store, visit, ts, day):
            """One session of a course (执行划扣), returns the execution id."""
            item = course.item
            performer_role = "doctor" if item.surgical else "nurse"
            if item.surgical and visit["doctor"] in store.staff.get("doctor", ()):
                performer = visit["doctor"]
            else:
                performer = self.staff(store, performer_role, rng)
            assistant = None
            if rng.random() < (0.6 if performer_role == "doctor" else 0.25):
                assistant = self.staff(store, "nurse", rng)
                if assistant == performer:
                    assistant = None
            eid = self.nid("execution")
            course.remaining -= 1
            if course.first_executed is None:
                course.first_executed = ts
            if course.remaining == 0:
                course.status = "exhausted"
            device = energy = dose = sites = lot = ""
            if item.department == "微整科":
                dose = rng.choice(["1ml", "2ml", "50U", "100U", "2.5ml"])
                sites = rng.choice(["额头", "眉间", "面颊", "法令纹", "全脸", "下颌缘"])
                lot = f"L{c.day_text(day)[2:7].replace('-', '')}{int(rng.random() * 1000):03d}"
            elif item.department in DEVICES:
                device = rng.choice(DEVICES[item.department])
                energy = f"{rng.randrange(8, 30)}J/cm²"
            confirmed = ts + 2 * MINUTE if rng.random() < 0.9 else None
            method = rng.choice(["signature", "signature", "in_person", "sms"]) if confirmed else ""
            rows["treatments_execution"].append(
                (eid, org, store.id, cid, course.id, item.id, 1, performer, assistant, visit["id"],
                 device, energy, dose, sites, lot, "", c.ts_or_none(confirmed), method, c.day(day),
                 c.ts(ts), consultant, online_consultant, money(course.unit_value))
            )  # fmt: skip
            rows["treatments_entitlementledger"].append(
                (self.nid("entitlement_ledger"), course.id, -1, course.remaining, "executed",
                 f"execution:{eid}", performer, c.ts(ts))
            )  # fmt: skip
            if visit["treated"] is None:
                visit["treated"] = ts
            if item.surgical:
                visit["surgical"] = True
            fire("executed", store, f"execution:{eid}", ts, item=item, execution=eid,
                 people_=(performer, assistant), line_id=course.line_id)  # fmt: skip
            return eid

        def refund(ts, order, whole):
            """sales.services.refund_order: unused sessions revoked, cards taken back, money
            returned over the original payments, latest first."""
            store = self.store_by_id[order.row[2]]
            cashier = self.staff(store, "cashier", rng)
            day = c.day_of(ts)
            targets = order.lines if whole else [order.lines[-1]]
            value = 0
            for line in targets:
                line_id, item = line[0], self.items_by_id[line[2]]
                for course in courses:
                    if course.line_id == line_id and course.status == "active":
                        take = course.remaining
                        course.remaining = 0
                        course.status = "revoked"
                        rows["treatments_entitlementledger"].append(
                            (self.nid("entitlement_ledger"), course.id, -take, 0, "revoked",
                             f"order_line:{line_id}", cashier, c.ts(ts))
                        )  # fmt: skip
                for card in cards:
                    if card.line_id == line_id and card.status == "active":
                        rows["sales_storedvalueledger"].append(
                            (self.nid("card_ledger"), org, card.id, money(-card.balance),
                             money(0), "card_refunded", None, order.row[6], cashier, c.ts(ts))
                        )  # fmt: skip
                        card.balance, card.status, card.updated = 0, "refunded", ts
                amount = line_amounts[line_id]
                value += amount
                line[8] = line[4]  # refunded_quantity
                line[9] = money(amount)
                line_refunds[line_id] = ts
                del item
            money_back = value  # refunded orders carry no arrears
            left = money_back
            refunded_spend = 0
            for pid, method, amount, card in sorted(order.payments, key=lambda p: -p[0]):
                if left <= 0:
                    break
                already = order.refunded_payments.get(pid, 0)
                take = min(left, amount - already)
                if take <= 0:
                    continue
                order.refunded_payments[pid] = already + take
                rid = self.nid("payment")
                rows["sales_payment"].append(
                    (rid, org, store.id, order.id, method, money(-take), pid,
                     card.id if card else None, None, None, None, c.day(day), cashier, c.ts(ts),
                     *order.credit)
                )  # fmt: skip
                if card is not None:
                    card.balance += take
                    card.updated = ts
                    rows["sales_storedvalueledger"].append(
                        (self.nid("card_ledger"), org, card.id, money(take), money(card.balance),
                         "refunded", rid, order.row[6], cashier, c.ts(ts))
                    )  # fmt: skip
                if method in SPEND:
                    refunded_spend += take
                    spend_payments.append((ts, day, -take))
                left -= take
            row = order.row
            row[14] += value  # refunded
            row[13] -= money_back  # paid
            row[15] = row[12] - row[14] - row[13]  # arrears
            if all(line[8] == line[4] for line in order.lines):
                row[9] = "refunded"
            row[25] = ts
            level_events.append((ts, "refund", cashier))
            return refunded_spend

        # --- the visits -------------------------------------------------------------------------
        visitor = not lead or rng.random() < 0.72
        rate = min(6.0, 0.24 * rng.random() ** (-1 / 1.6)) / 30  # visits per day
        lifetime = rng.expovariate(1 / (430 * DAY))
        t = reg + (rng.randrange(1, 30) * DAY if lead else 5 * MINUTE)
        stop = min(self.end, t + lifetime)
        checkup_due = None
        no_show_chance = 0.06
        visit_index = 0
        while visitor and t < self.end and (visit_index == 0 or t < stop):
            day = c.day_of(t)
            # Refunds due before this visit happen first.
            for pending in sorted(r for r in refunds if r[0] <= t) if refunds else ():
                refunds.remove(pending)
                spend -= refund(pending[0], pending[1], pending[2])
            store = home if rng.random() < 0.95 else self.store_pick(rng)
            # another store's visit links the customer to it (never the home store: as
            # customers.services.link_customer_to_store)
            if store.id != home.id and store.id not in links:
                links[store.id] = t
            checkup = checkup_due is not None
            open_now = open_courses(day)
            # decide_visit_type (never a second visit the same day: gaps are ≥ 1 day)
            if visits_done == 0:
                vtype = "first"
            elif deal_count == 0:
                vtype = "return"
            elif checkup:
                vtype = "checkup"
            elif open_now:
                vtype = "in_course"
            else:
                vtype = "repurchase"
            checkup_due = None
            # The appointment that brought the customer, if any.
            appointment_id = None
            booked = (
                checkup
                or (lead or visits_done > 0)
                and rng.random() < (0.7 if visits_done == 0 else 0.5)
            )
            front = self.staff(store, "front_desk", rng)
            if store is home:
                if consultant is None:
                    consultant = self.staff(store, "consultant", rng)
                v_consultant = consultant
            else:
                v_consultant = self.staff(store, "consultant", rng)
            needs_doctor = vtype in ("first", "return", "checkup") or any(
                k.item.surgical for k in open_now
            )
            v_doctor = None
            if needs_doctor or rng.random() < 0.3:
                if store is home:
                    if doctor is None:
                        doctor = self.staff(store, "doctor", rng)
                    v_doctor = doctor
                else:
                    v_doctor = self.staff(store, "doctor", rng)
            if booked:
                appointment_id = self.nid("appointment")
                purpose = {"first": "consultation", "return": "consultation",
                           "in_course": "treatment", "checkup": "checkup",
                           "repurchase": "treatment"}[vtype]  # fmt: skip
                starts = t - t % (30 * MINUTE) + (30 * MINUTE if rng.random() < 0.5 else 0)
                booked_at = max(reg, t - rng.randrange(1, 10) * DAY)
                booker = online_consultant if (lead and visits_done == 0) else front
                rows["scheduling_appointment"].append(
                    (appointment_id, org, store.id, cid, purpose, c.ts(starts),
                     c.ts(starts + HOUR), v_doctor, v_consultant, None, "", "", "arrived", booker,
                     c.ts(t), None, "", c.ts(booked_at), c.ts(t))
                )  # fmt: skip
                appointment_arrivals.append(t)
            vid = self.nid("visit")
            escorted = t + rng.randrange(3, 15) * MINUTE
            diagnosed = escorted + rng.randrange(10, 35) * MINUTE if v_doctor else None
            visit = {"id": vid, "doctor": v_doctor, "treated": None, "surgical": False}
            cursor = diagnosed or escorted
            activity_moments.append(t)
            # Sessions of open courses first (a course bought today is executed after payment).
            if vtype in ("in_course", "checkup") and open_now:
                usable = [k for k in open_now if not k.frozen]
                for course in usable[:1]:
                    cursor += rng.randrange(15, 50) * MINUTE
                    execute(course, store, visit, cursor, day)
            paid_today = False
            # Arrears from earlier orders are paid now and then (补缴欠费).
            owed_here = (
                [o for o in arrears_orders if o.row[2] == store.id] if arrears_orders else ()
            )
            if owed_here and rng.random() < 0.6:
                cashier = self.staff(store, "cashier", rng)
                for order in owed_here:
                    due = order.row[15]
                    cursor += rng.randrange(3, 10) * MINUTE
                    method = MONEY_METHODS(rng)
                    pay_rows(order, store, day, cursor, [(method, due, None)], cashier)
                    order.row[13] += due
                    order.row[15] = 0
                    order.row[25] = cursor
                    arrears_total -= due
                    spend += due
                    arrears_orders.remove(order)
                    note_money_moment(cursor)
                    level_events.append((cursor, "payment", cashier))
                    paid_today = True
            # A purchase.
            if rng.random() < PURCHASE_CHANCE[vtype] * (1.3 if store is home else 0.8):
                cursor += rng.randrange(10, 40) * MINUTE
                paid_at = cursor
                cashier = self.staff(store, "cashier", rng)
                order, money_lines, new_arrears = self.make_order(
                    rng, rows, store, cid, vid, v_consultant, channel_id, day, paid_at,
                    [k for k in cards if k.status == "active" and not k.frozen and k.balance > 0],
                    line_amounts,
                )  # fmt: skip
                order.credit = (v_consultant, online_consultant, v_doctor, channel_id)
                order.deal_number = deal_count + 1  # every generated order is a deal
                orders.append(order)
                pay_rows(order, store, day, paid_at, money_lines, cashier)
                spend += sum(a for m, a, _k in money_lines if m in SPEND)
                if new_arrears:
                    arrears_orders.append(order)
                    arrears_total += new_arrears
                deal_count += 1
                if first_deal is not None and second_deal is None:
                    second_deal = paid_at
                first_deal = first_deal or paid_at
                last_deal = paid_at
                note_money_moment(paid_at)
                level_events.append((paid_at, "payment", cashier))
                paid_today = True
                for line, item in zip(order.lines, order.line_items, strict=True):
                    grant(order, line, item, store, day, paid_at, cashier)
                # About 3 % of fully paid orders come back within days (退款).
                if not new_arrears and rng.random() < 0.03:
                    when = paid_at + rng.randrange(1, 10) * DAY + rng.randrange(-3, 3) * HOUR
                    if when < self.end:
                        whole = rng.random() < 0.7 or len(order.lines) == 1
                        targets = order.lines if whole else [order.lines[-1]]
                        frozen = {line[0] for line in targets}
                        for k in courses:
                            if k.line_id in frozen:
                                k.frozen = True
                        for k in cards:
                            if k.line_id in frozen:
                                k.frozen = True
                        refunds.append((when, order, whole))
                # Treat today (当天治疗): new courses of this order, most of them.
                today_courses = [k for k in courses if k.order_id == order.id and not k.frozen]
                for n, course in enumerate(today_courses[:2]):
                    if rng.random() < (0.95 if course.item.surgical else 0.8 - 0.4 * n):
                        cursor += rng.randrange(15, 45) * MINUTE
                        execute(course, store, visit, cursor, day)
            if visit["surgical"] and rng.random() < 0.6:
                checkup_due = True
            post_care = cursor + rng.randrange(20, 50) * MINUTE if visit["surgical"] else None
            left = (post_care or cursor) + rng.randrange(5, 25) * MINUTE
            automatically = False
            closing = c.at(day, CLOSES)
            if left >= closing or rng.random() < 0.02:
                left, automatically = max(closing, (post_care or cursor) + MINUTE), True
            confirmed_by = front if rng.random() < 0.4 else None
            rows["visits_visit"].append(
                (vid, org, store.id, cid, appointment_id, c.day(day), vtype, vtype, confirmed_by,
                 c.ts(t + MINUTE) if confirmed_by else None, "left", v_consultant, v_doctor,
                 c.ts(escorted), c.ts(t), c.ts(escorted), c.ts_or_none(diagnosed),
                 c.ts_or_none(visit["treated"]), c.ts_or_none(post_care), c.ts(left),
                 automatically, front, "", c.ts(t), c.ts(left), channel_id)
            )  # fmt: skip
            visit_closes.append(left)
            visits_done += 1
            first_visit = first_visit or t
            last_visit, last_visit_type = t, vtype
            if not paid_today:
                fire("visited_not_paid", store, f"visit:{vid}", left)
            # The next visit: a check-up comes 7–21 days after surgery, otherwise the rate.
            visit_index += 1
            if checkup_due:
                gap = rng.randrange(7, 22)
            else:
                gap = max(1, int(rng.expovariate(rate)))
            # A no-show (or a cancelled booking) now and then between visits.
            if rng.random() < no_show_chance and gap > 1:
                self.no_show(rng, rows, store, cid, day + gap // 2, v_consultant, fire, front)
            t = c.at(day + gap, OPENS + rng.randrange(LAST_ARRIVAL - OPENS))
        for pending in sorted(refunds):
            spend -= refund(pending[0], pending[1], pending[2])
        refunds.clear()

        # Paid but not executed (daily job, the rule's wait): purchase courses with no session.
        for rule in self.rules.get("paid_not_executed", ()):
            for course in courses:
                if course.line_id is None:
                    continue
                trigger_day = c.day_of(course.created) + rule.wait_days
                if trigger_day > c.today:
                    continue
                base = c.at(trigger_day, 0)
                refunded_at = line_refunds.get(course.line_id)
                if (refunded_at is not None and refunded_at < base) or (
                    course.first_executed is not None and course.first_executed < base
                ):
                    continue
                store = self.store_by_id[course.store_id]
                for node in rule.nodes:
                    owner, note = owner_for(node.owner_role, store)
                    task(store, "paid_not_executed", rule, node, f"entitlement:{course.id}", base,
                         owner, note, course.item, None, course.line_id)  # fmt: skip

        # Expiry job: courses past their date lose their unused sessions the next day.
        for course in courses:
            if (
                course.status == "active"
                and course.expires is not None
                and course.expires < c.today
            ):
                run_day = course.expires + 1
                if course.remaining:
                    rows["treatments_entitlementledger"].append(
                        (self.nid("entitlement_ledger"), course.id, -course.remaining, 0,
                         "expired", f"expiry:{c.day_text(run_day)}", None, c.ts(c.at(run_day, 2 * HOUR)))
                    )  # fmt: skip
                    course.remaining = 0
                course.status = "expired"

        # Birthdays (daily job): every year the customer existed on that day.
        if birth is not None:
            for rule in self.rules.get("birthday", ()):
                year = c.date(reg_day).year
                while True:
                    try:
                        bday = birth.replace(year=year)
                    except ValueError:  # 29 February → 28 February
                        bday = birth.replace(year=year, day=28)
                    bday_n = c.day_number(bday)
                    if bday_n > c.today:
                        break
                    if bday_n > reg_day:
                        for node in rule.nodes:
                            owner, note = owner_for(node.owner_role, home)
                            task(home, "birthday", rule, node, f"birthday:{cid}:{year}",
                                 c.at(bday_n, 0), owner, note)  # fmt: skip
                    year += 1
        # 节日 greetings (date rules): customers with a deal by that day (the rule's filter).
        if first_deal is not None:
            first_deal_day = c.day_of(first_deal)
            for rule, day in self.date_days:
                if (
                    day <= reg_day
                    or day < first_deal_day
                    or (day == first_deal_day and first_deal >= c.at(day, 0))
                ):
                    continue
                for node in rule.nodes:
                    owner, note = owner_for(node.owner_role, home)
                    task(home, "date", rule, node, f"date:{c.day_text(day)}:customer:{cid}",
                         c.at(day, 0), owner, note)  # fmt: skip

        # Member activity (customers.activity) and the 沉睡 win-back trigger.
        activity_moments.sort()
        last_active = activity_moments[-1] if activity_moments else None
        activity, activity_since = "non_member", None
        if first_deal is not None:
            fd_day = c.day_of(first_deal)
            after = [m for m in activity_moments if m >= first_deal]
            awake_since = c.at(fd_day + NEW_DAYS, 2 * HOUR)
            for previous, moment in zip(after, after[1:], strict=False):
                p_day = c.day_of(previous)
                if c.day_of(moment) - p_day >= SLEEPING_DAYS:
                    sleep_day = p_day + SLEEPING_DAYS
                    self.sleeping_task(fire, home, cid, sleep_day, c)
                    awake_since = moment
            last_day = c.day_of(after[-1])
            if c.today - fd_day < NEW_DAYS:
                activity, activity_since = "new", first_deal
            elif c.today - last_day < SLEEPING_DAYS:
                activity = "active"
                activity_since = awake_since
            elif c.today - last_day < DEEP_DAYS:
                activity, activity_since = "sleeping", c.at(last_day + SLEEPING_DAYS, 2 * HOUR)
                self.sleeping_task(fire, home, cid, last_day + SLEEPING_DAYS, c)
            else:
                activity, activity_since = "deep_sleep", c.at(last_day + DEEP_DAYS, 2 * HOUR)
                self.sleeping_task(fire, home, cid, last_day + SLEEPING_DAYS, c)
        elif visits_done:
            activity_since = None

        # Membership level: the rolling spend at each pay call or refund, and today.
        level_id, level_since = self.level_for(0), reg
        rows_levels = rows["customers_membershiplevelchange"]
        spend_payments.sort()
        moments = [m for m, _d, _a in spend_payments]
        days = [d for _m, d, _a in spend_payments]
        amounts = [a for _m, _d, a in spend_payments]

        def rolling(moment):
            """sales.membership.rolling_spend at `moment`: spend payments made so far whose
            business day is inside the window ending on that day."""
            start = self.spend_window_start(c.day_of(moment))
            lo, hi = bisect_right(days, start - 1), bisect_right(moments, moment)
            return max(0, sum(amounts[lo:hi]))

        for moment, reason, by in sorted(level_events):
            value = rolling(moment)
            new_level = self.level_for(value)
            if new_level != level_id:
                rows_levels.append(
                    (self.nid("level_change"), org, cid, level_id, new_level, money(value),
                     WINDOW_MONTHS, reason, by, c.ts(moment))
                )  # fmt: skip
                level_id, level_since = new_level, moment
        rolling_now = rolling(c.at(c.today, 2 * HOUR))
        if self.level_for(rolling_now) != level_id:
            new_level = self.level_for(rolling_now)
            moment = c.at(c.today, 2 * HOUR)
            rows_levels.append(
                (self.nid("level_change"), org, cid, level_id, new_level, money(rolling_now),
                 WINDOW_MONTHS, "window", None, c.ts(moment))
            )  # fmt: skip
            level_id, level_since = new_level, moment

        # Future appointments of recently active customers (the desk's coming days).
        if visits_done and last_visit > self.end - 60 * DAY and rng.random() < 0.25:
            day = c.today + rng.randrange(0, 14)
            starts = c.at(day, OPENS + 30 * MINUTE * rng.randrange(18))
            aid = self.nid("appointment")
            purpose = "treatment" if open_courses(c.today) else "consultation"
            made = max(last_visit + HOUR, self.end - rng.randrange(1, 7) * DAY)
            rows["scheduling_appointment"].append(
                (aid, org, home.id, cid, purpose, c.ts(starts), c.ts(starts + HOUR), doctor,
                 consultant, None, "", "", "booked", self.staff(home, "front_desk", rng), None,
                 None, "", c.ts(made), c.ts(made))
            )  # fmt: skip

        # --- rows of the customer's own records ------------------------------------------------
        verified = c.ts(first_visit + 2 * MINUTE) if first_visit and rng.random() < 0.4 else None
        updated = max([reg, *(e[0] for e in level_events[-1:]), last_visit or reg])
        notes = rng.choice(NOTES)
        chosen = set()
        if rng.random() < 0.3:
            chosen = {self.tag_pick(rng) for _n in range(1 + (rng.random() < 0.3))}
            for tag_id in sorted(chosen):
                rows["customers_customer_tags"].append((self.nid("customer_tags"), cid, tag_id))
        tag_keys = tag_keys_of(chosen)
        rows["customers_customer"].append(
            (cid, org, home.id, str(MEMBER_NO_START + index), full_name, salutation, gender,
             c.day(c.day_number(birth)) if birth else None, phone, verified, id_card, channel_id,
             referrer, consultant, online_consultant, doctor, allergies, notes, consent,
             level_id, c.ts(level_since), money(rolling_now), phone[-4:], pinyin, initials,
             created_by, c.ts(reg), c.ts(updated), full_name[1:], tag_keys)
        )  # fmt: skip
        if consent:
            rows["customers_consent"].append(
                (self.nid("consent"), org, cid, w.consent_documents["marketing"], "marketing",
                 "paper" if rng.random() < 0.7 else "online", c.ts(reg), created_by, None, None, "")
            )  # fmt: skip
        open_count = sum(1 for k in courses if k.status == "active" and k.remaining > 0)
        summary_updated = max([reg, *(m for m in activity_moments[-1:])])
        rows["customers_customersummary"].append(
            (cid, org, home.id, visits_done, c.ts_or_none(first_visit), c.ts_or_none(last_visit),
             last_visit_type, deal_count, c.ts_or_none(first_deal), c.ts_or_none(second_deal),
             c.ts_or_none(last_deal), money(spend), money(arrears_total), open_count,
             c.ts_or_none(last_active), activity, c.ts_or_none(activity_since), None, c.empty_json,
             c.ts(summary_updated))
        )  # fmt: skip
        # the links copy the summary's tag facts (CustomerStoreLink.TAG_FACTS) and the
        # customer's list facts and search keys (customers.services.link_copies)
        for store_id, since in sorted(links.items()):
            rows["customers_customerstorelink"].append(
                (self.nid("store_link"), org, cid, store_id, c.ts(since), activity,
                 last_visit_type, deal_count, arrears_total > 0, c.ts(reg), level_id, channel_id,
                 consultant, online_consultant, verified is not None, allergies != "", tag_keys,
                 full_name, full_name[1:], pinyin, initials, phone[-4:])
            )  # fmt: skip
        for order in orders:
            row = order.row
            rows["sales_order"].append(
                (
                    *row[:10],
                    money(row[10]),
                    money(row[11]),
                    money(row[12]),
                    money(row[13]),
                    money(row[14]),
                    money(row[15]),
                    *row[16:24],
                    c.ts(row[24]),
                    c.ts(row[25]),
                    online_consultant,
                    channel_id,
                    order.deal_number,
                )
            )
            rows["sales_orderline"].extend(tuple(line) for line in order.lines)
        for card in cards:
            rows["sales_storedvaluecard"].append(
                (card.id, org, cid, card.item_id, card.store_id, card.line_id, card.card_no,
                 money(card.original), money(card.balance), None, card.status, c.ts(card.created),
                 c.ts(card.updated))
            )  # fmt: skip
        for course in courses:
            rows["treatments_entitlement"].append(
                (course.id, org, course.store_id, cid, course.item.id, course.line_id,
                 course.source_kind, course.total, course.remaining, money(course.unit_value),
                 c.day(course.expires) if course.expires is not None else None, course.status,
                 c.ts(course.created))
            )  # fmt: skip
        self.finish_tasks(rng, rows, cid, tasks, consent, pay_moments, visit_closes,
                          appointment_arrivals, line_refunds)  # fmt: skip

    # --- pieces -----------------------------------------------------------------------------------
    def level_for(self, spend: int):
        reached = None
        for pk, minimum in self.w.levels:
            if minimum <= spend:
                reached = pk
        return reached

    def sleeping_task(self, fire, store, cid, day, c):
        if day <= c.today:
            fire("member_sleeping", store, f"sleeping:{cid}:{c.day_text(day)}", c.at(day, 0))

    def no_show(self, rng, rows, store, cid, day, consultant, fire, front):
        c = self.c
        starts = c.at(day, OPENS + 30 * MINUTE * rng.randrange(18))
        if starts >= self.end:
            return
        aid = self.nid("appointment")
        cancelled = rng.random() < 0.4
        booked_at = starts - rng.randrange(1, 6) * DAY
        if cancelled:
            at = starts - rng.randrange(2, 30) * HOUR
            rows["scheduling_appointment"].append(
                (aid, self.w.org_id, store.id, cid, "consultation", c.ts(starts),
                 c.ts(starts + HOUR), None, consultant, None, "", "", "cancelled", front, None,
                 c.ts(at), rng.choice(["临时有事", "身体不适", "改约其他时间"]), c.ts(booked_at),
                 c.ts(at))
            )  # fmt: skip
            return
        marked = c.at(day, CLOSES + 30 * MINUTE)  # the no-show job after closing
        rows["scheduling_appointment"].append(
            (aid, self.w.org_id, store.id, cid, "consultation", c.ts(starts), c.ts(starts + HOUR),
             None, consultant, None, "", "", "no_show", front, None, None, "", c.ts(booked_at),
             c.ts(marked))
        )  # fmt: skip
        if marked < c.now:
            fire("appointment_missed", store, f"appointment:{aid}", marked)

    def make_order(self, rng, rows, store, cid, vid, consultant, channel_id, day, paid_at,
                   usable_cards, line_amounts):  # fmt: skip
        """sales.services.open_order + submit_order + pay_order's first payment."""
        c = self.c
        money = c.money
        kinds = self.by_kind[store.id]
        n_lines = 1 + min(7, int(rng.expovariate(1 / 3.0)))
        chosen, line_items = set(), []
        for _n in range(n_lines * 2):
            if len(line_items) == n_lines:
                break
            kind = KIND_MIX(rng)
            if kind == "card":
                kind = "stored_value" if rng.random() < 0.6 else "sessions"
            item = kinds[kind](rng)
            if item.id in chosen:
                continue
            chosen.add(item.id)
            line_items.append(item)
        oid = self.nid("order")
        lines, list_total, discount_total = [], 0, 0
        for item in line_items:
            quantity = 1
            if item.kind in ("product", "drug"):
                quantity = 1 + (rng.random() < 0.35) + (rng.random() < 0.1)
            elif item.kind == "service" and rng.random() < 0.15:
                quantity = rng.choice((2, 3, 5))
            gross = item.price * quantity
            discount = 0
            if item.kind != "card" and rng.random() < 0.45:
                discount = (gross * rng.randrange(5, 25) // 100) // 100 * 100  # whole yuan
            amount = gross - discount
            lid = self.nid("order_line")
            line_amounts[lid] = amount
            lines.append([lid, oid, item.id, item.kind, quantity, money(item.price),
                          money(discount), money(amount), 0, money(0), None, None])  # fmt: skip
            list_total += gross
            discount_total += discount
        payable = list_total - discount_total
        # Payment: stored value first (not for buying cards), then money; sometimes arrears.
        due = payable
        money_lines = []
        buys_card = any(i.card_type == "stored_value" for i in line_items)
        if usable_cards and not buys_card and due > 0:
            card = min(usable_cards, key=lambda k: k.id)
            take = min(card.balance, due)
            money_lines.append(("stored_value", take, card))
            due -= take
        arrears = 0
        if due >= 200000 and not buys_card and rng.random() < 0.12:
            part = due * rng.randrange(30, 80) // 100 // 100 * 100
            arrears, due = due - part, part
        if due > 0:
            if due > 100000 and rng.random() < 0.12:
                first = due * rng.randrange(20, 80) // 100 // 100 * 100 or due // 2
                m1 = MONEY_METHODS(rng)
                m2 = MONEY_METHODS(rng)
                if m2 == m1:
                    money_lines.append((m1, due, None))
                else:
                    money_lines.extend(((m1, first, None), (m2, due - first, None)))
            else:
                money_lines.append((MONEY_METHODS(rng), due, None))
        paid = payable - arrears
        submitted = paid_at - rng.randrange(2, 10) * MINUTE
        opened = submitted - rng.randrange(5, 20) * MINUTE
        order_no = f"{c.day_text(day).replace('-', '')}{oid:06d}"
        # The columns of tables.ORDER; amounts stay fen and moments ints until written.
        row = [oid, self.w.org_id, store.id, cid, vid, consultant, order_no, line_items[0].order_type,
               channel_id, "paid", list_total, discount_total, payable, paid, 0, arrears, True, "",
               self.w.deal_definition_id, c.day(day), c.ts(submitted), c.ts(paid_at), "",
               consultant, opened, paid_at]  # fmt: skip
        order = OrderState(oid, row, lines, line_items)
        return order, money_lines, arrears

    def finish_tasks(self, rng, rows, cid, tasks, consent, pay_moments, visit_closes,
                     appointment_arrivals, line_refunds):  # fmt: skip
        """Decide each task's fate and write it (with its call attempts)."""
        c = self.c
        org = self.w.org_id
        now = c.now
        returns = sorted(pay_moments + visit_closes)
        pay_moments = sorted(pay_moments)
        task_rows, attempt_rows = rows["followups_followuptask"], rows["followups_followupattempt"]
        for t in tasks:
            node = t.node
            # What cancels it (followups.triggers), first after it was created.
            cancel_at, reason = None, ""
            if t.kind == "visited_not_paid":
                moments, reason = pay_moments, "paid"
            elif t.kind == "member_sleeping":
                moments, reason = returns, "customer returned"
            elif t.kind == "appointment_missed":
                moments, reason = appointment_arrivals, "appointment kept"
            elif t.kind in ("paid_not_executed", "executed") and t.line_id in line_refunds:
                moments, reason = [line_refunds[t.line_id]], "refunded"
            else:
                moments = ()
            for m in moments:
                if m > t.created:
                    cancel_at = m
                    break
            if cancel_at is not None and cancel_at >= now:
                cancel_at = None
            tid = self.nid("task")
            due = t.due
            status, outcome, satisfaction, reason_code, notes = "pending", "", None, "", ""
            attempts, completed_at, completed_by = [], None, None
            not_reached = 0
            if node.channel == "sms":
                sent = due + rng.randrange(60, 300)
                if sent < now and (cancel_at is None or sent < cancel_at):
                    status, completed_at = "done", sent
                    if t.kind in MARKETING_KINDS and not consent:
                        outcome, notes = "no_consent", "客户未同意接收营销信息,短信未发送"
                    else:
                        outcome, notes = "sms_sent", "系统自动发送短信"
            else:
                overdue_skip = now - due < 3 * DAY and rng.random() < 0.3
                for number in range(3):
                    if due >= now or (number == 0 and overdue_skip):
                        break
                    at = due + rng.randrange(0, 40 * MINUTE)
                    if at >= now or (cancel_at is not None and at >= cancel_at):
                        break
                    draw = rng.random()
                    result = (
                        "reached"
                        if draw < 0.74
                        else ("not_reached" if draw < 0.98 else "wrong_number")
                    )
                    attempts.append((at, result))
                    outcome = result
                    if result == "not_reached":
                        not_reached += 1
                        if number < 2:
                            due = self.next_window_start(at)
                            continue
                    status, completed_at, completed_by = "done", at, t.owner
                    if result == "reached":
                        satisfaction = SATISFACTION(rng)
                        if satisfaction <= 3 and rng.random() < 0.7:
                            reason_code = rng.choice(("effect", "recovery", "pain", "service"))
                        notes = rng.choice(REACHED_NOTES)
                    break
            cancelled_at = None
            if status == "pending" and cancel_at is not None:
                status, cancelled_at = "cancelled", cancel_at
            else:
                reason = ""
            updated = max([t.created, completed_at or 0, cancelled_at or 0,
                           *(a for a, _o in attempts[-1:])])  # fmt: skip
            task_rows.append(
                (tid, org, t.store_id, cid, t.kind, t.rule_id, node.id, t.cause, node.label,
                 node.channel, node.owner_role, t.owner, t.owner_note, t.script, c.ts(due),
                 c.ts(t.due), status, t.item_id, t.execution_id, t.line_id, outcome, satisfaction,
                 reason_code, notes, not_reached, c.ts_or_none(completed_at), completed_by,
                 c.ts_or_none(cancelled_at), reason, None, False, "", None, c.ts(t.created),
                 c.ts(updated))
            )  # fmt: skip
            for at, result in attempts:
                attempt_rows.append(
                    (self.nid("attempt"), org, t.store_id, tid, t.owner, result, c.ts(at))
                )
