from rest_framework.routers import DefaultRouter

from approvals.api import views

router = DefaultRouter()
router.register("approvals", views.ApprovalViewSet)

urlpatterns = router.urls
