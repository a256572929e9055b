from django.urls import path

from yanzhi.catalog import views

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
]
