"""Security settings: the deploy check, response headers and CSP, the admin's path and login
lockout (django-axes), and oversized requests.

Settings that are read once when Django starts (HTTPS, the admin path) are checked in a
``manage.py`` subprocess started with those environment variables.
"""

import base64
import hashlib
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.template import engines
from factories import small_corpus_fixture  # noqa: F401

from kb import settings as kb_settings

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-test-password"

HTTPS_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "kb.example.org",
    "DJANGO_HTTPS": "1",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for this process (Playwright
    # runs an event loop); a deployment never has it, and check --deploy rightly objects.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **inherited, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_in_subprocess(code: str, **env: str) -> str:
    """What ``code`` prints, run by ``manage.py shell`` with ``env`` added."""
    result = manage("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# --- Deploy settings ---------------------------------------------------------------------


def test_it_passes_the_deploy_check_when_served_over_https():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **HTTPS_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_fails_the_deploy_check_without_https():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **{**HTTPS_ENV, "DJANGO_HTTPS": "0"}
    )
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr, check


def test_it_sets_hsts_for_a_year_unless_told_otherwise():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY)"
    )
    assert settings_in_subprocess(code, **HTTPS_ENV) == (
        "31536000 True ('HTTP_X_FORWARDED_PROTO', 'https') True True True"
    )
    assert settings_in_subprocess(code, **HTTPS_ENV, DJANGO_HSTS_SECONDS="600").startswith("600 ")


def test_it_leaves_https_off_by_default():
    code = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )
    assert settings_in_subprocess(code, DJANGO_HTTPS="") == "False 0"


