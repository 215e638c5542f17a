"""``{% load importing %}``: links to the shared import job pages (``/imports/<slug>/...``)."""

from django import template
from django.urls import reverse

from healthaid.importing.jobs import KINDS

register = template.Library()


@register.filter
def import_job_url(job) -> str:
    """The job page of ``job``, by its kind's slug."""
    return reverse("imports:job", args=[KINDS[job.kind].slug, job.uuid])
