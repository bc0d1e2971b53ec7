"""Portal URLs under /selfcare/."""

from django.urls import path

from . import views

app_name = "selfcare"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
]
