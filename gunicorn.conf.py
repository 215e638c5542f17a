"""Gunicorn's settings beside the Dockerfile's command line: gunicorn reads this file from
its working directory (the image's /app, and bench/http_load.py's checkout).

Each worker loads Django and the portal (a few hundred thousand objects that live as long
as the process) before its first request. ``gc.freeze()`` then moves them out of the
collector's way: the full collections that the pages' allocations trigger no longer walk
them, on a thread that holds the interpreter lock while the worker's other threads wait.

No keep-alive (``keepalive = 0``): each request comes on its own connection, and the worker
that is free first accepts it. With keep-alive a connection stays with the worker that
accepted it, for as long as the client keeps it open, and the workers are processes with one
interpreter lock each: measured here (bench/http_load.py, 16 connections on 2 cores), one
worker often held most of the connections at 100% of one core while another sat idle, and a
page's throughput swung between about 100 and 190 requests a second from one 8-second window
to the next; without keep-alive the two rounds of each page agreed within 5%. The portal
runs behind the proxy that ends TLS (``SECURE_PROXY_SSL_HEADER``): the browsers' keep-alive
connections end there, and a proxy's connection to the app server is cheap on its network.

A worker accepts no more connections than it has threads (``on_starting`` and
``on_reload``: the command line's ``--threads``). A worker accepted whatever came while its
threads were busy, and those requests waited behind its own instead of going to a worker
with a free thread: at 16 connections the pages' p95 was about twice their median (165-196
ms); now the connections wait in the socket's queue for the first free thread (124-137 ms).
"""

import gc

keepalive = 0


def on_starting(server):
    server.cfg.set("worker_connections", server.cfg.threads)


on_reload = on_starting  # a reload (HUP) reads the settings again


def post_worker_init(worker):
    gc.freeze()
