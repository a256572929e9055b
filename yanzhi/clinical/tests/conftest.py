"""Clinical fixtures: a store-A customer of consultant 张敏 with a medical consent, a visit,
and real images made with Pillow."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from yanzhi.customers.models import Consent, ConsentDocument
from yanzhi.customers.tests.factories import make_customer
from yanzhi.visits.models import Visit


def image_bytes(fmt: str = "PNG", size=(32, 24), color=(200, 120, 90)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def customer(store_a, store_a_consultant, store_a_doctor):
    return make_customer(
        store_a,
        name="李思思",
        consultant=store_a_consultant,
        doctor=store_a_doctor,
        allergies="青霉素过敏",
    )


@pytest.fixture
def medical_document(chain):
    return ConsentDocument.objects.create(
        org=chain,
        kind=ConsentDocument.Kind.MEDICAL,
        version=1,
        title="医疗数据与照片使用知情同意书",
        body="……",
        is_current=True,
    )


def give_consent(customer, document, by=None) -> Consent:
    return Consent.objects.create(
        org_id=customer.org_id,
        customer=customer,
        document=document,
        kind=document.kind,
        granted_at=timezone.now(),
        recorded_by=by,
    )


@pytest.fixture
def consent(customer, medical_document, store_a_front_desk):
    return give_consent(customer, medical_document, store_a_front_desk)


@pytest.fixture
def visit(customer, store_a):
    now = timezone.now()
    return Visit.objects.create(
        org_id=customer.org_id,
        store=store_a,
        customer=customer,
        day=timezone.localdate(now),
        visit_type="first",
        proposed_visit_type="first",
        arrived_at=now,
    )
