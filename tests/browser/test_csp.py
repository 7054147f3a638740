"""Every kind of page works in a real browser under the Content-Security-Policy: no violation.

Chromium reports each blocked script, style, image, font or worker as a
``securitypolicyviolation`` event; an init script (run by the browser, not the page, so
outside the policy) records them. The public pages, the admin, the browsable API and the
API docs (Swagger UI, ReDoc) are visited after signing in through the admin's login form.
"""

import pytest
from django.core.management import call_command

from kb.models import Quote, Source

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PASSWORD = "a-long-test-password"

# ReDoc's attribution logo comes from its CDN: blocked on purpose (ReDoc then leaves it out).
EXPECTED_BLOCKS = ["https://cdn.redoc.ly/"]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  if (EXPECTED_BLOCKS.some((url) => e.blockedURI.startsWith(url))) return;
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} `
    + `(${e.sourceFile}:${e.lineNumber}) ${e.sample}`);
});
""".replace("EXPECTED_BLOCKS", repr(EXPECTED_BLOCKS))


def pages() -> dict[str, tuple[str, str]]:
    """name: (path, a selector that only appears once the page has done its work)."""
    quote = Quote.objects.published().order_by("pk").first()
    source = Source.objects.order_by("pk").first()
    return {
        "home": ("/", "main h1"),
        "quote-detail": (quote.get_absolute_url(), "main h1"),
        "source-detail": (source.get_absolute_url(), "main h1"),
        "search": ("/search/?q=Xiaomi", "main"),
        "not-found": ("/no/such/page/", ".error-page"),
        "admin-index": ("/admin/", "#kb-dashboard"),
        "admin-quotes": ("/admin/kb/quote/", "#result_list"),
        "admin-quote": (f"/admin/kb/quote/{quote.pk}/change/", "#quote_form"),
        "admin-import": ("/admin/kb/source/import/", "form"),
        "api-root": ("/api/", ".response-info"),
        "api-quotes": ("/api/quotes/", ".response-info"),
        "api-swagger": ("/api/docs/", ".swagger-ui .opblock"),
        "api-redoc": ("/api/redoc/", "[data-section-id]"),
    }


def test_it_runs_every_page_without_a_policy_violation(context, seeded_server, django_user_model):
    call_command("setup_roles", verbosity=0)
    django_user_model.objects.create_superuser("boss", password=PASSWORD)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#kb-dashboard")

    violations = {}
    for name, (path, ready) in pages().items():
        response = page.goto(path)
        assert response.status in (200, 404), (name, response.status)
        assert "default-src 'self'" in response.headers["content-security-policy"], name
        try:
            page.wait_for_selector(ready, state="attached")
            page.wait_for_load_state("networkidle")
        finally:
            found = page.evaluate("window.__cspViolations")
            if found:
                violations[name] = found
            assert not violations, violations
    assert not errors, f"JavaScript errors: {errors}"
