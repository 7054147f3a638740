"""The API's pages: DRF's page-number pagination, whose "Invalid page." said nothing of why."""

from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    # Django's paginator says why ("That page number is less than 1", "… is not an integer",
    # "That page contains no results"); the answer stays a 404, as DRF's.
    invalid_page_message = "Invalid page {page_number!r}: {message}."
