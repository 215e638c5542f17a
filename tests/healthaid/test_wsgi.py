"""The WSGI entry point: the application, its views loaded, the start-up objects frozen."""

import gc
import importlib
import sys


def test_wsgi_loads_the_views_and_freezes_what_start_up_made(db):
    sys.modules.pop("healthaid.wsgi", None)
    gc.unfreeze()
    try:
        wsgi = importlib.import_module("healthaid.wsgi")
        assert callable(wsgi.application)
        assert "households.views" in sys.modules and "contracts.views" in sys.modules
        assert gc.get_freeze_count() > 10_000  # Django's and the apps' objects
    finally:
        gc.unfreeze()  # the test process's own collector, as it was
