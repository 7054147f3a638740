"""Who is asking: the client's address, the same for the login lockout and the API throttle.

Behind a reverse proxy (nginx, a load balancer) every request's ``REMOTE_ADDR`` is the
proxy's: a lockout keyed on it would lock every editor out at once, and the API's anonymous
rate would be shared by the whole world. With ``DJANGO_NUM_PROXIES=n`` the address is the
one the n-th proxy from the end of ``X-Forwarded-For`` saw (each proxy appends the address
it received from); with 0, the default, the header is ignored, since a client can write any
``X-Forwarded-For`` it likes and would pick its own identity. DRF's throttles use the
same rule with ``NUM_PROXIES``.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "KB_NUM_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",")]
    claimed = addresses[-min(proxies, len(addresses))]
    try:
        # Stored by the lockout in an address column: anything else would be a 500 there.
        return str(ipaddress.ip_address(claimed))
    except ValueError:  # a proxy that forwards garbage: fall back to the connection's
        return remote
