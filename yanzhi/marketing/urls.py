from django.urls import path

from yanzhi.marketing import views

app_name = "marketing"
urlpatterns = [
    path("marketing/repurchase/", views.repurchase, name="repurchase"),
    path(
        "marketing/repurchase/followups/",
        views.repurchase_followups,
        name="repurchase-followups",
    ),
    path("marketing/channels/", views.channels, name="channels"),
    path("marketing/channels/export/", views.channels_export, name="channels-export"),
    path("marketing/channel-costs/", views.channel_costs, name="channel-costs"),
    path(
        "marketing/channel-costs/<int:pk>/delete/",
        views.channel_cost_delete,
        name="channel-cost-delete",
    ),
    path("marketing/vouchers/", views.vouchers, name="vouchers"),
    path("marketing/vouchers/<int:pk>/reverse/", views.voucher_reverse, name="voucher-reverse"),
    path("marketing/referrals/", views.referrals, name="referrals"),
    path("customers/<int:pk>/referrals/", views.referral_tree, name="referral-tree"),
]
