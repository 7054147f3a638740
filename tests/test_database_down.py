"""The database stops while the site serves: 503 pages (JSON under /api/), then recovery.

The test starts a PostgreSQL server of its own (initdb in a temporary folder, a free port;
never the shared server on 5432), migrates it, and serves the site from it with
scripts/serve (granian) as `make run` does, with persistent connections (DJANGO_CONN_MAX_AGE) so that recovering
needs the connection health checks. Then it stops the server, asks for pages over HTTP,
starts the server again and asks again, without restarting the web server.

Skipped only where PostgreSQL's server binaries (initdb, pg_ctl) are not installed.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
PG_BIN = next((bin for bin in reversed(PG_BINS) if (bin / "initdb").exists()), None)

pytestmark = pytest.mark.skipif(
    PG_BIN is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
)

# Pages in {% static %} without a collectstatic manifest (as tests/conftest.py does).
PLAIN_STATIC_SETTINGS = """
from kb.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
"""


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """A PostgreSQL server in ``folder``, listening on 127.0.0.1:``port`` only."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.port = unused_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str) -> None:
        # PostgreSQL refuses to run as root: the tests do (on the project's machines).
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*as_postgres, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "log"), "-w", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@pytest.fixture(scope="module")
def postgres():
    # Not under pytest's tmp_path: its folders are private to root, the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="kb-throwaway-postgres-"))
    server = ThrowawayPostgres(folder)
    try:
        server.init()
        server.start()
        yield server
        try:
            server.stop("immediate")
        except RuntimeError:
            pass  # a failed test may have left it stopped
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def site(postgres, tmp_path_factory):
    """The site's server (scripts/serve, one worker) on the throwaway database; yields
    (base URL, process)."""
    settings_dir = tmp_path_factory.mktemp("settings")
    (settings_dir / "down_settings.py").write_text(PLAIN_STATIC_SETTINGS)
    env = {
        **os.environ,
        "DATABASE_URL": postgres.url,
        "DJANGO_SETTINGS_MODULE": "down_settings",
        "PYTHONPATH": os.pathsep.join([str(settings_dir), str(ROOT)]),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_CONN_MAX_AGE": "600",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = unused_port()
    env["VENV"] = str(Path(sys.executable).parent.parent)
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "serve"), str(port), "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while get(base + "/healthz")[0] != 200:
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(url: str) -> tuple[int, dict, str]:
    """(status, headers, body) of a GET; (0, {}, "") when nothing listens yet.

    The headers are looked up without regard to case: granian sends them in lower case.
    """
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()
    except (ConnectionError, urllib.error.URLError):
        return 0, {}, ""


def test_it_answers_503_while_the_database_is_down_and_recovers_by_itself(postgres, site):
    base, server = site
    for path in ("/healthz", "/", "/quotes/", "/api/quotes/"):
        assert get(base + path)[0] == 200, path

    postgres.stop()

    status, headers, html = get(base + "/quotes/")
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert "The knowledge base is briefly unavailable" in html
    assert 'class="site-header"' in html  # the site's design, from base.html
    assert "Traceback" not in html and "OperationalError" not in html
    assert headers["Retry-After"] == "30"
    assert "default-src 'self'" in headers["Content-Security-Policy"]

    status, headers, body = get(base + "/api/quotes/")
    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "The database is unavailable. Please try again shortly."}

    status, _, body = get(base + "/healthz")
    assert status == 503
    assert json.loads(body) == {"status": "database unavailable"}

    postgres.start()

    for path in ("/healthz", "/", "/quotes/", "/api/quotes/"):
        assert get(base + path)[0] == 200, path
    assert server.poll() is None  # the same server: nothing was restarted


def test_it_renders_the_503_page_without_the_database(rf):
    """No ``db`` fixture: pytest-django fails any query made here."""
    from kb.middleware import database_unavailable

    response = database_unavailable(rf.get("/sources/"))
    assert response.status_code == 503
    html = response.content.decode()
    assert "briefly unavailable" in html and '<meta name="viewport"' in html
    assert 'href="/sources/"' in html  # "try this page again"
