import pytest

from yanzhi.org.tests.factories import make_staff


@pytest.fixture
def store_b_manager(chain, store_b):
    return make_staff(chain, "store_manager", [store_b], name="B店长", username="b_manager")


@pytest.fixture
def store_b_nurse(chain, store_b):
    return make_staff(chain, "nurse", [store_b], name="B护士", username="b_nurse")


@pytest.fixture
def two_store_nurse(chain, store_a, store_b):
    return make_staff(chain, "nurse", [store_a, store_b], name="两店护士", username="ab_nurse")