def test_it_redirects_to_https_and_sends_hsts(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/themes/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/themes/"
    response = client.get("/themes/", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


# --- Response headers and the Content-Security-Policy ------------------------------------


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def test_it_sends_the_security_headers_and_a_nonce_for_the_inline_script(client, small_corpus):
    response = client.get(small_corpus.q_focus.get_absolute_url())
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    # The JSON-LD block carries the nonce the header allows, and it changes every request.
    html = response.content.decode()
    nonce = re.search(r'<script type="application/ld\+json" nonce="([^"]+)">', html).group(1)
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    again = client.get(small_corpus.q_focus.get_absolute_url())
    assert f"nonce-{nonce}" not in again["Content-Security-Policy"]


def test_it_gives_every_inline_script_of_the_pages_a_nonce(client, small_corpus):
    for url in ("/", small_corpus.q_focus.get_absolute_url(), "/no/such/page/"):
        response = client.get(url)
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
            assert "src=" in tag or (nonce and f'nonce="{nonce.group(1)}"' in tag), (url, tag)


def test_it_allows_inline_styles_only_in_the_admin_and_the_api(staff_client):
    for url in ("/admin/", "/api/", "/api/docs/"):
        response = staff_client.get(url, headers={"accept": "text/html"})
        assert response.status_code == 200, url
        policy = directives(response)
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"], url
        assert "'unsafe-inline'" not in policy.get("script-src", []), url
    assert "'unsafe-inline'" not in directives(staff_client.get("/"))["style-src"]


def test_it_allows_the_500_pages_style_by_its_hash(server_error):
    response = server_error
    assert response.status_code == 500
    source = (Path(engines["django"].engine.dirs[0]) / "500.html").read_text()
    css = re.search(r"<style>(.*?)</style>", source, flags=re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in directives(response)["style-src"]


# --- The admin's path ----------------------------------------------------------------------


def test_it_serves_the_admin_where_django_admin_path_says():
    code = (
        "from django.urls import resolve, reverse, Resolver404\n"
        "print(reverse('admin:index'), resolve('/editors/kb/').url_name)\n"
        "try:\n    resolve('/admin/')\nexcept Resolver404:\n    print('no /admin/')"
    )
    assert settings_in_subprocess(code, DJANGO_ADMIN_PATH="editors/kb/").split("\n") == [
        "/editors/kb/ index",
        "no /admin/",
    ]


@pytest.mark.parametrize("raw", ["/admin/", "admin", "ad min/", "../", "a/./"])
def test_it_refuses_a_malformed_admin_path(raw):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ADMIN_PATH"):
        kb_settings.admin_path(raw)


def test_it_stops_the_start_on_a_malformed_admin_path():
    result = manage("check", DJANGO_ADMIN_PATH="/admin")
    assert result.returncode != 0
    assert "DJANGO_ADMIN_PATH" in result.stderr


def test_it_sends_non_staff_users_to_the_admin_login(client, django_user_model):
    reader = django_user_model.objects.create_user("reader", password=PASSWORD)
    client.force_login(reader)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.post("/admin/login/", {"username": "reader", "password": PASSWORD})
    assert response.status_code == 200
    assert "not authorized" in response.content.decode() or "staff account" in (
        response.content.decode()
    )


# --- Failed logins (django-axes) -----------------------------------------------------------


@pytest.fixture
def editor(django_user_model, settings):
    # A fast hasher: these tests check every password a dozen times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)


def log_in(client, username: str, password: str, ip: str = "127.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def fail(client, times: int, username: str = "editor", ip: str = "127.0.0.1"):
    for _ in range(times):
        response = log_in(client, username, "wrong-password", ip)
    return response


def test_it_lets_a_staff_user_in_with_the_right_password(client, editor):
    response = log_in(client, "editor", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_it_still_lets_in_after_nine_failures(client, editor):
    assert fail(client, 9).status_code == 200
    assert log_in(client, "editor", PASSWORD).status_code == 302


def test_it_locks_out_after_ten_failures_even_with_the_right_password(client, editor):
    response = fail(client, 10)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    response = log_in(client, "editor", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # not signed in


def test_it_locks_only_that_user_at_that_address(client, editor, django_user_model):
    django_user_model.objects.create_user("other", password=PASSWORD, is_staff=True)
    fail(client, 10, "editor", "10.0.0.1")
    assert log_in(client, "editor", PASSWORD, "10.0.0.1").status_code == 429
    assert log_in(client, "editor", PASSWORD, "10.0.0.2").status_code == 302
    client.logout()
    assert log_in(client, "other", PASSWORD, "10.0.0.1").status_code == 302


def test_it_lifts_the_lockout_after_the_cool_off(client, editor, settings):
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=30)
    fail(client, 10)
    assert log_in(client, "editor", PASSWORD).status_code == 429
    # Half an hour later (the attempts' clock moved back instead of waiting).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=31)
    )
    assert log_in(client, "editor", PASSWORD).status_code == 302


def test_it_lifts_the_lockout_when_an_administrator_resets_it(client, editor):
    fail(client, 10)
    assert log_in(client, "editor", PASSWORD).status_code == 429
    call_command("axes_reset_username", "editor", verbosity=0)
    assert log_in(client, "editor", PASSWORD).status_code == 302


def behind_proxy(client, username, password, forwarded):
    """A login through one reverse proxy (127.0.0.1) that appends the client's address."""
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_a_proxy_it_locks_the_forwarded_address_not_the_proxy(client, editor, settings):
    settings.KB_NUM_PROXIES = 1
    for _ in range(10):
        # The client's own "1.1.1.1" entry is not trusted: the proxy's last one is.
        behind_proxy(client, "editor", "wrong-password", "1.1.1.1, 203.0.113.5")
    assert behind_proxy(client, "editor", PASSWORD, "203.0.113.5").status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
    # The same editor from another address (through the same proxy) still gets in.
    assert behind_proxy(client, "editor", PASSWORD, "198.51.100.20").status_code == 302


def test_without_proxies_a_forwarded_for_header_changes_nothing(client, editor):
    for n in range(10):
        behind_proxy(client, "editor", "wrong-password", f"203.0.113.{n}")
    assert behind_proxy(client, "editor", PASSWORD, "198.51.100.20").status_code == 429
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


@pytest.mark.parametrize("forwarded", ["garbage", "a" * 300, "999.999.999.999", ", ,"])
def test_a_garbled_forwarded_address_falls_back_to_the_connection(
    client, editor, settings, forwarded
):
    settings.KB_NUM_PROXIES = 1
    assert behind_proxy(client, "editor", "wrong-password", forwarded).status_code == 200
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


def test_it_reads_the_number_of_proxies_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.KB_NUM_PROXIES, s.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    assert settings_in_subprocess(code, DJANGO_NUM_PROXIES="2") == "2 2"
    assert settings_in_subprocess(code) == "0 0"
    result = manage("check", DJANGO_NUM_PROXIES="-1")
    assert result.returncode != 0 and "DJANGO_NUM_PROXIES must be 0 or more" in result.stderr


def test_it_reads_the_cool_off_from_the_environment():
    code = "from django.conf import settings as s; print(s.AXES_COOLOFF_TIME)"
    assert settings_in_subprocess(code, DJANGO_AXES_COOLOFF_MINUTES="5") == "0:05:00"
    assert settings_in_subprocess(code, DJANGO_AXES_COOLOFF_MINUTES="0") == "None"


# --- Oversized requests ----------------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024
REPEATED = "&".join(["theme=focus"] * 1000)  # 12 KB: under the length limit


@pytest.mark.parametrize("url", ["/quotes/", "/search/", "/api/quotes/", "/api/search/"])
def test_it_refuses_a_10_mb_query_string(client, db, url):
    response = client.get(url, QUERY_STRING="q=" + "a" * TEN_MB)
    assert response.status_code == 414
    if url.startswith("/api/"):
        assert response.json() == {"detail": "The query string is too long."}


@pytest.mark.parametrize("url", ["/quotes/", "/search/", "/api/quotes/"])
def test_it_refuses_a_thousand_repeated_parameters(client, db, url):
    response = client.get(url, QUERY_STRING=REPEATED)
    assert response.status_code == 400
    assert b"too many parameters" in response.content


def test_it_accepts_ordinary_filters(client, small_corpus):
    response = client.get("/quotes/", QUERY_STRING="theme=focus&theme=pricing&theme_match=any")
    assert response.status_code == 200


def test_it_refuses_a_form_with_a_thousand_and_one_fields(client, db):
    data = {f"field{i}": "x" for i in range(1001)}
    assert client.post("/admin/login/", data).status_code == 400


# --- One address over many usernames, sessions (kb.admin.login) ------------------------------


def test_it_locks_out_an_address_trying_many_usernames(client, editor, settings):
    assert settings.KB_LOGIN_ADDRESS_FAILURE_LIMIT == 30
    for n in range(30):  # three failures each for ten usernames: no pair reaches ten
        fail(client, 1, f"user-{n % 10}", "10.0.0.9")
    response = log_in(client, "editor", PASSWORD, "10.0.0.9")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # not signed in
    # Another address is not concerned.
    assert log_in(client, "editor", PASSWORD, "10.0.0.10").status_code == 302


def test_an_address_under_its_limit_still_logs_in(client, editor):
    for n in range(29):
        fail(client, 1, f"user-{n % 10}", "10.0.0.9")
    assert log_in(client, "editor", PASSWORD, "10.0.0.9").status_code == 302


def session_cookie(response):
    from django.conf import settings

    return response.cookies[settings.SESSION_COOKIE_NAME]


def test_without_remember_me_the_session_ends_with_the_browser_and_when_idle(client, editor):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    response = log_in(client, "editor", PASSWORD)
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    session = Session.objects.get()
    idle = (session.expire_date - timezone.now()).total_seconds()
    assert 2 * 3600 - 60 < idle <= 2 * 3600
    assert client.get("/admin/").status_code == 200
    # Two hours without a request: the session is over.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_with_remember_me_the_cookie_outlives_the_browser_but_not_the_idle_time(client, editor):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": PASSWORD, "remember_me": "on"},
    )
    assert response.status_code == 302
    assert session_cookie(response)["max-age"] == 2 * 3600


def test_each_request_moves_the_idle_end_on(client, editor):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    log_in(client, "editor", PASSWORD)
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get("/admin/").status_code == 200
    assert Session.objects.get().expire_date > timezone.now() + timedelta(minutes=110)


def test_the_login_page_offers_remember_me(client, db):
    page = client.get("/admin/login/").content.decode()
    assert 'name="remember_me"' in page and "Remember me" in page


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)"]
)
def test_after_login_a_refused_next_lands_on_the_admin_index(client, editor, next_url):
    response = client.post(
        "/admin/login/",
        {"username": "editor", "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get(response["Location"]).status_code == 200


def test_it_reads_the_session_idle_time_and_the_address_limit_from_the_environment():
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_AGE, s.KB_LOGIN_ADDRESS_FAILURE_LIMIT)"
    assert (
        settings_in_subprocess(
            code, DJANGO_SESSION_IDLE_MINUTES="15", DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT="50"
        )
        == "900 50"
    )
    result = manage("check", DJANGO_SESSION_IDLE_MINUTES="0")
    assert result.returncode != 0 and "DJANGO_SESSION_IDLE_MINUTES" in result.stderr
