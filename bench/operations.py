"""The benchmark's operations (issue 6): each picks its inputs from the database it runs on (a
chain made by `manage.py generate_chain`), checks the answer is right, and names the hand-written
SQL that fetches the same rows.

The context takes the busiest store and its staff; inputs are drawn with a fixed seed, so two runs
on the same database ask the same questions."""

import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.test import Client

from bench.harness import Operation, raw_query
from yanzhi.catalog.models import Item, StoreItem
from yanzhi.core.timeutil import store_today
from yanzhi.customers.models import Customer
from yanzhi.customers.queries import CHAIN_LIST_COUNT_LIMIT, SEARCH_LIMIT
from yanzhi.org.models import Staff, Store
from yanzhi.treatments.models import Entitlement
from yanzhi.visits.models import Visit

SAMPLE = 2000


class WrongAnswer(AssertionError):
    pass


RESULT_LINK = re.compile(
    r'class="list-group-item list-group-item-action[^"]*" href="/customers/\d+/"'
)


def search_found(page: str, customer: dict) -> bool:
    """The search results link to the customer, or are a full page of other matches (at a
    million customers 王芳 or the initials wf match more people than the box lists)."""
    return (
        f'href="/customers/{customer["pk"]}/"' in page
        or len(RESULT_LINK.findall(page)) >= SEARCH_LIMIT
    )


def _expect(response, status=200):
    if response.status_code != status:
        body = response.content[:300].decode(errors="replace")
        raise WrongAnswer(f"{response.status_code} (wanted {status}): {body}")
    return response


@dataclass
class Context:
    store: Store
    today: date
    staff: dict[str, Staff]
    customers: list[dict]
    items: list[int]
    entitlements: list[int] = field(default_factory=list)
    in_store: set[int] = field(default_factory=set)
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        if role not in self.clients:
            c = Client()
            c.force_login(self.staff[role], backend="yanzhi.org.backends.StaffBackend")
            self.clients[role] = c
        return self.clients[role]

    def customer(self, i: int) -> dict:
        return self.customers[i % len(self.customers)]


