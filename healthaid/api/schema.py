"""The API schema documents the errors every endpoint really answers, in one place.

drf-spectacular documents the success answer of each operation; the errors come from the
machinery every view shares, so they are added here, from what the view is made of, rather
than copied into each view:

* 403: every operation (``RolePermission``: no account, no profile, a role that may not);
* 404: operations with a path parameter (scope: outside is not found), paginated lists, and
  those that name a region or campaign in the query string
  (a page past the end);
* 400: operations that take a body or query parameters (validation, ``healthaid.errors``'
  refusal of NUL bytes);
* 409: deletes (records still referring to the one deleted, ``healthaid.errors``);
* 429: operations with a throttle (the reveal of an ID number).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the caller's language.")


class PortalAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        parameters = operation.get("parameters", [])
        codes: dict[str, object] = {"403": ErrorDetailSerializer}
        paginated = self.method == "GET" and self._get_paginator() is not None
        # A scoped record named in the path, or a region or campaign named in the query string
        # (the indicators), outside the caller's scope is not found.
        names_scoped = any(
            p.get("in") == "query" and p.get("name") in ("region", "campaign") for p in parameters
        )
        if paginated or names_scoped or any(p.get("in") == "path" for p in parameters):
            codes["404"] = ErrorDetailSerializer
        if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
            # Field errors ({"field": ["message"]}) or a general one ({"detail": "message"}).
            codes["400"] = OpenApiTypes.OBJECT
        if self.method == "DELETE":
            codes["409"] = ErrorDetailSerializer
        if self.view.get_throttles():
            codes["429"] = ErrorDetailSerializer
        for code, serializer in codes.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(serializer, code)
        return operation
