"""Demo sales for the demo chain: a deal definition, paid orders (some with arrears), a
stored-value card or two paid from, and a refund. Called by yanzhi/demo/build.py after the
catalogue, inventory and customers exist:

    from yanzhi.sales.demo import build_sales
    build_sales(self.org, list(self.stores.values()), self.staff, self.customers, self.by_store)

`staff` and `by_store` may be any dicts whose values are Staff or lists of Staff (or dicts of
those, like the demo's code → role → [staff]); each store uses its own consultant, cashier (or
front desk) and manager. `customers` is a list of customers; each store sells to its own.
Items come from the catalogue already assigned to each store."""

from decimal import Decimal

from yanzhi.catalog.models import Item, StoreItem
from yanzhi.customers import membership as membership_levels
from yanzhi.sales import membership, services
from yanzhi.sales.services import PaymentLine

# Membership levels (会员等级) by rolling 12-month spend.
DEMO_LEVELS = [
    ("普通会员", "0"),
    ("银卡会员", "3000"),
    ("金卡会员", "10000"),
    ("钻石会员", "50000"),
]


def _people(*pools) -> list:
    found = {}

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple | set):
            for v in value:
                walk(v)
        elif value is not None and hasattr(value, "role"):
            found[value.pk] = value

    for pool in pools:
        walk(pool)
    return sorted(found.values(), key=lambda s: s.pk)


def _first(people, roles, store):
    for role in roles:
        for person in people:
            if person.role == role and (
                store is None or role == "hq" or store in person.stores.all()
            ):
                return person
    return None


def build_sales(org, stores, staff, customers, by_store) -> int:
    """Returns the number of orders created."""
    people = _people(staff, by_store)
    hq = _first(people, ["hq"], None)
    for rank, (name, amount) in enumerate(DEMO_LEVELS, start=1):
        membership_levels.create_level(org, name=name, min_spend_amount=amount, rank=rank, by=hq)
    services.set_deal_definition(
        org,
        order_types=[],
        min_amount=Decimal("99"),
        kinds=["service", "product", "drug", "package", "card"],
        by=hq,
    )
    made = 0
    for store in stores:
        consultant = _first(people, ["consultant", "store_manager"], store)
        cashier = _first(people, ["cashier", "front_desk", "store_manager"], store)
        manager = _first(people, ["store_manager"], store)
        if not (consultant and cashier and manager):
            continue
        assigned = Item.objects.filter(
            store_items__in=StoreItem.objects.filter(store=store, is_active=True), is_active=True
        ).order_by("code")
        services_ = list(assigned.filter(kind=Item.Kind.SERVICE)[:6])
        card = assigned.filter(kind=Item.Kind.CARD, card_type=Item.CardType.STORED_VALUE).first()
        buyers = [c for c in customers if c.store_id == store.pk][:24]
        if not services_ or not buyers:
            continue
        card_owner = None
        for n, customer in enumerate(buyers):
            item = services_[n % len(services_)]
            lines = [(item.pk, 1 + n % 2, 0)]
            if card is not None and n in (0, 7):
                lines = [(card.pk, 1, 0)]
            order = services.open_order(customer, store=store, by=consultant, lines=lines)
            order = services.submit_order(order, by=consultant)
            made += 1
            if n % 6 == 5:
                continue  # left pending: 待支付
            due = order.payable_amount
            paid = (due * Decimal("0.6")).quantize(Decimal("0.01")) if n % 5 == 3 else due
            payments = [PaymentLine("wechat" if n % 2 else "cash", paid)]
            if card_owner is not None and customer.pk == card_owner.customer_id:
                payments = [PaymentLine("stored_value", paid, card_id=card_owner.pk)]
            services.pay_order(
                order, payments=payments, idempotency_key=f"demo-{order.pk}", by=cashier
            )
            if lines[0][0] == getattr(card, "pk", None) and card_owner is None:
                card_owner = customer.stored_value_cards.first()
                spend = services.open_order(
                    customer, store=store, by=consultant, lines=[(services_[0].pk, 1, 0)]
                )
                spend = services.submit_order(spend, by=consultant)
                services.pay_order(
                    spend,
                    payments=[
                        PaymentLine("stored_value", spend.payable_amount, card_id=card_owner.pk)
                    ],
                    by=cashier,
                )
                made += 1
            if n == 4:
                services.refund_order(order, full=True, by=manager, reason="顾客改约其他项目")
    made += build_approvals(people, stores, customers, hq)
    made += build_promotions(org, people, stores, customers, hq)
    membership.refresh_all(org.pk)  # every demo customer gets the level their spend reaches
    return made


