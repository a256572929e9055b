"""The deal rule (成交), as one pure function.

An order is a deal when EVERY condition of the chain's definition holds:
1. its order type is one of the definition's types (an empty list means any type);
2. it has at least one line of an enabled item kind (服务项目/商品/药品/套餐/卡项 switches);
3. the amount of its lines of enabled kinds (after discounts) is at least the minimum, and
   more than zero (a free order is never a deal, whatever the minimum).

Seed examples: clinic A (医美, minimum 0) — a ¥999 hydration card is a deal; clinic B (医美,
minimum 99) — a ¥79 festive bag is not. The deal is decided once, at the order's first payment,
under the definition then in force; later changes to the definition and later refunds leave it
as it was (老数据保持不变,之前算成交的订单还是算成交).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DealFacts:
    order_type: str
    lines: tuple[tuple[str, Decimal], ...]  # (item kind, line amount)


def facts_of(order) -> DealFacts:
    return DealFacts(order.order_type, tuple((ln.kind, ln.amount) for ln in order.lines.all()))


def deal_amount(facts: DealFacts, enabled_kinds: Iterable[str]) -> Decimal:
    enabled = set(enabled_kinds)
    return sum((amount for kind, amount in facts.lines if kind in enabled), Decimal("0.00"))


def is_deal(order, definition) -> bool:
    """`order`: an Order or DealFacts; `definition`: a DealDefinition (or anything with
    order_types, min_amount and enabled_kinds)."""
    facts = order if isinstance(order, DealFacts) else facts_of(order)
    if definition.order_types and facts.order_type not in definition.order_types:
        return False
    enabled = definition.enabled_kinds
    if not any(kind in enabled for kind, _amount in facts.lines):
        return False
    amount = deal_amount(facts, enabled)
    return amount > 0 and amount >= definition.min_amount
