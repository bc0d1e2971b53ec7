from django.urls import path

from . import views

app_name = "selfcare"
urlpatterns = [
    path("", views.home, name="home"),
]
