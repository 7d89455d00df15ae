"""The public API against its own OpenAPI 3.1 document: schemathesis generates requests
from it (examples, then property-based ones) and checks every answer is one the document
describes (status, headers, content type, body schema) and never a server error."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.factories import make_partner, make_petition, sign
from widget.web.signer.api import OPENAPI


def test_every_answer_is_one_the_document_describes(app):
    petition = make_petition("save-the-bees")
    sign(petition, make_partner(), country="DE")
    sign(petition, None, country="FR")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # (schemathesis leaves out the document's own path)
    assert sorted(op.path for op in operations) == [
        "/api/v1/petitions/{slug}",
        "/api/v1/petitions/{slug}/embeddable",
    ]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=80, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
        def answers_as_documented(case):
            case.call_and_validate()

        answers_as_documented()


def test_the_document_is_served_as_written(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == json.loads(OPENAPI.read_text())
    assert response.get_json()["openapi"] == "3.1.0"
