"""What only the benchmark's server has: a hello-world view and a query counter.

The pages part (``bench.pages``) serves the site with ``bench.settings``: the same
settings, URLs and middleware as the real site, plus ``/bench/hello/`` (the ceiling a
Django view can reach on this machine) and ``count_queries``, which tells in a response
header how many SQL queries the request ran. Neither is ever part of the real site.
"""

from __future__ import annotations

from django.db import connections
from django.http import HttpResponse

QUERIES_HEADER = "X-Bench-Queries"


def hello(request):
    """The cheapest Django view: no database, no template (the ceiling)."""
    return HttpResponse("Hello, world\n", content_type="text/plain")


def count_queries(get_response):
    """Middleware: the number of SQL queries of the request, in ``X-Bench-Queries``."""

    def middleware(request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        wrappers = [connections[alias].execute_wrapper(counter) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response[QUERIES_HEADER] = str(count)
        return response

    return middleware
