"""Settings of the HTTP bench's server: the portal's own, plus the bare anchor page's URL.

The anchor lives here, in bench/, so that nothing in the portal exists only to be measured.
"""

from healthaid.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
