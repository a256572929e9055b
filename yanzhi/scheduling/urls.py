from django.urls import path

from yanzhi.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("appointments/", views.day_view, name="day"),
    path("appointments/week/", views.week_view, name="week"),
    path("appointments/new/", views.book, name="book"),
    path("appointments/customer-search/", views.customer_search, name="customer-search"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment-detail"),
    path("appointments/<int:pk>/reschedule/", views.reschedule, name="appointment-reschedule"),
    path("appointments/<int:pk>/cancel/", views.cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/no-show/", views.no_show, name="appointment-no-show"),
    path(
        "customers/<int:customer_id>/appointments/",
        views.customer_appointments,
        name="customer-appointments",
    ),
    path("roster/", views.roster, name="roster"),
    path("roster/assign/", views.roster_assign, name="roster-assign"),
    path("roster/assign-week/", views.roster_assign_week, name="roster-assign-week"),
    path("roster/entries/<int:pk>/remove/", views.roster_remove, name="roster-remove"),
    path("roster/shift-types/", views.shift_types, name="shift-types"),
    path("roster/shift-types/<int:pk>/", views.shift_type_edit, name="shift-type-edit"),
    path("roster/rooms/", views.rooms, name="rooms"),
    path("roster/rooms/<int:pk>/toggle/", views.room_toggle, name="room-toggle"),
]
