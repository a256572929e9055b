import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from yanzhi.clinical import services
from yanzhi.clinical.models import Photo
from yanzhi.clinical.tests.conftest import image_bytes, upload
from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.tests.factories import make_customer


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_real_image_is_stored_under_media_root(
    customer, consent, visit, store_a_doctor, fmt, content_type
):
    # given
    data = image_bytes(fmt, size=(40, 30))
    # when (the name and the client's type lie; the decoded format decides)
    photo = services.upload_photo(
        customer,
        by=store_a_doctor,
        file=upload("李思思-正面.gif", data, "text/plain"),
        kind="before",
        visit=visit,
        body_area="面部",
    )
    # then
    path = Path(photo.file.path)
    assert path.is_file() and path.read_bytes() == data
    assert Path(settings.MEDIA_ROOT) in path.parents
    assert "李思思" not in photo.file.name and customer.name not in str(path)
    assert (photo.width, photo.height) == (40, 30)
    assert photo.content_type == content_type
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.size_bytes == len(data) and photo.consent == consent
    assert AuditLog.objects.filter(action="photo.uploaded", object_id=str(photo.pk)).exists()


def test_text_file_named_jpg_is_refused(customer, consent, store_a_nurse):
    with pytest.raises(BusinessError) as refused:
        services.upload_photo(
            customer,
            by=store_a_nurse,
            file=upload("photo.jpg", b"hello, not an image" * 20),
            kind="before",
        )
    assert refused.value.code == "photo_not_image"
    assert str(refused.value.message) == "不是有效的图片文件"
    assert not Photo.objects.exists() and stored_files() == []


def test_unsupported_image_format_is_refused(customer, consent, store_a_nurse):
    with pytest.raises(BusinessError, match="photo_not_image"):
        services.upload_photo(
            customer, by=store_a_nurse, file=upload("a.jpg", image_bytes("GIF")), kind="before"
        )
    assert not Photo.objects.exists() and stored_files() == []


