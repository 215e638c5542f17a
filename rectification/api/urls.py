from rest_framework.routers import DefaultRouter

from rectification.api import views

router = DefaultRouter()
router.register("rectification-items", views.RectificationItemViewSet)

urlpatterns = router.urls
