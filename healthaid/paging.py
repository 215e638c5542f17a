"""Pagination shared by the HTML lists and the API: counts that may come from a cache.

A list's count is often its costliest statement (a county's 50,000 members joined to their
households). A list whose data has a cache version (:mod:`healthaid.versions`) passes a
function returning the count, cached under the filters asked for (:func:`filter_key`) and
those versions; the paginator calls it only when the count is needed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Paginator
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property

# Parameters that choose a page of the list, not which rows are in it.
PAGE_PARAMETERS = ("page", "page_size", "format")


def names_a_filter(query) -> bool:
    """Whether a request's ``GET`` names anything but the page: without, a list's
    filterset filters nothing (every filter skips an empty value) and is not built."""
    return any(key not in PAGE_PARAMETERS for key in query)


class CountedPaginator(Paginator):
    """A paginator whose total comes from ``count`` (a cached count, say) when given."""

    def __init__(self, *args, count: Callable[[], int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._count = count

    @cached_property
    def count(self) -> int:
        if self._count is None:
            return super().count
        return self._count()


def filter_key(query) -> str:
    """The filters of a request's ``GET`` (a ``QueryDict``), the same whatever their order
    or the page asked for. Keyed with the secret key: a search for a whole ID number
    leaves no plain hash of it in the cache's keys to be guessed back."""
    items = sorted(
        (key, value) for key in query if key not in PAGE_PARAMETERS for value in query.getlist(key)
    )
    return salted_hmac("healthaid.paging.filter_key", repr(items)).hexdigest()[:32]
