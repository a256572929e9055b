import pytest

from yanzhi.core.validators import id_card_check_char
from yanzhi.customers import services


def make_id_card(birth: str = "19900307", seq: str = "123", region: str = "310101") -> str:
    """A valid 18-digit ID number; an odd sequence digit is male, even female."""
    first17 = f"{region}{birth}{seq}"
    return first17 + id_card_check_char(first17)


@pytest.fixture
def create(store_a_front_desk):
    """create(**fields) -> a customer made through the service (front desk, store A)."""

    def make(store=None, by=None, **fields):
        by = by or store_a_front_desk
        store = store or by.stores.first()
        fields.setdefault("name", "王小美")
        fields.setdefault("phone", "13800001111")
        return services.create_customer(store.org, store=store, by=by, **fields)

    return make
