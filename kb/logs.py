"""Logging of the site: refusals on one line.

Django logs a refused request (403 for an admin page an editor may not use, such as adding a
Source by hand instead of importing it) as a warning with the exception's traceback. The
traceback is Django's own machinery raising PermissionDenied, not a fault: in an operator's
log it reads like one. The warning line itself (method, path, status) is kept.
"""

import logging

REFUSALS = {403, 404, 405}


class RefusalsWithoutTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in REFUSALS:
            record.exc_info = None
            record.exc_text = None
        return True
