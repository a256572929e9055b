"""Demo sales for the demo chain: a deal definition, paid orders (some with arrears), a
stored-value card or two paid from, and a refund. Called by yanzhi/demo/build.py:

    from yanzhi.sales.demo import build_sales
    build_sales(org, stores, staff, customers, by_store)

`staff` maps a role to a list of Staff of that role (or a Staff); `by_store` maps a store id to
its customers. Items come from the catalogue already assigned to each store."""

from decimal import Decimal

from yanzhi.catalog.models import Item, StoreItem
from yanzhi.sales import services
from yanzhi.sales.services import PaymentLine


def _first(staff, role, store):
    people = staff.get(role) or []
    people = people if isinstance(people, list | tuple) else [people]
    for person in people:
        if person.role == "hq" or store in person.stores.all():
            return person
    return people[0] if people else None


def build_sales(org, stores, staff, customers, by_store) -> int:
    """Returns the number of orders created."""
    hq = _first(staff, "hq", None)
    services.set_deal_definition(
        org, order_types=[], min_amount=Decimal("99"), kinds=["service", "product", "drug", "package", "card"], by=hq
    )
    made = 0
    for store in stores:
        consultant = _first(staff, "consultant", store) or _first(staff, "store_manager", store)
        cashier = _first(staff, "cashier", store) or _first(staff, "store_manager", store)
        manager = _first(staff, "store_manager", store)
        if not (consultant and cashier and manager):
            continue
        assigned = Item.objects.filter(
            store_items__in=StoreItem.objects.filter(store=store, is_active=True), is_active=True
        ).order_by("code")
        services_ = list(assigned.filter(kind=Item.Kind.SERVICE)[:6])
        card = assigned.filter(kind=Item.Kind.CARD, card_type=Item.CardType.STORED_VALUE).first()
        people = list(by_store.get(store.pk, []))[:24]
        if not services_ or not people:
            continue
        card_owner = None
        for n, customer in enumerate(people):
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
            services.pay_order(order, payments=payments, idempotency_key=f"demo-{order.pk}", by=cashier)
            if lines[0][0] == getattr(card, "pk", None) and card_owner is None:
                card_owner = customer.stored_value_cards.first()
                spend = services.open_order(customer, store=store, by=consultant, lines=[(services_[0].pk, 1, 0)])
                spend = services.submit_order(spend, by=consultant)
                services.pay_order(
                    spend,
                    payments=[PaymentLine("stored_value", spend.payable_amount, card_id=card_owner.pk)],
                    by=cashier,
                )
                made += 1
            if n == 4:
                services.refund_order(order, full=True, by=manager, reason="顾客改约其他项目")
    return made
