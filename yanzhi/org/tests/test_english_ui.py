"""The UI in English: the language cookie, Accept-Language and the switch in the user menu."""

from django.conf import settings


def test_staff_page_in_english_with_the_language_cookie(client_for, hq_admin):
    client = client_for(hq_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/staff/").content.decode()
    assert "Staff change log" not in page  # list page, not the detail
    assert "New staff member" in page and "All stores" in page
    assert "新建员工" not in page


def test_accept_language_en_gives_english(client_for, store_a_manager):
    page = client_for(store_a_manager).get("/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Store settings" in page and "Member number" in page and "门店设置" not in page


def test_chinese_is_the_default(client_for, store_a_manager):
    page = client_for(store_a_manager).get("/settings/").content.decode()
    assert "门店设置" in page and "Store settings" not in page


def test_language_switch_in_the_user_menu(client_for, hq_admin, store_a_nurse):
    client = client_for(hq_admin)
    page = client.get(f"/staff/{store_a_nurse.pk}/").content.decode()
    assert 'name="language" value="en"' in page  # the switch is in the user menu
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/audit/"})
    assert response.status_code == 302 and response.url == "/audit/"
    page = client.get(f"/staff/{store_a_nurse.pk}/").content.decode()
    assert "Staff change log" in page and "Reset password" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "员工修改日志" in client.get(f"/staff/{store_a_nurse.pk}/").content.decode()


def test_api_errors_in_english(client_for, store_a_manager, store_b):
    response = client_for(store_a_manager).get(
        f"/api/v1/stores/{store_b.pk}/settings", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 404 and response.json()["message"] == "Record not found"
