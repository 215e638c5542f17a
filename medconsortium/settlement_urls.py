"""Pages of the settlements (namespace ``settlements``), mounted at /settlements/."""

from django.urls import path

from medconsortium import settlement_views as views

app_name = "settlements"

urlpatterns = [
    path("encounters/", views.EncounterListView.as_view(), name="encounter-list"),
    path("register/", views.RegisterListView.as_view(), name="register"),
    path("register/sync/", views.RegisterSyncView.as_view(), name="register-sync"),
    path("register/<int:pk>/", views.RegisterEditView.as_view(), name="register-edit"),
    path("large-expenses/", views.LargeExpenseView.as_view(), name="large-expenses"),
    path("bulletins/", views.BulletinListView.as_view(), name="bulletins"),
    path(
        "bulletins/<int:pk>/download/",
        views.BulletinDownloadView.as_view(),
        name="bulletin-download",
    ),
    path("aliases/", views.AliasListView.as_view(), name="aliases"),
    path("aliases/<int:pk>/delete/", views.AliasDeleteView.as_view(), name="alias-delete"),
    path("policy/", views.PolicyView.as_view(), name="policy"),
]
