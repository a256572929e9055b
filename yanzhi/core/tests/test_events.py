"""Domain events run their handlers at once, in the emitting transaction."""

import pytest
from django.db import transaction

from yanzhi.core import events
from yanzhi.core.models import SmsMessage


def test_handlers_run_in_order_with_the_payload():
    seen = []
    events.subscribe("test.happened", lambda **kw: seen.append(("a", kw)))
    events.subscribe("test.happened", lambda **kw: seen.append(("b", kw)))
    events.emit("test.happened", thing_id=7)
    events.emit("test.nobody_listens", thing_id=8)
    assert seen == [("a", {"thing_id": 7}), ("b", {"thing_id": 7})]


@pytest.mark.django_db
def test_a_handler_writes_in_the_emitting_transaction(chain):
    def write(**kw):
        SmsMessage.objects.create(org_id=kw["org_id"], phone="13800000000", text="x", purpose="t")

    events.subscribe("test.rolled_back", write)
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit("test.rolled_back", org_id=chain.pk)
        raise RuntimeError("the action fails after the event")
    assert not SmsMessage.objects.exists()
