from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from healthaid import views

api_v1 = [
    path("", include("healthaid.api.urls")),
    path("", include("households.api.urls")),
    path("", include("contracts.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("medconsortium.api.settlement_urls")),
    path("", include("medconsortium.api.urls")),
    path("", include("screening.api.urls")),
    path("", include("approvals.api.urls")),
    path("", include("rectification.api.urls")),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", views.AuditLogListView.as_view(), name="audit-log"),
    path("institutions/", views.InstitutionListView.as_view(), name="institutions"),
    # The job pages of every spreadsheet import, by kind (healthaid.importing.views).
    path("imports/", include("healthaid.importing.urls")),
    path("households/", include("households.urls")),
    # The contract-rates page moved to reports (no app imports reports); old links still work.
    path(
        "contracts/county/",
        RedirectView.as_view(pattern_name="reports:county-view", query_string=True, permanent=True),
    ),
    path("contracts/", include("contracts.urls")),
    # An app's record pages and the figure pages reports serves for it, in one namespace
    # (reports joins them: it reads every app, no app reads it).
    path("settlements/", include("reports.settlement_urls")),
    path("consortium/", include("reports.consortium_urls")),
    path("", include("medconsortium.urls_public")),
    path("reports/", include("reports.urls")),
    path("dashboard/", include("reports.dashboard_urls")),
    path("briefings/", include("reports.briefing_urls")),
    path("screening/", include("screening.urls")),
    path("approvals/", include("approvals.urls")),
    path("rectification/", include("rectification.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script served as a file (?script), not inline: under the CSP as is.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc writes its styles into <style> elements at run time and renders the schema in a
    # blob: worker: this page alone allows inline styles and blob: workers (still no inline
    # script, and nothing from outside: templates/drf_spectacular/redoc.html).
    path(
        "api/redoc/",
        csp_update({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
]

# The settlement import (issue 9, on the shared import framework).
urlpatterns += [
    path("settlements/import/", include("medconsortium.settlement_import_urls")),
]

# The portal's own error pages, in Chinese (healthaid.errors); the API answers in JSON.
handler400 = "healthaid.errors.bad_request"
handler403 = "healthaid.errors.permission_denied"
handler404 = "healthaid.errors.page_not_found"
handler500 = "healthaid.errors.server_error"
