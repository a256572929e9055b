"""Demo marketing data for the demo chain: monthly channel costs of the e-commerce and influencer
channels in every store (this month and the two before) and a few platform vouchers verified at
the front desk. Called by yanzhi/demo/build.py after the sales demo:

    from yanzhi.marketing.demo import build_marketing
    build_marketing(self.org, list(self.stores.values()), self.customers)
"""

from datetime import timedelta
from decimal import Decimal

from yanzhi.catalog.models import Item, StoreItem
from yanzhi.core.timeutil import first_of_month, store_today
from yanzhi.customers.models import SourceChannel
from yanzhi.marketing import services
from yanzhi.org.models import Staff

PAID_KINDS = (SourceChannel.Kind.ECOMMERCE, SourceChannel.Kind.INFLUENCER)
VOUCHER_PRICES = (Decimal("99.00"), Decimal("199.00"), Decimal("299.00"))


def _staff(org, store, role):
    return (
        Staff.objects.filter(org=org, role=role, stores=store, is_active=True)
        .order_by("pk")
        .first()
    )


def build_marketing(org, stores, customers) -> int:
    """Returns the number of vouchers verified."""
    channels = list(SourceChannel.objects.filter(org=org, kind__in=PAID_KINDS).order_by("pk"))
    if not channels:
        return 0
    verified = 0
    for s, store in enumerate(stores):
        manager = _staff(org, store, "store_manager")
        desk = _staff(org, store, "front_desk") or manager
        if manager is None:
            continue
        month = first_of_month(store_today(store))
        for back in range(3):
            for c, channel in enumerate(channels):
                amount = Decimal(1500 + 500 * ((c + s + back) % 5))
                services.set_channel_cost(
                    org.pk,
                    store=store,
                    channel_id=channel.pk,
                    month=month,
                    amount=amount,
                    note="推广费" if channel.kind == SourceChannel.Kind.ECOMMERCE else "达人合作",
                    by=manager,
                )
            month = first_of_month(month - timedelta(days=1))
        item = (
            Item.objects.filter(
                pk__in=StoreItem.objects.filter(store=store, is_active=True).values("item_id"),
                kind=Item.Kind.SERVICE,
                is_active=True,
            )
            .order_by("code")
            .first()
        )
        ecommerce = [ch for ch in channels if ch.kind == SourceChannel.Kind.ECOMMERCE]
        guests = [c for c in customers if c.store_id == store.pk][-6:]
        if item is None or not ecommerce or desk is None:
            continue
        for n, guest in enumerate(guests):
            services.verify_voucher(
                store,
                customer=guest,
                channel_id=ecommerce[n % len(ecommerce)].pk,
                code=f"{store.code}{n:02d}8{guest.pk:06d}",
                item_id=item.pk,
                settlement_amount=VOUCHER_PRICES[n % len(VOUCHER_PRICES)],
                by=desk,
            )
            verified += 1
    return verified
