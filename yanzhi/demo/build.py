"""The demo chain, built through the services, so summaries, audit rows and rules are what real
use produces. Two shortcuts, both for the past only: appointments before now are inserted as
booked rows (booking refuses the past) and then arrive through the arrival service; and record
timestamps of past consultations, diagnoses and medical records are moved back to their visit."""

import io
import random
from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from PIL import Image, ImageDraw

from yanzhi.catalog.demo import build_catalog
from yanzhi.clinical import services as clinical
from yanzhi.clinical.models import Consultation, Diagnosis, MedicalRecord, Photo
from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_datetime, store_now, store_today
from yanzhi.customers import services as customers
from yanzhi.customers.models import ConsentDocument, Customer, CustomerSummary, SourceChannel
from yanzhi.demo.people import PersonMaker
from yanzhi.followups.demo import build_followups
from yanzhi.insight.scoring import refresh_scores
from yanzhi.inventory.demo import build_inventory
from yanzhi.marketing.demo import build_marketing
from yanzhi.org import services as org_services
from yanzhi.org.models import Department, Organization, StaffGroup, Store
from yanzhi.sales.demo import build_sales
from yanzhi.scheduling import services as scheduling
from yanzhi.scheduling.models import Appointment, Room
from yanzhi.scheduling.queries import is_available
from yanzhi.visits import services as visits
from yanzhi.visits.models import Visit

DEMO_PASSWORD = "Yanzhi-demo-2026"

STORES = [
    ("A", "静安旗舰店", "上海市静安区南京西路1266号", time(9, 30), time(21, 0)),
    ("B", "浦东陆家嘴店", "上海市浦东新区世纪大道88号", time(10, 0), time(21, 0)),
    ("C", "杭州西湖店", "杭州市西湖区文三路259号", time(10, 0), time(20, 30)),
]
DEPARTMENTS = ["皮肤科", "微整科", "整形外科", "口腔科", "毛发"]

# (username, name, role, store codes, department, title); the first ten are printed by scripts/run.
STAFF = [
    ("hq", "王总", "hq", [], None, "总经理"),
    ("manager_a", "林店长", "store_manager", ["A"], None, "店长"),
    ("front_a", "李前台", "front_desk", ["A"], None, "导医"),
    ("consultant_a", "张敏", "consultant", ["A"], None, "高级咨询师"),
    ("doctor_a", "赵医生", "doctor", ["A"], "皮肤科", "主治医师"),
    ("nurse_a", "孙护士", "nurse", ["A"], "皮肤科", "护士"),
    ("service_a", "吴客服", "customer_service", ["A"], None, "客服专员"),
    ("cashier_a", "周收银", "cashier", ["A"], None, "收银员"),
    ("online_a", "陈网电", "online_consultant", ["A"], None, "网电咨询师"),
    ("consultant_b", "郑咨询", "consultant", ["B"], None, "咨询师"),
    ("consultant_a2", "刘芳", "consultant", ["A"], None, "咨询师"),
    ("consultant_a3", "黄婷", "consultant", ["A"], None, "咨询师"),
    ("doctor_a2", "钱医生", "doctor", ["A"], "微整科", "副主任医师"),
    ("doctor_a3", "韩医生", "doctor", ["A"], "整形外科", "主任医师"),
    ("nurse_a2", "冯护士", "nurse", ["A"], "微整科", "治疗师"),
    ("manager_b", "何店长", "store_manager", ["B"], None, "店长"),
    ("front_b", "许前台", "front_desk", ["B"], None, "导医"),
    ("consultant_b2", "唐咨询", "consultant", ["B"], None, "咨询师"),
    ("doctor_b", "宋医生", "doctor", ["B"], "皮肤科", "主治医师"),
    ("nurse_b", "邓护士", "nurse", ["B"], "皮肤科", "护士"),
    ("service_b", "曹客服", "customer_service", ["B"], None, "客服专员"),
    ("cashier_b", "彭收银", "cashier", ["B"], None, "收银员"),
    ("manager_c", "曾店长", "store_manager", ["C"], None, "店长"),
    ("front_c", "肖前台", "front_desk", ["C"], None, "导医"),
    ("consultant_c", "田咨询", "consultant", ["C"], None, "咨询师"),
    ("doctor_c", "董医生", "doctor", ["C"], "皮肤科", "主治医师"),
    ("nurse_c", "袁护士", "nurse", ["C"], "皮肤科", "护士"),
    ("cashier_c", "蒋收银", "cashier", ["C"], None, "收银员"),
]


