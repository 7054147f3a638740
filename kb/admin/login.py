"""The admin's login: a limit per client address, "remember me", sessions that end when idle.

django-axes locks one username at one address after AXES_FAILURE_LIMIT failures. An address
trying many usernames (spraying one password over every account) is limited too (ASVS L2,
V2.2.1): ``AddressLimitBackend``, first in AUTHENTICATION_BACKENDS, refuses any login from
an address with KB_LOGIN_ADDRESS_FAILURE_LIMIT failures within the cool-off, whatever the
username, with axes' own lockout page (429). The count is axes' (its AccessAttempt rows).

Every admin session ends after ``SESSION_COOKIE_AGE`` seconds without a request
(``DJANGO_SESSION_IDLE_MINUTES``, 2 hours by default; ``SESSION_SAVE_EVERY_REQUEST`` moves
the end on with each request). Without "remember me" it also ends when the browser closes
(a cookie without an expiry); with it, the cookie outlives the browser, the idle limit
still holds.
"""

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils import timezone


def address_failures(address: str) -> int:
    """Failed logins from ``address`` within the cool-off, over every username."""
    attempts = AccessAttempt.objects.filter(ip_address=address)
    if settings.AXES_COOLOFF_TIME:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class AddressLimitBackend:
    """Refuses every login from an address over its failure limit (before any password is
    checked); the AxesMiddleware turns the refusal into the lockout page."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        address = get_client_ip_address(request)
        if address and address_failures(address) >= settings.KB_LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True
            request.axes_credentials = {"username": username}
            raise PermissionDenied("Too many failed logins from this address.")
        return None

    # No get_user: it never logs anyone in, so no session names it (and force_login, which
    # takes the first backend having one, skips it).


class RememberMeLoginForm(AdminAuthenticationForm):
    remember_me = forms.BooleanField(
        required=False,
        label="Remember me",
        help_text="Stay logged in after the browser closes (still logged out when idle).",
    )

    def clean(self):
        cleaned = super().clean()  # a wrong password or a locked-out client raises here
        # Set before login() cycles the session key: the expiry is kept with the session.
        remember = cleaned.get("remember_me")
        self.request.session.set_expiry(settings.SESSION_COOKIE_AGE if remember else 0)
        return cleaned


def install():
    """Make the default admin site's login use the form above (templates/admin/login.html)."""
    admin.site.login_form = RememberMeLoginForm
