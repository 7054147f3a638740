"""The admin's sessions: Django's database sessions, less fragile about the idle clock.

``SESSION_SAVE_EVERY_REQUEST`` (kb.settings) writes the session on every request so that an
idle admin session expires on time. When the database cannot be written (read-only, disk
full), that refresh must not turn the page the editor asked for — which says what went
wrong — into a 400 "session deleted": a failed refresh of an unchanged session only loses
the moved expiry. A session whose contents changed is still saved or fails as Django's does.
"""

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except UpdateError:
            if must_create or self.modified:
                raise