def build_org():
    org = Organization.objects.create(name="悦颜医美连锁", code="yueyan")
    stores = {
        code: Store.objects.create(
            org=org,
            code=code,
            name=name,
            address=address,
            opens_at=opens,
            closes_at=closes,
            phone="021-6288" + str(1000 + i),
        )
        for i, (code, name, address, opens, closes) in enumerate(STORES)
    }
    departments = {name: Department.objects.create(org=org, name=name) for name in DEPARTMENTS}
    return org, stores, departments


def build_staff(org, stores, departments):
    staff = {}
    for username, name, role, store_codes, department, title in STAFF:
        staff[username] = org_services.create_staff(
            org,
            username=username,
            name=name,
            role=role,
            stores=[stores[c] for c in store_codes],
            password=DEMO_PASSWORD,
            by=None,
            title=title,
            department=departments.get(department) if department else None,
        )
    # Consultant group in store A: 张敏 leads 刘芳 and 黄婷 (she sees their customers too).
    group = StaffGroup.objects.create(
        org=org, store=stores["A"], name="静安咨询一组", leader=staff["consultant_a"]
    )
    for username in ("consultant_a", "consultant_a2", "consultant_a3"):
        staff[username].group = group
        staff[username].save(update_fields=["group"])
    return staff


CHANNELS = [
    ("美团点评", SourceChannel.Kind.ECOMMERCE),
    ("新氧", SourceChannel.Kind.ECOMMERCE),
    ("天猫旗舰店", SourceChannel.Kind.ECOMMERCE),
    ("京东健康", SourceChannel.Kind.ECOMMERCE),
    ("小红书达人", SourceChannel.Kind.INFLUENCER),
    ("抖音直播", SourceChannel.Kind.INFLUENCER),
    ("老带新", SourceChannel.Kind.REFERRAL),
    ("400电话", SourceChannel.Kind.ONLINE),
    ("自然到店", SourceChannel.Kind.WALK_IN),
]
TAGS = [
    ("VIP", "#b8860b"),
    ("敏感肌", "#dc3545"),
    ("价格敏感", "#6c757d"),
    ("手术意向", "#8a3f6b"),
    ("抗衰需求", "#0d6efd"),
    ("网红推荐", "#20c997"),
]
ALLERGIES = ["青霉素过敏", "利多卡因过敏", "对透明质酸钠有过敏史", "海鲜过敏", "花粉过敏,皮肤易红"]
ITEMS = [
    "光子嫩肤",
    "水光针",
    "热玛吉",
    "超皮秒祛斑",
    "玻尿酸填充",
    "肉毒素除皱",
    "双眼皮手术",
    "激光脱毛",
    "果酸焕肤",
    "隆鼻咨询",
    "牙齿美白",
    "植发咨询",
]
DEMANDS = [
    "想改善面部暗沉和毛孔粗大",
    "两颊有色斑,想淡化",
    "法令纹明显,希望年轻一些",
    "想做双眼皮,担心恢复期",
    "皮肤松弛,想做紧致提升",
    "痘印和痘坑比较多",
    "想了解脱毛疗程",
]
FINDINGS = [
    "面部肤色不均,颧部散在色素沉着,毛孔粗大",
    "鼻唇沟中度凹陷,皮肤弹性一般",
    "上睑皮肤松弛,内眦赘皮轻度",
    "T区油脂分泌旺盛,散在炎性丘疹",
    "面颊浅层色斑,边界清楚",
]
MEDICAL_CONSENT = (
    "本人同意悦颜医美为诊疗目的收集、保存和使用本人的病历资料及治疗前后照片;"
    "资料仅限为本人提供服务的医护人员在授权范围内查阅,不用于宣传。本人可随时书面撤回本同意。"
)
MARKETING_CONSENT = "本人同意接收悦颜医美的活动通知、优惠信息和节日问候短信,可随时退订。"


