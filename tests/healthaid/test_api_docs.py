import pytest

pytestmark = pytest.mark.django_db


def test_schema_and_browsable_docs_are_served_offline(users, client_as):
    client = client_as(users.county_staff)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/institutions/" in paths
    assert "/api/v1/me/" in paths
    docs = client.get("/api/docs/").content.decode()
    # Swagger UI comes from the vendored sidecar package, never a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower()


def test_api_lists_are_paginated_with_count_and_page_size_cap(users, institutions, api_as):
    response = api_as(users.county_staff).get("/api/v1/institutions/", {"page_size": 10000})
    body = response.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == len(body["results"])
