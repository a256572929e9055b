from django.urls import path

from yanzhi.sales import draft_views, views, wallet_views

app_name = "sales"
urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_new, name="order-new"),
    path("orders/items/", views.item_search, name="item-search"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/pay/", views.order_pay, name="order-pay"),
    path("orders/<int:pk>/refund/", views.order_refund, name="order-refund"),
    path("orders/<int:pk>/approval/", views.order_approval, name="order-approval"),
    path(
        "orders/<int:pk>/submit-for-approval/",
        views.order_submit_for_approval,
        name="order-submit-for-approval",
    ),
    path("orders/<int:pk>/edit/", draft_views.order_edit, name="order-edit"),
    path("orders/<int:pk>/<str:action>/", views.order_transition, name="order-transition"),
    path("customers/<int:pk>/orders/", views.customer_orders, name="customer-orders"),
    path("customers/<int:pk>/deposits/", wallet_views.customer_deposits, name="customer-deposits"),
    path("customers/<int:pk>/coupons/", wallet_views.customer_coupons, name="customer-coupons"),
    path("deposits/<int:pk>/refund/", wallet_views.deposit_refund, name="deposit-refund"),
    path("cards/<int:pk>/", wallet_views.card_extend, name="card-detail"),
    path("coupons/<int:pk>/", wallet_views.coupon_extend, name="coupon-detail"),
    path("settings/deal-definition/", views.deal_definition, name="deal-definition"),
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval-detail"),
    path("approvals/<int:pk>/<str:decision>/", views.approval_decide, name="approval-decide"),
    path(
        "settings/discount-approval/",
        views.discount_approval_settings,
        name="discount-approval-settings",
    ),
    path("sales/prepaid-liability/", views.prepaid_liability, name="prepaid-liability"),
]
