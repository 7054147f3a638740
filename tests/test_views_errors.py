"""The 404 and 500 pages in the site's design."""

from pathlib import Path

import pytest
from django.template import engines
from django.template.loader import get_template

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def test_it_renders_the_404_page_in_the_site_design(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page is not here" in html
    assert 'class="site-header"' in html and '<meta name="viewport"' in html


def test_it_renders_the_500_page_without_any_context():
    html = get_template("500.html").render()  # no request, no context processors
    assert "Something went wrong" in html and '<meta name="viewport"' in html


def test_it_keeps_the_500_page_static():
    source = (Path(engines["django"].engine.dirs[0]) / "500.html").read_text()
    assert "{%" not in source and "{{" not in source


def test_it_uses_the_500_page_for_server_errors(server_error):
    response = server_error
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
