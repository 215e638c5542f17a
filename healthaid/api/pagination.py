from functools import partial

from rest_framework.pagination import PageNumberPagination as _Base

from healthaid.paging import CountedPaginator


class PageNumberPagination(_Base):
    """Page-number pagination with ``count``; callers may ask for up to 500 rows a page.

    A view with a ``cached_count(queryset)`` method (as the HTML lists have: see
    ``healthaid.views.FilteredListView``) gives the count from its cache."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        counter = getattr(view, "cached_count", None)
        count = counter(queryset) if counter is not None else None
        self.django_paginator_class = partial(CountedPaginator, count=count)
        return super().paginate_queryset(queryset, request, view)
