"""Portal forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class PortalAuthenticationForm(AuthenticationForm):
    """Sign-in for customers only: back-office staff are sent to the back office instead."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_a_customer": _("This sign-in is for customers. Staff sign in to the back office at /admin/."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.customer_id:
            raise forms.ValidationError(self.error_messages["not_a_customer"], code="not_a_customer")
