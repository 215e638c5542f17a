"""REST endpoints of the screening app, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from screening.api import views

router = DefaultRouter()
router.register("screenings", views.ScreeningViewSet, basename="screening")
router.register("check-ups", views.CheckUpViewSet, basename="checkup")
router.register("prescriptions", views.IssuedPrescriptionViewSet, basename="issuedprescription")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("free-clinics", views.FreeClinicViewSet, basename="freeclinic")

urlpatterns = router.urls