def build_approvals(people, stores, customers, hq) -> int:
    """Every store gives up to 10 % off without approval. In a store with a consultant group, a
    member asks for 15 % (waits for the group leader) and for 35 % (the leader passed it up:
    waits for the store manager), and one approved request has been paid."""
    for store in stores:
        services.set_discount_limit(store, limit_percent="10", by=hq)
    made = 0
    for store in stores:
        member = next(
            (
                p
                for p in people
                if p.role == "consultant"
                and p.group_id
                and p.group.leader_id not in (None, p.pk)
                and store in p.stores.all()
            ),
            None,
        )
        item = (
            Item.objects.filter(
                store_items__store=store, store_items__is_active=True, kind=Item.Kind.SERVICE
            )
            .order_by("-price_amount")
            .first()
        )
        buyers = [c for c in customers if c.store_id == store.pk][24:27]
        if member is None or item is None or len(buyers) < 3:
            continue
        cashier = _first(people, ["cashier", "front_desk", "store_manager"], store)
        price = services.price_lines(store, [(item.pk, 1, 0)])[0].unit_price_amount
        for customer, share, reason in zip(
            buyers,
            ("0.15", "0.35", "0.12"),
            ("老客户转介绍,申请九折以下优惠", "年卡客户续费,申请特别折扣", "生日当月优惠"),
            strict=True,
        ):
            discount = (price * Decimal(share)).quantize(Decimal("0.01"))
            order = services.open_order(
                customer, store=store, by=member, lines=[(item.pk, 1, discount)]
            )
            order = services.submit_order(order, by=member, approval_reason=reason)
            made += 1
            approval = order.approvals.get()
            if share != "0.15":
                services.approve_discount(approval, by=member.group.leader, comment="同意")
            if share == "0.12":
                services.pay_order(
                    order, payments=[PaymentLine("wechat", order.payable_amount)], by=cashier
                )
    return made


def build_promotions(org, people, stores, customers, hq) -> int:
    """Two promotions (活动): 春季焕颜季, chain-wide, two services at 80 % of the HQ price (two per
    customer), with a few paid orders under it in every store, one refunded; and
    沉睡会员复查回馈 in the first store, for 沉睡会员 whose last visit was 复查 (60 %, one per
    customer), sold to such a customer when the demo has one."""
    from datetime import timedelta

    from yanzhi.catalog.promotion_services import create_promotion
    from yanzhi.core.timeutil import store_today
    from yanzhi.customers.models import Customer
    from yanzhi.customers.tags import filter_customers, tag_filter_from

    if not stores:
        return 0
    today = store_today(stores[0])
    chain_items = list(
        Item.objects.filter(org=org, kind=Item.Kind.SERVICE, is_active=True)
        .filter(store_items__store__in=stores, store_items__is_active=True)
        .distinct()
        .order_by("code")[:2]
    )
    if not chain_items:
        return 0
    spring = create_promotion(
        org,
        name="春季焕颜季",
        start_date=today - timedelta(days=20),
        end_date=today + timedelta(days=10),
        items=[
            (i.pk, (i.price_amount * Decimal("0.8")).quantize(Decimal("1")), 2) for i in chain_items
        ],
        description="全店水光、光子类项目八折,每人限购2次",
        by=hq,
    )
    first = stores[0]
    sleeper_tags = {"activities": ["sleeping"], "last_visit_types": ["checkup"]}
    winback = create_promotion(
        org,
        name="沉睡会员复查回馈",
        start_date=today - timedelta(days=5),
        end_date=today + timedelta(days=25),
        store_ids=[first.pk],
        target=sleeper_tags,
        items=[
            (
                chain_items[0].pk,
                (chain_items[0].price_amount * Decimal("0.6")).quantize(Decimal("1")),
                1,
            )
        ],
        description="沉睡会员且最近一次到访为复查,水光类项目六折,每人限购1次",
        by=hq,
    )
    made = 0
    for store in stores:
        consultant = _first(people, ["consultant", "store_manager"], store)
        cashier = _first(people, ["cashier", "front_desk", "store_manager"], store)
        manager = _first(people, ["store_manager"], store)
        buyers = [c for c in customers if c.store_id == store.pk][27:31]
        sold = set(
            StoreItem.objects.filter(store=store, is_active=True, item__in=chain_items).values_list(
                "item_id", flat=True
            )
        )
        if not (consultant and cashier and manager and sold):
            continue
        for n, customer in enumerate(buyers):
            item_id = sorted(sold)[n % len(sold)]
            order = services.open_order(
                customer, store=store, by=consultant, lines=[(item_id, 1, 0, spring.pk)]
            )
            order = services.submit_order(order, by=consultant)
            services.pay_order(
                order, payments=[PaymentLine("wechat", order.payable_amount)], by=cashier
            )
            made += 1
            if n == 3:
                services.refund_order(order, full=True, by=manager, reason="顾客临时出差,改期")
    consultant = _first(people, ["consultant", "store_manager"], first)
    cashier = _first(people, ["cashier", "front_desk", "store_manager"], first)
    sleepers = filter_customers(
        Customer.objects.filter(org=org, store=first), tag_filter_from(sleeper_tags)
    ).order_by("pk")[:1]
    for customer in sleepers:
        order = services.open_order(
            customer, store=first, by=consultant, lines=[(chain_items[0].pk, 1, 0, winback.pk)]
        )
        order = services.submit_order(order, by=consultant)
        services.pay_order(order, payments=[PaymentLine("cash", order.payable_amount)], by=cashier)
        made += 1
    return made
