"""Anonymous rate limiting, with the rate read from the settings at request time.

DRF reads ``DEFAULT_THROTTLE_RATES`` once, when it is imported; this throttle reads
``settings.KB_API_ANON_RATE`` on every request instead, so an operator's environment and
a test's ``settings`` fixture both take effect. Counts live in Django's default cache.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling

from kb.clients import client_address

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
OFF = ("", "0", "none", "off")


def parse_rate(rate: str | None) -> tuple[int | None, int | None]:
    """``"120/min"`` as ``(120, 60)``; ``None`` or ``""`` (no limit) as ``(None, None)``."""
    if rate is None or str(rate).strip().lower() in OFF:
        return None, None
    number, _, period = str(rate).strip().partition("/")
    try:
        count, duration = int(number), PERIODS[period.strip().lower()[:1]]
    except (ValueError, KeyError):
        count, duration = 0, 0
    if count <= 0 or duration <= 0:
        raise ImproperlyConfigured(
            f"KB_API_ANON_RATE={rate!r} is not a rate: use requests/period such as "
            '"120/min", "5000/hour" or "" for no limit.'
        )
    return count, duration


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's AnonRateThrottle (per client IP, anonymous requests only) at KB_API_ANON_RATE."""

    def get_rate(self):
        rate = getattr(settings, "KB_API_ANON_RATE", None)
        return None if parse_rate(rate) == (None, None) else rate

    def parse_rate(self, rate):
        return parse_rate(rate)

    def get_ident(self, request):
        """The client's address by the site's one rule (kb.clients), as the lockout sees it."""
        return client_address(request) or ""
