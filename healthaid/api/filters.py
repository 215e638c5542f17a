"""The API lists' filter backend."""

from django_filters.rest_framework import DjangoFilterBackend

from healthaid.paging import names_a_filter


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which leaves the list as it is when the request names no
    filter (only a page, say): the filterset would deep-copy its filters and validate an
    empty form, about a millisecond of a registry list, to filter nothing. The schema and
    every request that names a parameter are django-filter's own."""

    def filter_queryset(self, request, queryset, view):
        if not names_a_filter(request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
