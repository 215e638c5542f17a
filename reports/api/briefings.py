"""Briefing endpoints: /api/v1/briefings/ (list, detail with download links, ``generate``,
``publish``), /api/v1/briefing-schedules/ and /api/v1/indicators/ (every section's figures
in one document, each with its definition). Scoped: a publisher outside the caller's scope
is 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from healthaid.api.schema import ErrorDetailSerializer
from healthaid.api.views import ScopedQuerysetMixin
from healthaid.models import Region
from reports.api.views import _REGION_PERIOD, IndicatorQuery, _period, _region, _valid
from reports.briefings import services
from reports.briefings.sections import build_sections
from reports.models import Briefing, BriefingKind, BriefingSchedule, Frequency
from reports.tasks import briefing_task


class BriefingSerializer(serializers.ModelSerializer):
    publisher = serializers.CharField(source="publisher_id", read_only=True)
    publisher_name = serializers.CharField(source="publisher.name", read_only=True)
    issue = serializers.CharField(source="issue_label", read_only=True)
    xlsx_url = serializers.SerializerMethodField()
    docx_url = serializers.SerializerMethodField()

    class Meta:
        model = Briefing
        fields = [
            "uuid", "publisher", "publisher_name", "kind", "start", "end", "status", "year",
            "number", "issue", "created_at", "published_at", "xlsx_url", "docx_url",
        ]  # fmt: skip
        read_only_fields = fields

    def _url(self, obj, file_format, field) -> str | None:
        if not field:
            return None
        request = self.context.get("request")
        url = reverse("briefings:file", args=[obj.uuid, file_format])
        return request.build_absolute_uri(url) if request else url

    def get_xlsx_url(self, obj) -> str | None:
        return self._url(obj, "xlsx", obj.xlsx_file)

    def get_docx_url(self, obj) -> str | None:
        return self._url(obj, "docx", obj.docx_file)


class GenerateSerializer(serializers.Serializer):
    publisher = serializers.RegexField(r"^\d{2,12}$", help_text="division code")
    kind = serializers.ChoiceField(choices=BriefingKind.choices, default=BriefingKind.WORK)
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError(_("The start date must not be after the end date."))
        return attrs


class BriefingViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Briefings published by a region in the caller's scope, newest first. ``generate``
    starts writing one (a background job; poll the briefing until its status is ``ready``);
    ``publish`` gives a ready one the next 第N期 of its publisher and year and writes it again.
    """

    queryset = Briefing.objects.select_related("publisher").order_by("-created_at", "-id")
    serializer_class = BriefingSerializer
    lookup_field = "uuid"
    read_roles = services.GENERATE_ROLES
    write_roles = services.GENERATE_ROLES
    filterset_fields = ["status", "kind"]

    @extend_schema(
        request=GenerateSerializer,
        responses={202: BriefingSerializer, 404: ErrorDetailSerializer},  # publisher not in scope
    )
    @action(detail=False, methods=["post"])
    def generate(self, request):
        payload = GenerateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        publisher = (
            services.publishers_for(request.user)
            .filter(code=data["publisher"].ljust(12, "0"))
            .first()
        )
        if publisher is None:
            raise NotFound(_("No such region in your scope."))
        briefing = services.briefing_create(
            user=request.user,
            publisher=publisher,
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
        )
        services.briefing_start(briefing, user=request.user, action="generate", task=briefing_task)
        return Response(self.get_serializer(briefing).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        # 400: the briefing is not ready (being written, or published already)
        responses={202: BriefingSerializer, 400: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, uuid=None):
        briefing = self.get_object()
        try:
            services.briefing_start(
                briefing, user=request.user, action="publish", task=briefing_task
            )
        except DjangoPermissionDenied as exc:
            raise ValidationError({"status": [str(exc)]}) from exc
        return Response(self.get_serializer(briefing).data, status=status.HTTP_202_ACCEPTED)


class ScheduleSerializer(serializers.ModelSerializer):
    publisher = serializers.RegexField(
        r"^\d{2,12}$", source="publisher_id", help_text="division code"
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices)

    class Meta:
        model = BriefingSchedule
        fields = ["id", "publisher", "kind", "frequency", "enabled"]
        read_only_fields = ["id"]
        validators = []

    def validate_publisher(self, value):
        request = self.context["request"]
        code = value.ljust(12, "0")
        if not services.publishers_for(request.user).filter(code=code).exists():
            # a field of the body: refused like any invalid value (the record is not created)
            raise serializers.ValidationError(_("No such region in your scope."))
        return code

    def validate(self, attrs):
        instance = self.instance
        publisher = attrs.get("publisher_id", instance.publisher_id if instance else None)
        kind = attrs.get("kind", instance.kind if instance else BriefingKind.WORK)
        frequency = attrs.get("frequency", instance.frequency if instance else None)
        clash = BriefingSchedule.objects.filter(
            publisher_id=publisher, kind=kind, frequency=frequency
        )
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                _("This publisher already has a schedule of that title and frequency.")
            )
        return attrs

    def create(self, validated_data):
        return services.schedule_save(BriefingSchedule(**validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.schedule_save(instance)


class BriefingScheduleViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    """Scheduled briefings of the publishers in the caller's scope (kept as beat entries:
    an edit reaches the scheduler without a restart). County staff and supervisors edit."""

    queryset = BriefingSchedule.objects.select_related("publisher").order_by("id")
    serializer_class = ScheduleSerializer
    read_roles = services.EDIT_ROLES
    write_roles = services.EDIT_ROLES

    def perform_destroy(self, instance):
        services.schedule_delete(instance)


FIGURE = inline_serializer(
    "BriefingFigure",
    {
        "key": serializers.CharField(),
        "label": serializers.CharField(),
        "value": serializers.CharField(),
        "definition": serializers.CharField(),
        "numerator": serializers.CharField(),
        "denominator": serializers.CharField(),
    },
)
ALL_INDICATORS = inline_serializer(
    "AllIndicators",
    {
        "region": serializers.CharField(),
        "region_name": serializers.CharField(),
        "start": serializers.DateField(),
        "end": serializers.DateField(),
        "sections": inline_serializer(
            "IndicatorSection",
            {
                "key": serializers.CharField(),
                "title": serializers.CharField(),
                "narrative": serializers.CharField(),
                "figures": serializers.ListField(child=FIGURE),
                "headers": serializers.ListField(child=serializers.CharField()),
                "rows": serializers.ListField(child=serializers.ListField()),
            },
            many=True,
        ),
    },
)


class AllIndicatorsView(APIView):
    """Every section's figures for a region and period in one document, as a briefing prints
    them: each figure with its definition, numerator and denominator, the section's paragraph
    and its table by township (by county for a prefecture). Only sections with data in the
    period are present. ``region`` defaults to the caller's scope, ``end`` to today and
    ``start`` to 1 January of ``end``'s year."""

    read_roles = services.GENERATE_ROLES

    @extend_schema(parameters=_REGION_PERIOD, responses=ALL_INDICATORS)
    def get(self, request):
        data = _valid(IndicatorQuery(request.query_params))
        start, end = _period(data, timezone.localdate())
        region = _region(request.user, data.get("region"))
        if region is None:
            region = Region.objects.filter(level=2).order_by("code").first()
            if region is None:
                raise NotFound(_("No such region in your scope."))
        try:
            sections = build_sections(
                request.user,
                region,
                start,
                end,
                texts=services.narrative_texts(region),
                today=timezone.localdate(),
            )
        except DjangoValidationError as exc:  # pragma: no cover - defensive
            raise ValidationError(exc.messages) from exc
        return Response(
            {
                "region": region.code,
                "region_name": region.name,
                "start": start,
                "end": end,
                "sections": [
                    {
                        "key": s.key,
                        "title": s.title,
                        "narrative": s.narrative,
                        "figures": [vars(f) for f in s.figures],
                        "headers": s.headers,
                        "rows": [[str(v) for v in row] for row in s.rows],
                    }
                    for s in sections
                ],
            }
        )
