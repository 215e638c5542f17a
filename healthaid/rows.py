"""Helpers of the list rows printed from plain values (``{% rows %}``, ``healthaid.jinja2``)."""

from collections.abc import Callable

from django.urls import reverse


def detail_url(name: str) -> Callable[[int], str]:
    """``pk -> reverse(name, args=[pk])`` with one reverse a page instead of one a row."""
    prefix, _, suffix = reverse(name, args=[0]).rpartition("/0/")
    return lambda pk: f"{prefix}/{pk}/{suffix}"
