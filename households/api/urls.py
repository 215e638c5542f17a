"""REST endpoints of the households app, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from households.api import views

router = DefaultRouter()
router.register("households", views.HouseholdViewSet, basename="household")
router.register("members", views.MemberViewSet, basename="member")

urlpatterns = router.urls
