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


def test_gunicorn_reads_its_settings_file():
    """gunicorn.conf.py as gunicorn itself reads it (the Dockerfile's and the HTTP bench's
    working directory): no keep-alive and no more connections a worker than its threads,
    so the free worker takes each request, and the start-up objects frozen in each
    worker."""
    from pathlib import Path
    from types import SimpleNamespace

    from gunicorn.app.base import Application

    settings_file = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"

    class Server(Application):
        def load_config(self):
            self.load_config_from_file(str(settings_file))

        def load(self):
            return None

    config = Server().cfg
    assert config.keepalive == 0
    assert config.post_worker_init.__module__ == "__config__"
    config.set("threads", 4)  # the Dockerfile's --threads
    config.on_starting(SimpleNamespace(cfg=config))
    assert config.worker_connections == 4
