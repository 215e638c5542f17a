from django.urls import path
from rest_framework.routers import DefaultRouter

from healthaid.api import views

router = DefaultRouter()
router.register("regions", views.RegionViewSet)
router.register("institutions", views.InstitutionViewSet)
router.register("audit", views.AuditLogViewSet)

urlpatterns = [path("me/", views.me, name="api-me"), *router.urls]
