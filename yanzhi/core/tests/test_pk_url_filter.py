from django.urls import reverse

from yanzhi.core.templatetags.yanzhi import pk_url


def test_pk_url_is_what_url_reversing_gives():
    for pk in (1, 42, 1234567):
        assert pk_url(pk, "visits:visit-detail") == reverse("visits:visit-detail", args=[pk])
        assert pk_url(pk, "customers:detail") == reverse("customers:detail", args=[pk])
