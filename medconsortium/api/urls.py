"""REST endpoints of the consortium app, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from medconsortium.api import views

router = DefaultRouter()
router.register("consortia", views.ConsortiumViewSet, basename="consortium")
router.register("expert-sessions", views.ExpertSessionViewSet, basename="expertsession")
router.register("trainee-exchanges", views.TraineeExchangeViewSet, basename="traineeexchange")
router.register(
    "remote-consultations", views.RemoteConsultationViewSet, basename="remoteconsultation"
)
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("reserved-capacity", views.ReservedCapacityViewSet, basename="reservedcapacity")

urlpatterns = router.urls
