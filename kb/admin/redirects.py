"""The old addresses (``SlugRedirect``), read-only: written by every change of a slug."""

from django.contrib import admin
from django.utils.html import format_html

from kb.models import SlugRedirect


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_slug", "kind", "leads_to", "changed"]
    list_filter = ["kind"]
    search_fields = ["old_slug"]
    list_select_related = ["source", "theme", "principle", "person"]
    fields = ["kind", "old_slug", "leads_to", "changed"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Never a source's whole text for a list row.
        return super().get_queryset(request).defer("source__text")

    def has_add_permission(self, request):
        return False  # written by the renames themselves

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="leads to")
    def leads_to(self, redirect):
        obj = getattr(redirect, redirect.kind)
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.slug)
