"""API test helpers: an APIClient that authenticates with the user's real DRF token."""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User


def token_client(user: User) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def results(response: Any) -> list[dict[str, Any]]:
    """The rows of a paginated (or plain) list answer, after checking it is a 200."""
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def ids(response: Any) -> set[int]:
    return {row["id"] for row in results(response)}
