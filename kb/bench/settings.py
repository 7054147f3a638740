"""Settings of the benchmark's server: the site's, plus ``kb.bench.server``'s additions.

Used only by ``python -m kb.bench pages`` (``DJANGO_SETTINGS_MODULE=kb.bench.settings``).
"""

from kb.settings import *  # noqa: F403
from kb.settings import MIDDLEWARE

ROOT_URLCONF = "kb.bench.urls"
# Outermost, so it counts every query of the request, the other middleware's included.
MIDDLEWARE = ["kb.bench.server.count_queries", *MIDDLEWARE]
