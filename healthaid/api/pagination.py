from functools import partial

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination as _Base

from healthaid.paging import CountedPaginator


class PageNumberPagination(_Base):
    """Page-number pagination with ``count``; callers may ask for up to 500 rows a page.

    A view with a ``cached_count(queryset)`` method (as the HTML lists have: see
    ``healthaid.views.FilteredListView``) gives the count from its cache. A view with
    ``paginate_lazily = True`` gets the page's rows as a queryset, not as model instances,
    for a list serializer that reads them as values (``MemberListSerializer``)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        counter = getattr(view, "cached_count", None)
        count = counter(queryset) if counter is not None else None
        self.django_paginator_class = partial(CountedPaginator, count=count)
        if not getattr(view, "paginate_lazily", False):
            return super().paginate_queryset(queryset, request, view)
        # DRF's steps, but for the last: ``list(self.page)`` would load the instances.
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=page_number, message=str(exc))
            raise NotFound(message) from exc
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return self.page.object_list
