from django.urls import path

from yanzhi.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/search/", views.customer_search, name="search"),
    path("customers/new/", views.customer_create, name="create"),
    path("customers/phone-check/", views.phone_check, name="phone-check"),
    path("customers/referrer-options/", views.referrer_options, name="referrer-options"),
    path("customers/tags/", views.tag_list, name="tags"),
    path("customers/tags/<int:pk>/", views.tag_edit, name="tag-edit"),
    path("customers/channels/", views.channel_list, name="channels"),
    path("customers/channels/<int:pk>/", views.channel_edit, name="channel-edit"),
    path("customers/consent-documents/", views.consent_documents, name="consent-documents"),
    path("customers/consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path("customers/membership-levels/", views.membership_levels, name="membership"),
    path(
        "customers/membership-levels/<int:pk>/",
        views.membership_level_edit,
        name="membership-level-edit",
    ),
    path("customers/membership-program/", views.membership_program, name="membership-program"),
    path("customers/member-activity/", views.member_activity, name="member-activity"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="edit"),
    path("customers/<int:pk>/unmask/", views.customer_unmask, name="unmask"),
    path("customers/<int:pk>/verify/send/", views.verification_send, name="verify-send"),
    path("customers/<int:pk>/verify/confirm/", views.verification_confirm, name="verify-confirm"),
    path("customers/<int:pk>/consents/", views.consent_record, name="consent-record"),
    path("customers/<int:pk>/tags/", views.customer_tags, name="customer-tags"),
    path("customers/<int:pk>/audit/", views.customer_audit, name="audit"),
]
