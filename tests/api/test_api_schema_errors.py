"""The schema documents the error answers the endpoints share (healthaid.api.schema)."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def paths():
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


def _codes(paths, path, method):
    return set(paths[path][method]["responses"])


def test_every_operation_documents_403(paths):
    for path, methods in paths.items():
        for method, operation in methods.items():
            assert "403" in operation["responses"], (method, path)


def test_errors_follow_what_the_operation_takes(paths):
    assert _codes(paths, "/api/v1/members/{id}/", "delete") == {"204", "403", "404", "409"}
    assert _codes(paths, "/api/v1/members/{id}/", "get") == {"200", "403", "404"}
    assert _codes(paths, "/api/v1/members/", "get") == {"200", "400", "403", "404"}
    assert _codes(paths, "/api/v1/members/", "post") == {"201", "400", "403"}
    assert _codes(paths, "/api/v1/members/{id}/reveal-id/", "post") == {
        "200",
        "403",
        "404",
        "429",
    }
    error = paths["/api/v1/members/{id}/"]["delete"]["responses"]["409"]
    assert error["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorDetail"
    }
