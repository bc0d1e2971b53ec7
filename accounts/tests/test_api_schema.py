"""The OpenAPI document: served, complete for the money endpoints, and generated without warnings."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_is_served_and_documents_the_top_up_with_its_idempotency_key():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    top_up = schema["paths"]["/api/v1/wallets/{id}/top-up/"]["post"]
    header = next(p for p in top_up["parameters"] if p["in"] == "header")
    assert (header["name"], header["required"]) == ("Idempotency-Key", True)
    assert "/api/v1/subscriptions/{id}/" in schema["paths"]
    assert schema["components"]["schemas"]["Wallet"]["properties"]["balance"]["type"] == "string"


def test_schema_generation_validates_and_has_no_warnings(tmp_path):
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yml"

    # --fail-on-warn raises a CommandError on any warning or error; --validate checks it against OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO())

    assert "/api/v1/wallets/{id}/adjust/" in yaml.safe_load(target.read_text())["paths"]
