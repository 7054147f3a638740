"""Settings of the benchmark's server: the site's, plus ``bench.server``'s additions.

Used only by ``python -m bench pages`` (``DJANGO_SETTINGS_MODULE=bench.settings``).
"""

import os
from pathlib import Path

from kb.settings import *  # noqa: F403
from kb.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
# Outermost, so it counts every query of the request, the other middleware's included.
MIDDLEWARE = ["bench.server.count_queries", *MIDDLEWARE]

# Static files collected for the bench's server go to a folder of the bench's own: never the
# site's staticfiles/, which a running site (or a test run beside the bench) is serving.
if os.environ.get("KB_BENCH_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["KB_BENCH_STATIC_ROOT"])
