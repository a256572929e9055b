from django.urls import path

from yanzhi.inventory import views

app_name = "inventory"
urlpatterns = [
    path("inventory/", views.stock_overview, name="stock"),
    path("inventory/receipts/new/", views.receipt_new, name="receipt-new"),
    path("inventory/transfers/new/", views.transfer_new, name="transfer-new"),
    path("inventory/counts/new/", views.count_new, name="count-new"),
    path("inventory/counts/<int:pk>/", views.count_detail, name="count-detail"),
    path("inventory/moves/", views.moves, name="moves"),
    path("inventory/warehouses/", views.warehouse_list, name="warehouses"),
    path("inventory/warehouses/<int:pk>/toggle/", views.warehouse_toggle, name="warehouse-toggle"),
]