def _demo_image(text: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    image = Image.new("RGB", (480, 360), color)
    ImageDraw.Draw(image).text((20, 20), text, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


class DemoBuilder:
    def __init__(self, *, seed: int, log):
        self.rng = random.Random(seed)
        self.people = PersonMaker(seed)
        self.log = log

    # --- master data ----------------------------------------------------------------------------
    def build_master_data(self):
        self.org, self.stores, self.departments = build_org()
        self.staff = build_staff(self.org, self.stores, self.departments)
        self.items = build_catalog(self.org, self.stores, self.departments, by=self.staff["hq"])
        hq = self.staff["hq"]
        self.channels = [
            customers.create_channel(self.org, name=n, kind=k, by=hq) for n, k in CHANNELS
        ]
        self.tags = [customers.create_tag(self.org, name=n, color=c, by=hq) for n, c in TAGS]
        customers.create_consent_document(
            self.org,
            kind=ConsentDocument.Kind.MEDICAL,
            title="医疗数据与照片使用知情同意书",
            body=MEDICAL_CONSENT,
            by=hq,
        )
        customers.create_consent_document(
            self.org,
            kind=ConsentDocument.Kind.MARKETING,
            title="营销信息接收同意书",
            body=MARKETING_CONSENT,
            by=hq,
        )
        build_inventory(
            self.org,
            list(self.stores.values()),
            {s.stores.first().code: s for s in self.staff.values() if s.role == "store_manager"},
        )
        self.by_store = {
            code: {
                role: [s for s in self.staff.values() if s.role == role and store in s.stores.all()]
                for role in ("front_desk", "consultant", "doctor", "nurse", "store_manager")
            }
            for code, store in self.stores.items()
        }

    def build_roster(self, today):
        hq = self.staff["hq"]
        early = scheduling.create_shift_type(
            self.org,
            name="早班",
            starts_at=time(9, 30),
            ends_at=time(18, 0),
            color="#0d6efd",
            by=hq,
        )
        late = scheduling.create_shift_type(
            self.org,
            name="晚班",
            starts_at=time(12, 30),
            ends_at=time(21, 0),
            color="#6f42c1",
            by=hq,
        )
        lunch = scheduling.create_shift_type(
            self.org,
            name="午休",
            starts_at=time(12, 0),
            ends_at=time(13, 0),
            is_rest=True,
            color="#adb5bd",
            by=hq,
        )
        days = [today + timedelta(days=d) for d in range(-30, 15)]
        self.rooms = {}
        for code, store in self.stores.items():
            manager = self.by_store[code]["store_manager"][0]
            self.rooms[code] = [
                scheduling.create_room(store, name=name, kind=kind, by=manager)
                for name, kind in (
                    ("面诊室1", Room.Kind.ROOM),
                    ("治疗室1", Room.Kind.ROOM),
                    ("治疗室2", Room.Kind.ROOM),
                    ("热玛吉仪器", Room.Kind.DEVICE),
                )
            ]
            people = [s for s in self.staff.values() if store in s.stores.all() and s.role != "hq"]
            for i, person in enumerate(people):
                # Everyone rests one weekday; early and late shifts alternate by person.
                rest_weekday = i % 7
                work_days = [d for d in days if d.weekday() != rest_weekday]
                shift = early if i % 2 == 0 else late
                if store.opens_at > shift.starts_at or store.closes_at < shift.ends_at:
                    # This store opens later / closes earlier: a rest-shift-only roster, i.e.
                    # all opening hours except lunch are working time (休息班).
                    shift = lunch
                scheduling.assign_shifts(
                    store, staff_ids=[person.pk], days=work_days, shift_type=shift, by=manager
                )

    # --- customers -----------------------------------------------------------------------------
    def build_customers(self, count: int, today):
        codes = self.rng.choices(list(self.stores), weights=(5, 3, 2), k=count)
        self.customers = []
        for code in codes:
            store = self.stores[code]
            team = self.by_store[code]
            gender = self.people.gender()
            name = self.people.name(gender)
            birth = self.people.birth_date(today)
            with_id = self.rng.random() < 0.6
            referrer = (
                self.rng.choice(self.customers)
                if self.customers and self.rng.random() < 0.1
                else None
            )
            channel = (
                next(c for c in self.channels if c.name == "老带新")
                if referrer
                else self.rng.choice(self.channels)
            )
            customer = customers.create_customer(
                self.org,
                store=store,
                by=self.rng.choice(team["front_desk"]),
                name=name,
                phone=self.people.mobile(),
                gender=gender,
                birth_date=None if with_id else birth,
                id_card=self.people.id_card(birth, gender) if with_id else "",
                source_channel=channel,
                referrer=referrer,
                consultant=self.rng.choice(team["consultant"]),
                doctor=self.rng.choice(team["doctor"]),
                online_consultant=self.staff["online_a"]
                if code == "A" and self.rng.random() < 0.3
                else None,
                allergies=self.rng.choice(ALLERGIES) if self.rng.random() < 0.08 else "",
                tags=self.rng.sample(self.tags, self.rng.choice((0, 0, 1, 1, 2))),
                marketing_consent=self.rng.random() < 0.7,
            )
            if self.rng.random() < 0.85:
                customers.record_consent(
                    customer,
                    kind=ConsentDocument.Kind.MEDICAL,
                    method="paper",
                    by=self.rng.choice(team["front_desk"]),
                )
            customer.store_code = code
            self.customers.append(customer)

    # --- history -----------------------------------------------------------------------------------
    def _visit_times(self, store, day, hour_offset=0.0):
        start = datetime.combine(day, store.opens_at) + timedelta(
            minutes=30
            + self.rng.randrange(
                0,
                int(
                    (
                        datetime.combine(day, store.closes_at)
                        - datetime.combine(day, store.opens_at)
                    ).seconds
                    / 60
                )
                - 180,
                15,
            )
        )
        return store_datetime(store, day, start.time())

    def _history_visit(self, customer, store, arrive_at, *, leave_too=True):
        team = self.by_store[
            customer.store_code if store.code == customer.store_code else store.code
        ]
        front = self.rng.choice(team["front_desk"])
        slot = (arrive_at - timedelta(minutes=5), arrive_at + timedelta(minutes=25))
        consultant = self._on_shift(store, team["consultant"], customer.consultant, slot)
        doctor = self._on_shift(store, team["doctor"], customer.doctor, slot)
        purpose = self.rng.choice(["consultation", "treatment", "treatment", "checkup"])
        appointment = (
            Appointment.objects.create(
                org_id=self.org.pk,
                store=store,
                customer=customer,
                purpose=purpose,
                starts_at=arrive_at - timedelta(minutes=5),
                ends_at=arrive_at + timedelta(minutes=25),
                doctor=doctor,
                consultant=consultant,
                items=self.rng.choice(ITEMS),
                booked_by=front,
            )
            if self.rng.random() < 0.75
            else None
        )
        visit = visits.register_arrival(
            store, customer=customer, by=front, appointment=appointment, arrived_at=arrive_at
        )
        if not leave_too and self.rng.random() < 0.4:
            return visit  # still waiting in the queue
        visits.triage(visit, consultant=consultant, doctor=doctor, by=front)
        Visit.objects.filter(pk=visit.pk).update(triaged_at=arrive_at + timedelta(minutes=2))
        minute = timedelta(minutes=1)
        now = timezone.now()

        def stage(name, who, at):
            # Today's visits only get the stages that already happened.
            if at <= now:
                visits.record_stage(visit, stage=name, by=who, at=at)

        stage("escorted", front, arrive_at + 4 * minute)
        stage("diagnosed", doctor, arrive_at + 25 * minute)
        stamp = arrive_at + 15 * minute
        demand = self.rng.choice(DEMANDS)
        consultation = clinical.start_consultation(
            customer,
            by=consultant,
            visit=visit,
            demands=demand,
            recommended_items=self.rng.choice(ITEMS),
            notes=f"客户诉求:{demand}。已介绍方案及恢复期注意事项。",
        )
        if leave_too or self.rng.random() < 0.5:
            clinical.finalize_consultation(
                consultation, outcome=self.rng.choice(["treat_today", "think_over"]), by=consultant
            )
        Consultation.objects.filter(pk=consultation.pk).update(created_at=stamp, updated_at=stamp)
        diagnosis = clinical.record_diagnosis(
            customer,
            by=doctor,
            visit=visit,
            findings=self.rng.choice(FINDINGS),
            plan_items=self.rng.choice(ITEMS),
            plan_effect="改善明显,需2-3次疗程",
            plan_price_amount=self.rng.choice(["2980.00", "6800.00", "12800.00", "980.00"]),
            plan_duration="每月一次,共3次",
        )
        Diagnosis.objects.filter(pk=diagnosis.pk).update(created_at=stamp + 10 * minute)
        try:
            record = clinical.create_medical_record(
                customer,
                by=doctor,
                visit=visit,
                chief_complaint=demand,
                present_illness="无特殊不适,近期未使用光敏药物",
                past_history="否认高血压、糖尿病史",
                examination=diagnosis.findings,
                diagnosis="面部皮肤老化/色素沉着",
                treatment=diagnosis.plan_items,
                advice="术后72小时内避免高温及剧烈运动,注意防晒",
            )
        except BusinessError:  # no medical consent: no record, as in real life
            record = None
        else:
            clinical.sign_medical_record(record, by=doctor)
            MedicalRecord.objects.filter(pk=record.pk).update(created_at=stamp + 20 * minute)
            if self.rng.random() < 0.08:
                nurse = self.rng.choice(team["nurse"])
                for kind, color in (("before", (160, 120, 110)), ("after", (200, 160, 150))):
                    clinical.upload_photo(
                        customer,
                        by=nurse,
                        visit=visit,
                        kind=kind,
                        body_area="面部",
                        file=_demo_image(f"{kind} {customer.member_no}", color),
                    )
                Photo.objects.filter(visit=visit).update(created_at=stamp + 30 * minute)
        left_at = arrive_at + self.rng.randint(90, 150) * minute
        if leave_too and left_at <= now:
            if self.rng.random() < 0.6:
                stage("treated", doctor, arrive_at + 45 * minute)
                stage("post_care", front, arrive_at + 80 * minute)
            visits.leave(visit, by=front, at=left_at)
        return visit

    def _on_shift(self, store, candidates, preferred, slot):
        """The customer's own consultant/doctor if rostered then, else a colleague who is."""
        ordered = ([preferred] if preferred in candidates else []) + candidates
        for person in ordered:
            if is_available(person, store, *slot):
                return person
        return ordered[0]

    def build_history(self, today):
        events = []
        for customer in self.customers:
            for _ in range(
                min(int(self.rng.paretovariate(1.3)) - 1, 8) + (1 if self.rng.random() < 0.7 else 0)
            ):
                events.append((today - timedelta(days=self.rng.randint(1, 120)), customer))
        events.sort(key=lambda e: (e[0], e[1].pk))
        seen_day = set()
        for day, customer in events:
            if (day, customer.pk) in seen_day:
                continue
            seen_day.add((day, customer.pk))
            store = self.stores[customer.store_code]
            self._history_visit(customer, store, self._visit_times(store, day))
        return len(seen_day)

    def build_today(self, today):
        """Today's board: arrivals so far (some still waiting or with the doctor), bookings later."""
        count = 0
        for code, store in self.stores.items():
            now = store_now(store)
            pool = [c for c in self.customers if c.store_code == code]
            self.rng.shuffle(pool)
            team = self.by_store[code]
            slot = store_datetime(store, today, store.opens_at) + timedelta(minutes=30)
            closing = store_datetime(store, today, store.closes_at) - timedelta(hours=1)
            for customer in pool[:14]:
                slot += timedelta(minutes=self.rng.choice((30, 40, 50)))
                if slot >= closing:
                    break
                if slot < now - timedelta(minutes=10):
                    self._history_visit(customer, store, slot, leave_too=self.rng.random() < 0.5)
                    count += 1
                    continue
                if slot < now + timedelta(minutes=10):
                    continue
                count += self._book(store, team, customer, slot)
        return count

    def _book(self, store, team, customer, starts_at) -> int:
        doctor = (
            customer.doctor
            if customer.doctor in team["doctor"]
            else self.rng.choice(team["doctor"])
        )
        consultant = customer.consultant if customer.consultant in team["consultant"] else None
        try:
            scheduling.book_appointment(
                store,
                customer=customer,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=60),
                purpose=self.rng.choice(["consultation", "treatment", "checkup"]),
                doctor=doctor,
                consultant=consultant,
                items=self.rng.choice(ITEMS),
                by=self.rng.choice(team["front_desk"]),
            )
        except BusinessError:
            return 0  # the slot clashes with the roster or another booking: skip it, as staff would
        return 1

    def build_future(self, today):
        count = 0
        for code, store in self.stores.items():
            pool = [c for c in self.customers if c.store_code == code]
            team = self.by_store[code]
            for offset in range(1, 15):
                day = today + timedelta(days=offset)
                for customer in self.rng.sample(pool, min(len(pool), 4)):
                    count += self._book(store, team, customer, self._visit_times(store, day))
        return count


def build_demo(*, customers: int = 300, seed: int = 2026, log=print) -> str:
    builder = DemoBuilder(seed=seed, log=log)
    builder.build_master_data()
    today = store_today(builder.stores["A"])
    builder.build_roster(today)
    log(f"chain {builder.org.name}: {len(builder.stores)} stores, {len(builder.staff)} staff")
    builder.build_customers(customers, today)
    log(f"{len(builder.customers)} customers")
    past = builder.build_history(today)
    # Customers registered before their first visit (the services stamp them "now").
    first_visit = CustomerSummary.objects.filter(customer=OuterRef("pk")).values("first_visit_at")
    Customer.objects.filter(org=builder.org, summary__first_visit_at__isnull=False).update(
        created_at=Subquery(first_visit) - timedelta(days=3)
    )
    log(f"{past} past visits with consultations, diagnoses and medical records")
    todays = builder.build_today(today)
    future = builder.build_future(today)
    log(f"{todays} of today's arrivals and bookings, {future} future appointments")
    orders = build_sales(
        builder.org,
        list(builder.stores.values()),
        builder.staff,
        builder.customers,
        builder.by_store,
    )
    log(f"{orders} orders (paid, with arrears, stored-value cards, a refund)")
    vouchers = build_marketing(builder.org, list(builder.stores.values()), builder.customers)
    log(f"channel costs for three months; {vouchers} platform vouchers verified")
    followups = build_followups(builder.org, builder.stores["A"], builder.staff)
    log(f"follow-up rules installed; {followups} follow-up tasks due today in store A")
    # The insight pages read the scores the morning job computes; compute them once now.
    scored = refresh_scores(builder.org, day=today)
    log(f"{scored} customers scored (RFM segments, value classes, growth types, age bands)")
    return f"{len(builder.stores)} stores, {len(builder.staff)} staff, {len(builder.customers)} customers, {past} past visits"
