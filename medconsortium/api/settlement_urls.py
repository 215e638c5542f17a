"""REST endpoints of encounters and settlements, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from medconsortium.api import settlement_views

router = DefaultRouter()
router.register("encounters", settlement_views.EncounterViewSet, basename="encounter")

urlpatterns = [*router.urls]
