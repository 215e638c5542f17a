"""Briefing pages (namespace ``briefings``)."""

from django.urls import path

from reports import briefing_views as views

app_name = "briefings"

urlpatterns = [
    path("", views.BriefingListView.as_view(), name="list"),
    path("schedules/", views.ScheduleListView.as_view(), name="schedules"),
    path("schedules/<int:pk>/", views.ScheduleEditView.as_view(), name="schedule-edit"),
    path("templates/", views.TemplateListView.as_view(), name="templates"),
    path("<uuid:uuid>/", views.BriefingDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/progress/", views.BriefingProgressView.as_view(), name="progress"),
    path(
        "<uuid:uuid>/publish/",
        views.BriefingActionView.as_view(action="publish"),
        name="publish",
    ),
    path(
        "<uuid:uuid>/regenerate/",
        views.BriefingActionView.as_view(action="generate"),
        name="regenerate",
    ),
    path(
        "<uuid:uuid>/file.<str:file_format>",
        views.BriefingFileView.as_view(),
        name="file",
    ),
]
