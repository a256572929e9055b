from django.urls import path

from yanzhi.catalog import promotion_views, views

app_name = "catalog"
urlpatterns = [
    path("catalog/", views.item_list, name="items"),
    path("catalog/items/new/", views.item_create, name="item-create"),
    path("catalog/items/<int:pk>/", views.item_detail, name="item-detail"),
    path("catalog/items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("catalog/items/<int:pk>/active/", views.item_active, name="item-active"),
    path("catalog/categories/", views.category_list, name="categories"),
    path("catalog/categories/<int:pk>/", views.category_edit, name="category-edit"),
    path("catalog/distribution/", views.distribution, name="distribution"),
    path("catalog/store/", views.store_items, name="store-items"),
    path("catalog/store/items/<int:pk>/price/", views.store_item_price, name="store-item-price"),
    path("catalog/promotions/", promotion_views.promotion_list, name="promotions"),
    path("catalog/promotions/new/", promotion_views.promotion_create, name="promotion-create"),
    path("catalog/promotions/<int:pk>/", promotion_views.promotion_detail, name="promotion-detail"),
    path(
        "catalog/promotions/<int:pk>/edit/", promotion_views.promotion_edit, name="promotion-edit"
    ),
    path("catalog/promotions/<int:pk>/end/", promotion_views.promotion_end, name="promotion-end"),
]
