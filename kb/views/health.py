"""``/healthz``: tells a load balancer or a monitor whether the site can answer."""

from django.db import Error, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _database_answers() -> bool:
    # The one raw query of the site: a probe of the connection, not of any table.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error:
        return False
    return True


@never_cache
@require_safe
def healthz(request):
    """200 ``{"status": "ok"}`` when the database answers ``SELECT 1``, else 503."""
    if _database_answers():
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "database unavailable"}, status=503)
