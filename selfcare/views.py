"""Portal views: thin; what they show comes from selfcare.selectors, scoped to request.user.customer."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from .forms import PortalAuthenticationForm
from .selectors import portal_accounts, portal_recent_activity


class PortalLoginView(auth_views.LoginView):
    template_name = "selfcare/login.html"
    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("selfcare:home")


class PortalLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("selfcare:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's accounts, pockets and latest movements."""
    customer = request.user.customer  # type: ignore[union-attr]
    if customer is None:
        # Staff (or any user without a customer) have no portal: they work in the back office.
        return render(request, "selfcare/not_a_customer.html", status=403)
    context = {
        "customer": customer,
        "accounts": portal_accounts(customer=customer),
        "activity": portal_recent_activity(customer=customer),
    }
    return render(request, "selfcare/home.html", context)
