"""Pages of the consortium app (namespace `medconsortium`); the public timetable is
mounted apart, outside the login (``public_urlpatterns``)."""

from django.urls import path

from medconsortium import views

app_name = "medconsortium"

urlpatterns = [
    path("", views.ConsortiumListView.as_view(), name="consortium-list"),
    path("<int:pk>/", views.ConsortiumDetailView.as_view(), name="consortium-detail"),
    path("new/", views.ConsortiumCreateView.as_view(), name="consortium-create"),
    path("<int:pk>/edit/", views.ConsortiumEditView.as_view(), name="consortium-edit"),
    path(
        "<int:pk>/members/add/",
        views.ConsortiumMemberAddView.as_view(),
        name="consortium-member-add",
    ),
    path(
        "<int:pk>/members/<int:institution>/remove/",
        views.ConsortiumMemberRemoveView.as_view(),
        name="consortium-member-remove",
    ),
    path(
        "<int:pk>/agreement/", views.ConsortiumAgreementView.as_view(), name="consortium-agreement"
    ),
    path("timetable/", views.TimetableView.as_view(), name="timetable"),
    path("timetable/print/", views.TimetablePrintView.as_view(), name="timetable-print"),
    path("sessions/", views.SessionListView.as_view(), name="session-list"),
    path("sessions/new/", views.SessionPlanView.as_view(), name="session-plan"),
    path("sessions/<int:pk>/record/", views.SessionRecordView.as_view(), name="session-record"),
    path("capacity/", views.CapacityView.as_view(), name="capacity"),
    path("consultations/", views.ConsultationListView.as_view(), name="consultation-list"),
    path("exchanges/", views.ExchangeListView.as_view(), name="exchange-list"),
    path("exchanges/<int:pk>/status/", views.ExchangeStatusView.as_view(), name="exchange-status"),
    path("referrals/", views.ReferralListView.as_view(), name="referral-list"),
    path("referrals/hospital/", views.HospitalWorklistView.as_view(), name="worklist-hospital"),
    path("referrals/mine/", views.DoctorWorklistView.as_view(), name="worklist-doctor"),
    path(
        "referrals/new/<int:member>/", views.ReferralRequestView.as_view(), name="referral-request"
    ),
    path("referrals/<int:pk>/", views.ReferralDetailView.as_view(), name="referral-detail"),
    path(
        "referrals/<int:pk>/<slug:command>/",
        views.ReferralCommandView.as_view(),
        name="referral-command",
    ),
]

public_urlpatterns = [
    path(
        "public/timetable/<str:code>/",
        views.PublicTimetableView.as_view(),
        name="public-timetable",
    ),
]
