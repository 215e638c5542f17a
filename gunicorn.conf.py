"""Gunicorn's settings beside the Dockerfile's command line: gunicorn reads this file from
its working directory (the image's /app, and bench/http_load.py's checkout).

Each worker loads Django and the portal (a few hundred thousand objects that live as long
as the process) before its first request. ``gc.freeze()`` then moves them out of the
collector's way: the full collections that the pages' allocations trigger no longer walk
them, on a thread that holds the interpreter lock while the worker's other threads wait.
"""

import gc


def post_worker_init(worker):
    gc.freeze()
