"""Customer factory for tests of every app. It writes the model directly (with its search keys
and summary row) so other apps' tests do not depend on the create service's rules."""

import itertools

from yanzhi.core.search import name_initials, name_pinyin
from yanzhi.customers.models import Customer, CustomerSummary

_numbers = itertools.count(1)


def make_customer(
    store, *, name="王小美", phone=None, consultant=None, doctor=None, **extra
) -> Customer:
    n = next(_numbers)
    phone = phone or f"139{n:08d}"
    customer = Customer.objects.create(
        org_id=store.org_id,
        store=store,
        member_no=extra.pop("member_no", f"M{n:08d}"),
        name=name,
        phone=phone,
        phone_tail=phone[-4:],
        name_pinyin=name_pinyin(name),
        name_initials=name_initials(name),
        name_rest=name[1:],
        consultant=consultant,
        doctor=doctor,
        **extra,
    )
    CustomerSummary.objects.create(customer=customer, org_id=store.org_id, store=store)
    return customer
