"""The shared core: administrative regions, institutions, user profiles and the audit log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthaid.choices import (
    AuditAction,
    InstitutionKind,
    InstitutionLevel,
    JobStatus,
    RegionLevel,
    Role,
)
from healthaid.scoping import ScopedQuerySet, ancestor_codes, get_profile, scope_prefix

__all__ = ["BaseModel", "Region", "Institution", "UserProfile", "AuditLog", "Job"]


class BaseModel(models.Model):
    """Timestamps and author for every business record."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Provenance, not structure: Django itself nulls it when an account is deleted (SET_NULL
    # is the ORM's), so the database keeps no constraint of its own, which every inserted row
    # would pay a check for (on PostgreSQL a key-share lock on the user's row): a county's
    # roster import inserts 65,000 records by one user.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        abstract = True


class RegionQuerySet(ScopedQuerySet):
    """Regions are scoped like every record: ``visible_to(user)`` is the user's subtree.

    ``ancestors=True`` adds the regions above the scope (a county's staff see the names of
    their prefecture and province in the tree), for the region API; nothing else needs them.
    """

    scope_field = "code"

    def visible_to(self, user, *, ancestors: bool = False) -> RegionQuerySet:
        # The administrative tree is no one's personal record: hospital staff, whose records
        # are reached through their institution, still pick regions of their own subtree.
        prefix = scope_prefix(user)
        if prefix is None:
            scoped = self.none()
        elif prefix == "":
            scoped = self.all()
        else:
            scoped = self.filter(code__startswith=prefix)
        if not ancestors:
            return scoped
        profile = get_profile(user)
        if profile is None:
            return scoped
        return scoped | self.filter(code__in=ancestor_codes(profile.region.code))

    def within(self, region: Region) -> RegionQuerySet:
        """The region and everything below it, by code prefix (one indexed range scan)."""
        return self.filter(code__startswith=region.prefix)

    def by_code(self, code: str) -> Region | None:
        """The region of a 2- to 12-digit division code (zeros filled in), if in this set."""
        return self.filter(code=code.ljust(12, "0")[:12]).first()

    def above(self, region: Region) -> RegionQuerySet:
        """The regions of this set above ``region``, province first."""
        return self.filter(code__in=ancestor_codes(region.code)).order_by("level")


class Region(models.Model):
    """A node of the administrative tree, keyed by the 12-digit statistical division code.

    The code carries the tree: a region's descendants are exactly the codes that
    start with its significant prefix (2, 4, 6, 9 or 12 digits by level), so a
    subtree is one indexed prefix scan and records that point at a village can
    be scoped by the village's code without a join.
    """

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("full name"), max_length=255, db_index=True, editable=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The full name is derived data, kept so operators can look a region up by
        # "元谋县/元马镇" and so lists can show where a village is without joins.
        self.path = f"{self.parent.path}/{self.name}" if self.parent_id else self.name
        super().save(*args, **kwargs)

    @property
    def prefix(self) -> str:
        return self.code[: self.level]

    def contains(self, other: Region | str) -> bool:
        code = other if isinstance(other, str) else other.code
        return code.startswith(self.prefix)


class InstitutionQuerySet(ScopedQuerySet):
    scope_field = "region__code"

    def visible_to(self, user) -> InstitutionQuerySet:
        """Institutions inside the scope and those of the regions above it.

        A county's staff refer patients to the prefecture and province hospitals, so
        those are visible too; another county's clinics are not.
        """
        profile = self._profile(user)
        if profile is None:
            return self.all() if self._is_unrestricted(user) else self.none()
        region = profile.region
        return self.filter(
            models.Q(region__code__startswith=region.prefix)
            | models.Q(region_id__in=ancestor_codes(region.code))
        )


class Institution(BaseModel):
    """A medical institution: hospital, township health centre, village clinic or bureau."""

    code = models.CharField(_("institution code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=InstitutionKind.choices)
    level = models.CharField(
        _("level"), max_length=4, choices=InstitutionLevel.choices, blank=True, default=""
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="institutions"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name


class UserProfile(models.Model):
    """A user's role and the node of the administrative tree they work in (their scope)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("scope region"), on_delete=models.PROTECT, related_name="+"
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()}, {self.region.path})"


class AuditLogQuerySet(ScopedQuerySet):
    scope_field = "region_code"


class AuditLog(models.Model):
    """One audited event: a write through a service, or a reveal of a full ID number.

    Snapshots never hold a full ID number: models list their sensitive fields in
    ``audit_exclude`` and the audit service drops them.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # The trail is never rewritten: removing an account leaves its rows naming it (the id
    # here and ``actor_name``), where SET_NULL would have updated every row it wrote. No
    # database constraint either, so the rows need no check against the user table, which
    # bulk writers (a county's roster import writes 68,000 rows) would pay per row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    target_type = models.CharField(_("record type"), max_length=100)
    target_id = models.CharField(_("record id"), max_length=64, blank=True)
    target_repr = models.CharField(_("record"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    message = models.CharField(_("note"), max_length=255, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    region_code = models.CharField(_("region code"), max_length=12, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        # (target_type, target_id, -at) serves the history pages and every filter on the type.
        # target_id alone is a filter of the audit page and API: a plain index, without the
        # varchar_pattern_ops copy PostgreSQL adds for db_index (nothing matches it by LIKE).
        # region_code is matched by equality (a household's history) and by prefix (scope): on
        # PostgreSQL one varchar_pattern_ops index serves both, where db_index made two.
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"]),
            models.Index(fields=["target_id"]),
            models.Index(
                fields=["region_code"],
                name="auditlog_region_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_repr}"


class JobQuerySet(ScopedQuerySet):
    scope_field = "region_code"

    def visible_to(self, user):
        """A user's own jobs, within their scope (a colleague's upload is not theirs to read).

        Hospital staff too: a job is theirs by who started it, not by their institution.
        """
        if user is not None and user.is_authenticated and not user.is_superuser:
            prefix = scope_prefix(user)
            if prefix is None:
                return self.none()
            return self.filter(region_code__startswith=prefix, created_by=user)
        return super().visible_to(user)


def job_upload_path(instance, filename: str) -> str:
    return f"jobs/{instance.kind}/{instance.uuid}/input/{filename}"


def job_result_path(instance, filename: str) -> str:
    return f"jobs/{instance.kind}/{instance.uuid}/result/{filename}"


class Job(models.Model):
    """A background job (import, export, briefing): status, progress and result files.

    The request that starts a job creates this row and queues the task with the
    row's id on commit; the task updates progress as it goes, so a page can poll it.
    Never holds a full ID number: inputs are files on disk, results are summaries.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=48, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region_code = models.CharField(_("region code"), max_length=12, blank=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("last heartbeat"),
        null=True,
        blank=True,
        help_text=_("When the running job last said it was alive; a stale one is reaped."),
    )
    progress = models.PositiveIntegerField(_("progress"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    input_file = models.FileField(
        _("input file"), upload_to=job_upload_path, max_length=255, blank=True
    )
    input_name = models.CharField(_("file name"), max_length=255, blank=True)
    result_file = models.FileField(
        _("result file"), upload_to=job_result_path, max_length=255, blank=True
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return min(100, round(100 * self.progress / self.total)) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.REFUSED)
