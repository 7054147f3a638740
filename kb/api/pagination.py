"""The API's pages: DRF's page-number pagination, whose "Invalid page." said nothing of why,
and whose ``page_size`` fell back to the default without a word on a malformed value."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

# The most results a client may ask for in one page (``page_size``). The default page
# (REST_FRAMEWORK's PAGE_SIZE, KB_API_PAGE_SIZE) is always allowed, even if set higher.
MAX_PAGE_SIZE = 100
PAGE_SIZE_PARAM = "page_size"


class Pages(PageNumberPagination):
    # Django's paginator says why ("That page number is less than 1", "… is not an integer",
    # "That page contains no results"); the answer stays a 404, as DRF's.
    invalid_page_message = "Invalid page {page_number!r}: {message}."
    page_size_query_param = PAGE_SIZE_PARAM
    max_page_size = max(MAX_PAGE_SIZE, PageNumberPagination.page_size or 0)

    @classmethod
    def page_size_error(cls, value: str) -> str:
        """What is wrong with a ``page_size``, the allowed range included."""
        return (
            f"Invalid page size {value[:40]!r}: use a whole number from 1 to "
            f"{cls.max_page_size} (the default is {cls.page_size})."
        )

    def get_page_size(self, request):
        """The default, or ``page_size`` when given; a malformed or out-of-range one is a 400
        naming the parameter (DRF's own silently served the default page instead). An empty
        ``page_size=`` is no choice, as an empty filter is no filter."""
        value = request.query_params.get(self.page_size_query_param, "")
        if value == "":
            return self.page_size
        # ASCII digits only (int() would also read " 5", "+5", "1_0" and "٣"), and no more of
        # them than the maximum has: int() never reads a 10,000-digit value.
        digits = value.isascii() and value.isdigit() and len(value) <= len(str(self.max_page_size))
        if digits and 1 <= int(value) <= self.max_page_size:
            return int(value)
        raise ValidationError({self.page_size_query_param: [self.page_size_error(value)]})

    @classmethod
    def page_size_description(cls) -> str:
        return f"Results per page, 1 to {cls.max_page_size} ({cls.page_size} by default)."

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] = PAGE_DESCRIPTION
            elif parameter["name"] == self.page_size_query_param:
                parameter["description"] = self.page_size_description()
        return parameters


PAGE_DESCRIPTION = "A page number (1 is the first); 404 beyond the last."
