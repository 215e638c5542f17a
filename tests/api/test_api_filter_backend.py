"""The API's filter backend leaves a list as it is when the request names no filter, and
that is exactly what django-filter's own backend gives for an empty query, on every list."""

from __future__ import annotations

import pytest
from django.urls import get_resolver
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from healthaid.api.filters import FilterBackend

pytestmark = pytest.mark.django_db


def _list_views(patterns=None, prefix=""):
    """(path, view class) of every API list with a filterset, from the URL configuration."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from _list_views(pattern.url_patterns, route)
            continue
        actions = getattr(pattern.callback, "actions", None) or {}
        view_class = getattr(pattern.callback, "cls", None)
        if actions.get("get") == "list" and getattr(view_class, "filterset_class", None):
            yield route, view_class


def _filtered(backend, view_class, user, query: str):
    request = Request(APIRequestFactory().get("/" + query))
    request.user = user
    view = view_class(action="list", request=request, format_kwarg=None, kwargs={}, args=())
    return backend.filter_queryset(request, view.get_queryset(), view)


def test_every_api_list_is_checked():
    routes = [route for route, _ in _list_views()]
    assert any("members" in route for route in routes)
    assert any("encounters" in route for route in routes)
    assert len(routes) >= 15


@pytest.mark.parametrize("query", ["", "?page=2", "?page_size=20&format=json"])
def test_no_filter_named_gives_django_filters_own_result(users, query):
    for route, view_class in _list_views():
        ours = _filtered(FilterBackend(), view_class, users.county_staff, query)
        theirs = _filtered(DjangoFilterBackend(), view_class, users.county_staff, query)
        assert str(ours.query) == str(theirs.query), route


def test_the_filterset_is_built_only_when_a_filter_is_named(users, monkeypatch):
    from households.api.views import MemberViewSet
    from households.filtersets import MemberFilterSet

    built = []
    original = MemberFilterSet.__init__

    def counted(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(MemberFilterSet, "__init__", counted)
    _filtered(FilterBackend(), MemberViewSet, users.county_staff, "?page=2")
    assert built == []
    filtered = _filtered(FilterBackend(), MemberViewSet, users.county_staff, "?sex=F")
    assert built == [1]
    assert '"sex" = ' in str(filtered.query)
