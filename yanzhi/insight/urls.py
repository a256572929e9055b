app_name = "insight"
urlpatterns = []