def build_context(seed: int = 2026) -> Context:
    store = (
        Store.objects.filter(is_active=True)
        .annotate(n=Count("customer"))
        .order_by("-n", "pk")
        .first()
    )
    if store is None:
        raise SystemExit("no store: generate a chain first (manage.py generate_chain)")
    staff = {}
    hq = Staff.objects.filter(org_id=store.org_id, role="hq", is_active=True).order_by("pk").first()
    if hq is not None:
        staff["hq"] = hq
    for role in (
        "front_desk",
        "consultant",
        "doctor",
        "customer_service",
        "cashier",
        "store_manager",
    ):
        member = store.staff.filter(role=role, is_active=True).order_by("pk").first()
        if member is not None:
            staff[role] = member
    rng = random.Random(seed)
    ids = list(
        Customer.objects.filter(store=store).order_by("pk").values_list("pk", flat=True)[:50000]
    )
    chosen = sorted(rng.sample(ids, min(SAMPLE, len(ids))))
    customers = list(
        Customer.objects.filter(pk__in=chosen).values(
            "pk", "org_id", "name", "phone", "phone_tail", "name_initials"
        )
    )
    rng.shuffle(customers)
    items = list(
        StoreItem.objects.filter(
            store=store, is_active=True, item__is_active=True, item__kind=Item.Kind.SERVICE
        ).values_list("item_id", flat=True)[:20]
    )
    # courses that stay valid for the run (one expiring today cannot be executed tomorrow,
    # and a run may cross the store's midnight)
    valid = Q(expires_on__isnull=True) | Q(expires_on__gt=store_today(store) + timedelta(days=1))
    entitlements = list(
        Entitlement.objects.filter(
            valid,
            store=store,
            status="active",
            remaining_sessions__gte=3,
            item__kind=Item.Kind.SERVICE,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
    rng.shuffle(entitlements)
    # Customers still in the store (an earlier run's arrivals) cannot arrive again.
    in_store = set(
        Visit.objects.filter(store=store, left_at__isnull=True).values_list(
            "customer_id", flat=True
        )
    )
    return Context(store, store_today(store), staff, customers, items, entitlements, in_store)


def operations(ctx: Context) -> list[Operation]:
    org_id, store_id = ctx.store.org_id, ctx.store.pk
    ops = []

    def search(kind: str, q_of, ref_sql: str, ref_param_of):
        def run(i):
            q = q_of(ctx.customer(i))
            page = _expect(ctx.client("front_desk").get("/customers/search/", {"q": q}))
            if not search_found(page.content.decode(), ctx.customer(i)):
                raise WrongAnswer(f"search {q!r} did not find {ctx.customer(i)['name']}")

        def reference(i):
            return raw_query(ref_sql, (org_id, ref_param_of(ctx.customer(i))))

        return Operation(f"search_{kind}", f"customer search by {kind}", run, reference)

    ops.append(
        search(
            "phone_tail",
            lambda c: c["phone_tail"],
            "SELECT id, name, phone, member_no FROM customers_customer "
            "WHERE org_id = %s AND phone_tail = %s ORDER BY id LIMIT 20",
            lambda c: c["phone_tail"],
        )
    )
    ops.append(
        search(
            "name",
            lambda c: c["name"],
            "SELECT id, name, phone, member_no FROM customers_customer "
            "WHERE org_id = %s AND name = %s ORDER BY id LIMIT 20",
            lambda c: c["name"],
        )
    )
    ops.append(
        search(
            "initials",
            lambda c: c["name_initials"],
            "SELECT id, name, phone, member_no FROM customers_customer "
            "WHERE org_id = %s AND name_initials LIKE %s ORDER BY id LIMIT 20",
            lambda c: c["name_initials"] + "%",
        )
    )

    def customer_360(i):
        c = ctx.customer(i)
        page = _expect(ctx.client("store_manager").get(f"/customers/{c['pk']}/"))
        if c["name"] not in page.content.decode():
            raise WrongAnswer("360 page without the customer's name")

    ops.append(
        Operation(
            "customer_360",
            "customer 360° page",
            customer_360,
            lambda i: raw_query(
                "SELECT c.*, s.* FROM customers_customer c "
                "LEFT JOIN customers_customersummary s ON s.customer_id = c.id WHERE c.id = %s",
                (ctx.customer(i)["pk"],),
            ),
        )
    )

    def today(i):
        _expect(ctx.client("front_desk").get("/"))

    ops.append(
        Operation(
            "today_workbench",
            "today's work (front desk)",
            today,
            lambda i: raw_query(
                "SELECT v.id, v.status, c.name FROM visits_visit v "
                "JOIN customers_customer c ON c.id = v.customer_id "
                "WHERE v.org_id = %s AND v.store_id = %s AND v.day = %s ORDER BY v.arrived_at",
                (org_id, store_id, ctx.today.isoformat()),
            ),
        )
    )

    def appointment_day(i):
        _expect(ctx.client("front_desk").get("/appointments/", {"day": ctx.today.isoformat()}))

    ops.append(
        Operation(
            "appointment_day",
            "appointment day view",
            appointment_day,
            lambda i: raw_query(
                "SELECT a.id, a.starts_at, a.ends_at, c.name FROM scheduling_appointment a "
                "JOIN customers_customer c ON c.id = a.customer_id "
                "WHERE a.org_id = %s AND a.store_id = %s AND a.starts_at >= %s "
                "AND a.starts_at < %s ORDER BY a.starts_at",
                (org_id, store_id, f"{ctx.today} 00:00", f"{ctx.today} 23:59:59"),
            ),
        )
    )

    def followups(i):
        _expect(ctx.client("customer_service").get("/followups/"))

    ops.append(
        Operation(
            "followup_workbench",
            "follow-up workbench",
            followups,
            lambda i: raw_query(
                "SELECT t.id, t.title, t.due_at, c.name FROM followups_followuptask t "
                "JOIN customers_customer c ON c.id = t.customer_id "
                "WHERE t.org_id = %s AND t.owner_id = %s AND t.status = 'pending' "
                "AND t.due_at < %s ORDER BY t.due_at LIMIT 100",
                (org_id, ctx.staff["customer_service"].pk, f"{ctx.today} 23:59:59"),
            ),
        )
    )

    def tagged_list(i):
        _expect(
            ctx.client("store_manager").get(
                "/customers/", {"activity": "sleeping", "last_visit_type": "checkup"}
            )
        )

    # --- reports and insight (HQ over the whole chain; a month = the last full month) ---------
    month_end = ctx.today.replace(day=1) - timedelta(days=1)
    month = {"start": month_end.replace(day=1).isoformat(), "end": month_end.isoformat()}

    def hq_page(name, url, params, label, reference=None):
        def run(i):
            _expect(ctx.client("hq").get(url, params))

        return Operation(name, label, run, reference, group="report")

    if "hq" in ctx.staff:
        refs = report_references(ctx, month_start=month_end.replace(day=1), month_end=month_end)
        ops += [
            hq_page(
                "rfm_overview",
                "/insight/",
                {},
                "RFM and value pyramid over all customers",
                refs["rfm_overview"],
            ),
            hq_page(
                "channel_roi_month",
                "/marketing/channels/",
                month,
                "monthly channel statistics and ROI",
                refs["channel_roi_month"],
            ),
            hq_page(
                "consultant_performance_month",
                "/reports/consultants/",
                month,
                "monthly consultant performance",
                refs["consultant_performance_month"],
            ),
            hq_page(
                "doctor_performance_month",
                "/reports/doctors/",
                month,
                "monthly doctor performance",
            ),
            hq_page(
                "repurchase_window",
                "/marketing/repurchase/",
                {},
                "repurchase window",
                refs["repurchase_window"],
            ),
        ]

    # HQ's API lists over the whole chain (an integrator's first page): each page from an
    # index leading with the organisation; the exact count they also answer is of every row.
    def api_list(path: str):
        def run(i):
            body = _expect(ctx.client("hq").get(f"/api/v1/{path}", {"limit": 50})).json()
            if len(body["items"]) != min(50, body["count"]):
                raise WrongAnswer(f"/api/v1/{path} answered {len(body['items'])} items")

        return run

    if "hq" in ctx.staff:
        for path in ("customers", "orders", "visits", "executions", "followup-tasks"):
            name = "api_chain_" + path.replace("-", "_")
            ops.append(Operation(name, f"GET /api/v1/{path} (HQ, 50)", api_list(path)))

    ops.append(
        Operation(
            "customers_by_tags",
            "customer list: 沉睡会员 last seen for 复查",
            tagged_list,
            # the store's own customers by their summary, its linked ones by their links (the
            # tag facts each carries), the page in the list's order
            lambda i: raw_query(
                "SELECT c.id, c.name FROM customers_customer c WHERE c.id IN ("
                "SELECT customer_id FROM customers_customersummary WHERE org_id = %s "
                "AND store_id = %s AND activity = 'sleeping' AND last_visit_type = 'checkup' "
                "UNION SELECT customer_id FROM customers_customerstorelink WHERE org_id = %s "
                "AND store_id = %s AND activity = 'sleeping' AND last_visit_type = 'checkup') "
                "ORDER BY c.created_at DESC, c.id DESC LIMIT 20",
                (org_id, store_id, org_id, store_id),
            ),
        )
    )

    # A store's customer list, whole and filtered by one column: the manager's page, against
    # what it shows by hand (how many customers match, own and linked: apart, as a link never
    # points at its customer's own store; and the newest 20), each from the indexes leading
    # with the store. The page must state the hand-counted number.
    def store_list(params: dict, own: str, linked: str, values: tuple):
        counted: list[int] = []

        def reference(i):
            both = (org_id, store_id, *values)
            count = raw_query(
                "SELECT (SELECT COUNT(*) FROM customers_customer c WHERE c.org_id = %s "
                f"AND c.store_id = %s{own}) + (SELECT COUNT(*) FROM "
                f"customers_customerstorelink l WHERE l.org_id = %s AND l.store_id = %s{linked})",
                (*both, *both),
            )
            page = raw_query(
                "SELECT c.id, c.name FROM customers_customer c WHERE c.id IN ("
                "SELECT id FROM (SELECT c.id FROM customers_customer c WHERE c.org_id = %s "
                f"AND c.store_id = %s{own} ORDER BY c.created_at DESC, c.id DESC LIMIT 20) AS own "
                "UNION SELECT customer_id FROM (SELECT l.customer_id FROM "
                f"customers_customerstorelink l WHERE l.org_id = %s AND l.store_id = %s{linked} "
                "ORDER BY l.customer_created_at DESC, l.customer_id DESC LIMIT 20) AS linked) "
                "ORDER BY c.created_at DESC, c.id DESC LIMIT 20",
                (*both, *both),
            )
            return count + page

        def run(i):
            if not counted:
                counted.append(reference(i)[0][0])
            page = _expect(ctx.client("store_manager").get("/customers/", params))
            if f"共{counted[0]}位客户".encode() not in page.content:
                raise WrongAnswer(f"the list does not count {counted[0]} customers")

        return run, reference

    def most_common(sql: str) -> int | None:
        rows = raw_query(sql, (org_id, store_id))
        return rows[0][0] if rows else None

    # the store's second level (the first is most customers'), its first channel, the chain's
    # most used tag
    level = most_common(
        "SELECT member_level_id FROM customers_customer WHERE org_id = %s AND store_id = %s "
        "AND member_level_id IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1 OFFSET 1"
    )
    channel = most_common(
        "SELECT source_channel_id FROM customers_customer WHERE org_id = %s AND store_id = %s "
        "AND source_channel_id IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
    )
    tag = most_common(
        "SELECT t.tag_id FROM customers_customer_tags t JOIN customers_customer c "
        "ON c.id = t.customer_id WHERE c.org_id = %s AND c.store_id = %s "
        "GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
    )

    lists = [
        ("customers_of_store", "customer list: the store's newest customers", {}, "", "", ()),
        (
            "customers_of_store_verified",
            "customer list: verified phones",
            {"verified": "1"},
            " AND c.phone_verified_at IS NOT NULL",
            " AND l.phone_verified",
            (),
        ),
        (
            "customers_of_store_allergy",
            "customer list: with allergies",
            {"allergy": "1"},
            " AND c.allergies <> ''",
            " AND l.has_allergy",
            (),
        ),
    ]
    if level is not None:
        lists.append(
            (
                "customers_of_store_level",
                "customer list: one member level",
                {"level": level},
                " AND c.member_level_id = %s",
                " AND l.member_level_id = %s",
                (level,),
            )
        )
    if channel is not None:
        lists.append(
            (
                "customers_of_store_channel",
                "customer list: one source channel",
                {"channel": channel},
                " AND c.source_channel_id = %s",
                " AND l.source_channel_id = %s",
                (channel,),
            )
        )
    if tag is not None:
        lists.append(
            (
                "customers_of_store_tag",
                "customer list: one tag",
                {"tag": tag},
                # the tag's id in the customers' tag keys (Customer.tag_keys) and the links'
                " AND c.tag_keys LIKE %s",
                " AND l.tag_keys LIKE %s",
                (f"%,{tag},%",),
            )
        )
    for name, label, params, own, linked, values in lists:
        run, reference = store_list(params, own, linked, values)
        ops.append(Operation(name, label, run, reference))

    # The chain's customer list (HQ), whole and filtered: counted up to the list's limit
    # (queries.CHAIN_LIST_COUNT_LIMIT), the newest 20 from the (org, created_at) index.
    def chain_list(params: dict, where: str, values: tuple):
        limit = CHAIN_LIST_COUNT_LIMIT
        counted: list[int] = []

        def reference(i):
            count = raw_query(
                "SELECT COUNT(*) FROM (SELECT 1 FROM customers_customer c WHERE c.org_id = %s"
                f"{where} LIMIT %s) AS found",
                (org_id, *values, limit + 1),
            )
            page = raw_query(
                f"SELECT c.id, c.name FROM customers_customer c WHERE c.org_id = %s{where} "
                "ORDER BY c.created_at DESC, c.id DESC LIMIT 20",
                (org_id, *values),
            )
            return count + page

        def run(i):
            if not counted:
                counted.append(reference(i)[0][0])
            page = _expect(ctx.client("hq").get("/customers/", params))
            found = counted[0]
            said = f"超过{limit}位客户" if found > limit else f"共{found}位客户"
            if said.encode() not in page.content:
                raise WrongAnswer(f"the chain's list does not say {said}")

        return run, reference

    if "hq" in ctx.staff:
        chain_lists = [
            ("customers_of_chain", "chain customer list (HQ): the newest", {}, "", ()),
            (
                "customers_of_chain_verified",
                "chain customer list (HQ): verified phones",
                {"verified": "1"},
                " AND c.phone_verified_at IS NOT NULL",
                (),
            ),
        ]
        if tag is not None:
            chain_lists.append(
                (
                    "customers_of_chain_tag",
                    "chain customer list (HQ): one tag",
                    {"tag": tag},
                    " AND c.tag_keys LIKE %s",
                    (f"%,{tag},%",),
                )
            )
        for name, label, params, where, values in chain_lists:
            run, reference = chain_list(params, where, values)
            ops.append(Operation(name, label, run, reference))

    # --- writes (each iteration changes the database: run on a bench copy) -------------------
    arrivals = iter([c for c in ctx.customers if c["pk"] not in ctx.in_store])
    arrived: dict[int, int] = {}

    def register_arrival(i):
        customer = next(arrivals)
        visit = _expect(
            ctx.client("front_desk").post(
                "/api/v1/visits",
                json.dumps({"customer_id": customer["pk"], "store_id": store_id}),
                content_type="application/json",
            ),
            201,
        ).json()
        arrived[i] = visit["id"]

    def leave(i):
        # the benchmark's arrivals leave again, or every run would make today's page busier
        url = f"/api/v1/visits/{arrived.pop(i)}/leave"
        _expect(ctx.client("front_desk").post(url, "{}", content_type="application/json"))

    ops.append(
        Operation(
            "register_arrival",
            "register an arrival",
            register_arrival,
            group="write",
            teardown=leave,
        )
    )

    def open_order(i):
        customer = ctx.customer(i)
        # the front desk opens it (a consultant would see only their own customers)
        return _expect(
            ctx.client("front_desk").post(
                "/api/v1/orders",
                json.dumps(
                    {
                        "customer_id": customer["pk"],
                        "store_id": store_id,
                        "lines": [{"item_id": ctx.items[i % len(ctx.items)], "quantity": 1}],
                        "submit": True,
                    }
                ),
                content_type="application/json",
            ),
            201,
        ).json()

    def pay_order(order):
        _expect(
            ctx.client("cashier" if "cashier" in ctx.staff else "store_manager").post(
                f"/api/v1/orders/{order['id']}/pay",
                json.dumps({"payments": [{"method": "wechat", "amount": order["payable_amount"]}]}),
                content_type="application/json",
            )
        )

    opened: dict[int, dict] = {}

    def open_one_to_pay(i):
        opened[i] = open_order(i)

    ops += [
        Operation("open_order", "open an order", open_order, group="write"),
        Operation(
            "pay_order",
            "pay an order",
            lambda i: pay_order(opened.pop(i)),
            group="write",
            setup=open_one_to_pay,
        ),
        Operation(
            "open_and_pay_order",
            "open and pay an order",
            lambda i: pay_order(open_order(i)),
            group="write",
        ),
    ]

    def execute(i):
        entitlement = ctx.entitlements[i % len(ctx.entitlements)]
        _expect(
            ctx.client("doctor").post(
                "/api/v1/executions",
                json.dumps({"entitlement_id": entitlement, "store_id": store_id}),
                content_type="application/json",
            ),
            201,
        )

    if ctx.entitlements and "doctor" in ctx.staff:
        ops.append(Operation("execute_session", "execute a session", execute, group="write"))
    return ops


def report_references(ctx: Context, *, month_start: date, month_end: date) -> dict:
    """Hand-written SQL for the rows of each report's heaviest statement (PostgreSQL; on
    SQLite the reports have no reference): what a developer would write by hand for the same
    figures, to compare the query shape with."""
    from django.db import connection

    names = ("rfm_overview", "channel_roi_month", "consultant_performance_month")
    names += ("repurchase_window",)
    if connection.vendor != "postgresql":
        return dict.fromkeys(names)
    org_id, today = ctx.store.org_id, ctx.today
    zone = ctx.store.timezone

    def rfm(i):
        # the customers and spend per age band, RFM segment, class and growth type (the page's
        # largest aggregate; the typical items and departments come from the kept totals)
        return raw_query(
            "SELECT age_band, rfm_segment, abc_class, growth_type, deal_count > 0, COUNT(*), "
            "SUM(total_spend_amount) FROM insight_customerscore WHERE org_id = %s "
            "GROUP BY 1, 2, 3, 4, 5",
            (org_id,),
        )

    def channel_roi(i):
        # the month's spend by the customers' source channel
        return raw_query(
            "SELECT c.source_channel_id, SUM(p.amount) FROM sales_payment p "
            "JOIN sales_order o ON o.id = p.order_id JOIN customers_customer c "
            "ON c.id = o.customer_id WHERE p.org_id = %s AND p.business_date BETWEEN %s AND %s "
            "AND p.method IN ('bank_card', 'alipay', 'wechat', 'cash') GROUP BY 1",
            (org_id, month_start, month_end),
        )

    def consultants(i):
        # per consultant: the month's deals and money, in one pass over the month's orders
        return raw_query(
            "SELECT o.consultant_id, COUNT(DISTINCT o.id) FILTER (WHERE o.is_deal), "
            "SUM(p.amount) FROM sales_order o LEFT JOIN sales_payment p ON p.order_id = o.id "
            "AND p.business_date BETWEEN %s AND %s WHERE o.org_id = %s "
            "AND o.business_date BETWEEN %s AND %s AND o.status IN ('paid', 'refunded') "
            "GROUP BY 1",
            (month_start, month_end, org_id, month_start, month_end),
        )

    first_month = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    counts = ["COUNT(*)", "COUNT(*) FILTER (WHERE second_deal_at IS NOT NULL)"]
    counts.append("COUNT(*) FILTER (WHERE second_deal_at > first_deal_at + interval '360 days')")
    for k in range(1, 13):
        upto = f"second_deal_at <= first_deal_at + interval '{30 * k} days'"
        after = f"second_deal_at > first_deal_at + interval '{30 * (k - 1)} days'"
        closed = f"first_deal_at <= now() - interval '{30 * k} days'"
        counts += [
            f"COUNT(*) FILTER (WHERE {after} AND {upto})",
            f"COUNT(*) FILTER (WHERE {closed})",
            f"COUNT(*) FILTER (WHERE {closed} AND {upto})",
        ]

    def repurchase(i):
        # the cohort of the last twelve months: when its customers bought a second time
        return raw_query(
            f"SELECT {', '.join(counts)} FROM customers_customersummary WHERE org_id = %s "
            "AND first_deal_at >= (%s::date)::timestamp AT TIME ZONE %s "
            "AND first_deal_at < (%s::date + 1)::timestamp AT TIME ZONE %s",
            (org_id, first_month, zone, today, zone),
        )

    return dict(zip(names, (rfm, channel_roi, consultants, repurchase), strict=True))
