"""Running a list export the way a user does: start the job, let the worker run it, download."""

from urllib.parse import urlencode

from django.urls import reverse

from healthaid.models import Job
from households.tasks import export_task


def start_export(client, kind, data=None, query=""):
    """POST the list's export form: the list's filters in the query string (``query``, or
    ``data`` apart from ``full_ids``), ``full_ids`` in the form."""
    data = dict(data or {})
    form = {"full_ids": data.pop("full_ids")} if "full_ids" in data else {}
    if data:
        query = f"{query}&{urlencode(data)}" if query else f"?{urlencode(data)}"
    return client.post(reverse(f"households:{kind}-export") + query, form)


def run_export(client, kind, data=None, query=""):
    """The downloaded file's response (or the refusal, when the export was not started)."""
    started = start_export(client, kind, data, query)
    if started.status_code != 302:
        return started
    job = Job.objects.get(uuid=started.url.rstrip("/").rsplit("/", 1)[-1])
    export_task(job.pk)  # what the worker does once the request's transaction commits
    page = client.get(started.url)
    assert page.status_code == 200
    return client.get(reverse("households:export-file", args=[job.uuid]))
