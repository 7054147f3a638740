"""A reader process for ``test_sqlite_concurrency``: requests pages until told to stop.

``python tests/sqlite_reader.py STOP_FILE URL...`` with DATABASE_URL naming a SQLite file.
Requests every URL in turn (Django's test client, the site's own settings) and reads the
number of sources with the ORM, until STOP_FILE exists. Prints "ready" after its first
round, then one JSON line: the requests made (start times), every failure (a status other
than 200, or an exception such as "database is locked"), the source counts it saw, and its
connection's journal mode and busy timeout.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from kb.models import Source  # noqa: E402

PAUSE = 0.02
WORDS = ["phone", "sincerity", "price", "India", "users", "Millet", "quality", "factory"]


def main() -> int:
    stop, urls = Path(sys.argv[1]), sys.argv[2:]
    # {% static %} without a collectstatic manifest, and the test client's host.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        ALLOWED_HOSTS=["testserver"],
    ).enable()
    client = Client(raise_request_exception=True)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        busy_timeout = cursor.fetchone()[0]
    requests, failures, sources = [], [], set()
    round_ = 0
    while round_ == 0 or not stop.exists():
        word = WORDS[round_ % len(WORDS)]
        for url in urls:
            url = url.replace("{word}", word)
            requests.append(time.time())
            try:
                response = client.get(url)
                if response.status_code != 200:
                    failures.append(f"{url}: status {response.status_code}")
            except Exception as exc:  # noqa: BLE001 - every failure is what we report
                failures.append(f"{url}: {type(exc).__name__}: {exc}")
            # A pause, as between a browser's requests: leaves the writer some CPU.
            time.sleep(PAUSE)
        try:
            sources.add(Source.objects.count())
        except Exception as exc:  # noqa: BLE001
            failures.append(f"Source.objects.count(): {type(exc).__name__}: {exc}")
        if round_ == 0:
            print("ready", flush=True)
        round_ += 1
    report = {
        "requests": requests,
        "failures": failures,
        "sources": sorted(sources),
        "journal_mode": journal_mode,
        "busy_timeout": busy_timeout,
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
