"""The consortium pages open without login: the public expert timetable."""

from medconsortium.urls import public_urlpatterns

urlpatterns = public_urlpatterns
