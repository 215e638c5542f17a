"""An import as a background job, by kind.

Each import registers its kind once (in its app's ``tasks.py``): the job kind, the dotted path
of its import function and how its error workbook is named, and what its job pages (one set for
every kind, :mod:`healthaid.importing.views`, under ``/imports/<slug>/``) need to know: its
title, who may see its jobs, the upload page to go back to, its result class and its counts.  The function is called as
``importer(source=path or bytes, filename=..., by=user, dry_run=..., skip_invalid=...,
progress=...)``
and returns an :class:`~healthaid.importing.results.ImportOutcome` (or raises
:class:`~healthaid.importing.reader.FileRefused`).  :func:`run_import_job` does the rest for
every kind: claims the job (a redelivered message on a job whose worker died runs it again from
the start), beats its heartbeat, reads the stored upload, runs the import in the uploader's
language, keeps the error workbook and finishes the job with its summary.

The function is looked up by path when the job runs, so a tasks module never imports the
import it runs (the roster import queues a task of its own: no import cycle).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import translation
from django.utils.module_loading import autodiscover_modules, import_string
from django.utils.translation import gettext_lazy as _

from healthaid.choices import JobStatus
from healthaid.importing.reader import FileRefused
from healthaid.jobs import job_claim, job_fail, job_finish, job_heartbeat, progress_reporter
from healthaid.models import Job

logger = logging.getLogger(__name__)

__all__ = [
    "BY_SLUG",
    "KINDS",
    "ImportKind",
    "import_kind",
    "register_import",
    "run_import_job",
]

DEFAULT_COUNTS = (
    ("created", _("new")),
    ("updated", _("updated")),
    ("unchanged", _("unchanged")),
    ("skipped", _("skipped")),
)


@dataclass(frozen=True)
class ImportKind:
    kind: str
    importer: str
    """Dotted path of the import function."""
    error_file_name: Callable[[str], str]
    """The uploaded file's name → the error workbook's (in the active language)."""
    slug: str = ""
    """The kind's segment of the job pages' URLs: ``/imports/<slug>/<uuid>/``."""
    title: str = ""
    upload_url: str = ""
    """URL name of the kind's upload page (the pages' way back, and "import another file")."""
    roles: frozenset[str] | None = None
    """The roles that may open the kind's job pages (others get 403); None: every signed-in
    user.  Which jobs they see is ``Job.objects.visible_to`` (their own, in their area)."""
    result_class: str = ""
    """Dotted path of the :class:`~healthaid.importing.results.ImportOutcome` subclass whose
    ``from_dict`` reads the job's stored result back."""
    counts: tuple[tuple[str, str], ...] = DEFAULT_COUNTS
    """The result's counts the job page shows: (attribute, label)."""
    applied_message: str = field(default=_("Imported."))
    template: str = "importing/job.html"
    """The job page's template: a kind whose outcome says more extends the shared one."""
    job_context: str = ""
    """Dotted path of ``f(job, result) -> dict``: context only this kind's template uses."""

    @cached_property
    def result_type(self):
        return import_string(self.result_class)

    def result_of(self, job: Job):
        """The job's stored summary as the kind's result; None while there is none."""
        if not job.finished or not job.result:
            return None
        return self.result_type.from_dict(job.result)


KINDS: dict[str, ImportKind] = {}
"""The kinds by job kind (``Job.kind``)."""
BY_SLUG: dict[str, ImportKind] = {}
"""The same kinds by their URL slug."""


def register_import(kind: str, **options) -> ImportKind:
    spec = ImportKind(kind=kind, **options)
    KINDS[kind] = spec
    if spec.slug:
        BY_SLUG[spec.slug] = spec
    return spec


def import_kind(slug: str) -> ImportKind | None:
    """The kind of ``slug``, once every app's ``tasks`` module has registered its own."""
    if not _discovered:
        autodiscover_modules("tasks")
        _discovered.append(True)
    return BY_SLUG.get(slug)


_discovered: list[bool] = []


def job_outcome_status(result) -> str:
    """Refused when the file was unusable or a real import wrote nothing; else done."""
    if result.file_error:
        return JobStatus.REFUSED
    if result.dry_run or result.applied:
        return JobStatus.SUCCEEDED
    return JobStatus.REFUSED


def run_import_job(job_id: int) -> dict:
    """Run the import job ``job_id`` (a preview when ``params["dry_run"]``) on its stored file.

    The job keeps the summary (counts, messages, masked values: never a full ID number) and,
    when rows were rejected, the error workbook for download.  A job already running with a
    fresh heartbeat, or finished, is left alone, so a message delivered twice does not import
    twice.
    """
    job = Job.objects.get(pk=job_id)
    spec = KINDS[job.kind]
    if not job_claim(job):
        logger.warning("import job %s is %s already; not run again", job.pk, job.status)
        return {"status": job.status}
    # Messages are stored as text, so they are written in the language of the person who
    # uploaded the file (the worker's own default is the portal's, Chinese).
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        try:
            with job_heartbeat(job):
                result = _run(job, spec)
        except FileRefused as exc:
            job_finish(
                job,
                status=JobStatus.REFUSED,
                result={
                    "message": exc.message,
                    "file_error": exc.message,
                    "file_error_code": exc.code,
                },
            )
            return {"status": job.status, "file_error_code": exc.code}
        except Exception as exc:
            job_fail(job, exc)
            raise
    summary = result.as_dict()
    job_finish(job, status=job_outcome_status(result), result=summary, error=result.file_error)
    return {
        "status": job.status,
        "applied": result.applied,
        "total_rows": result.total_rows,
        "error_rows": result.error_row_count,
    }


def _run(job: Job, spec: ImportKind):
    user = get_user_model().objects.filter(pk=job.created_by_id).first()
    try:
        # The stored file's path where the storage has one: a large workbook is then read from
        # it in slices instead of held whole (a prefecture's roster is some 45 MB).
        source: bytes | str = job.input_file.path
    except NotImplementedError:  # a storage without local files
        with job.input_file.open("rb") as handle:
            source = handle.read()
    importer = import_string(spec.importer)
    result = importer(
        source=source,
        filename=job.input_name,
        by=user,
        dry_run=bool(job.params.get("dry_run")),
        skip_invalid=bool(job.params.get("skip_invalid")),
        progress=progress_reporter(job, every=500),
    )
    error_file = result.error_workbook()
    if error_file is not None:
        job.result_file.save(
            spec.error_file_name(job.input_name), ContentFile(error_file), save=False
        )
    return result