def test_truncated_image_is_refused(customer, consent, store_a_nurse):
    data = image_bytes("JPEG", size=(400, 300))
    with pytest.raises(BusinessError, match="photo_not_image"):
        services.upload_photo(
            customer, by=store_a_nurse, file=upload("a.jpg", data[: len(data) // 2]), kind="after"
        )
    assert not Photo.objects.exists() and stored_files() == []


def test_oversized_file_is_refused(customer, consent, store_a_nurse, settings):
    settings.PHOTO_MAX_BYTES = 100
    with pytest.raises(BusinessError) as refused:
        services.upload_photo(
            customer,
            by=store_a_nurse,
            file=upload("a.png", image_bytes("PNG", (64, 64))),
            kind="before",
        )
    assert refused.value.code == "photo_too_large"
    assert not Photo.objects.exists() and stored_files() == []


def test_decompression_bomb_is_refused(customer, consent, store_a_nurse, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(BusinessError, match="photo_too_many_pixels"):
        services.upload_photo(
            customer,
            by=store_a_nurse,
            file=upload("a.png", image_bytes("PNG", (20, 20))),
            kind="before",
        )
    assert not Photo.objects.exists() and stored_files() == []


def test_refused_without_consent(customer, medical_document, store_a_nurse):
    with pytest.raises(BusinessError, match="consent_required"):
        services.upload_photo(
            customer, by=store_a_nurse, file=upload("a.png", image_bytes()), kind="before"
        )
    assert not Photo.objects.exists() and stored_files() == []


def test_roles_without_upload_are_refused(customer, consent, store_a_front_desk, store_a_manager):
    for staff in (store_a_front_desk, store_a_manager):
        with pytest.raises(BusinessError) as refused:
            services.upload_photo(
                customer, by=staff, file=upload("a.png", image_bytes()), kind="before"
            )
        assert refused.value.status == 403
    assert stored_files() == []


# --- serving ---------------------------------------------------------------------------------------
@pytest.fixture
def photo(customer, consent, store_a_doctor):
    return services.upload_photo(
        customer, by=store_a_doctor, file=upload("x.png", image_bytes("PNG")), kind="before"
    )


def test_photo_url_serves_bytes_privately(client_for, photo, store_a_consultant):
    response = client_for(store_a_consultant).get(f"/photos/{photo.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == Path(photo.file.path).read_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        AuditLog.objects.filter(
            action="photo.read", object_id=str(photo.pk), actor_id=store_a_consultant.pk
        ).count()
        == 1
    )


def test_photo_url_is_404_outside_scope(
    client_for,
    photo,
    store_b_consultant,
    store_b_front_desk,
    other_chain_admin,
    store_a_consultant_2,
):
    for staff in (store_b_consultant, other_chain_admin, store_a_consultant_2):
        assert client_for(staff).get(f"/photos/{photo.pk}/").status_code == 404
    # front desk may never view photos
    assert client_for(store_b_front_desk).get(f"/photos/{photo.pk}/").status_code == 403
    assert not AuditLog.objects.filter(action="photo.read").exists()


def test_no_public_media_url(client_for, client, photo, store_a_doctor):
    path = photo.file.name
    assert client_for(store_a_doctor).get(f"/media/{path}").status_code == 404
    assert client.get(f"/media/{path}").status_code == 404
    assert client.get(f"/{path}").status_code == 404


def test_anonymous_is_sent_to_login(client, photo):
    response = client.get(f"/photos/{photo.pk}/")
    assert response.status_code == 302 and "/login" in response["Location"]


# --- the upload page ----------------------------------------------------------------------------------
def test_upload_page_reports_errors_per_file(client_for, customer, consent, visit, store_a_nurse):
    client = client_for(store_a_nurse)
    page = client.get(f"/photos/upload/?customer={customer.pk}&visit={visit.pk}")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    response = client.post(
        "/photos/upload/",
        {
            "customer": customer.pk,
            "visit": visit.pk,
            "kind": "after",
            "body_area": "下颌",
            "files": [
                upload("good.jpg", image_bytes("JPEG")),
                upload("fake.jpg", b"not an image at all"),
            ],
        },
    )
    assert response.status_code == 422
    assert "fake.jpg" in response.text and "不是有效的图片文件" in response.text
    photo = Photo.objects.get()
    assert photo.kind == "after" and photo.visit == visit and photo.body_area == "下颌"
    assert len(stored_files()) == 1


def test_upload_page_all_good_redirects_to_visit(
    client_for, customer, consent, visit, store_a_nurse
):
    response = client_for(store_a_nurse).post(
        "/photos/upload/",
        {
            "visit": visit.pk,
            "kind": "before",
            "files": [upload("a.png", image_bytes()), upload("b.webp", image_bytes("WEBP"))],
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/visits/{visit.pk}/"
    assert sorted(Photo.objects.values_list("content_type", flat=True)) == [
        "image/png",
        "image/webp",
    ]


def test_upload_page_oversized_message(client_for, customer, consent, store_a_nurse, settings):
    settings.PHOTO_MAX_BYTES = 15 * 1024 * 1024
    big = image_bytes("PNG") + b"\0" * (15 * 1024 * 1024)
    response = client_for(store_a_nurse).post(
        "/photos/upload/",
        {"customer": customer.pk, "kind": "before", "files": [upload("big.png", big)]},
    )
    assert response.status_code == 422 and "文件过大(最大15MB)" in response.text
    assert not Photo.objects.exists() and stored_files() == []


def test_upload_page_without_consent(client_for, customer, store_a_nurse):
    page = client_for(store_a_nurse).get(f"/photos/upload/?customer={customer.pk}")
    assert "consent-missing" in page.text and "photo-upload-form" not in page.text


def test_upload_page_for_another_consultants_customer_is_404(
    client_for, store_a, store_a_consultant_2, consent
):
    other = make_customer(store_a, name="别人")
    # store_a_consultant_2 owns neither customer
    client = client_for(store_a_consultant_2)
    assert client.get(f"/photos/upload/?customer={other.pk}").status_code == 404
