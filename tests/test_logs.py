"""The operator's log: a refused request is one line, a fault keeps its traceback."""

import io
import logging

import pytest

from kb.logs import RefusalsWithoutTraceback


@pytest.fixture
def console():
    """What the site's console handler (settings.LOGGING) writes, while the test runs."""
    (handler,) = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RefusalsWithoutTraceback) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_refused_admin_page_is_one_line_without_traceback(admin_client, console):
    response = admin_client.get("/admin/kb/source/add/")  # sources come by import only
    assert response.status_code == 403
    logged = console.getvalue()
    assert "Forbidden (Permission denied): /admin/kb/source/add/" in logged
    assert "Traceback" not in logged


def test_a_fault_keeps_its_traceback(console):
    logger = logging.getLogger("django.request")
    try:
        raise ValueError("broken")
    except ValueError:
        logger.error("Internal Server Error: /x/", exc_info=True, extra={"status_code": 500})
    assert "Traceback" in console.getvalue() and "ValueError: broken" in console.getvalue()
