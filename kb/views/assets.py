"""Files browsers and crawlers ask for at fixed paths, whatever the pages link to."""

from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request):
    """The icon the pages link to (a 302: its static name changes with its content)."""
    return redirect(static("img/favicon.svg"))
