"""The API's exception handler: every client error is a JSON body, whatever the Accept header."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


def json_exception_handler(exc, context):
    """DRF's default handler, with Django's ValidationError as a 400 and errors always in JSON.

    Http404, PermissionDenied and every APIException (NotFound for a bad page number,
    ValidationError for a malformed filter, ParseError …) become ``{"detail": …}`` or
    ``{"<parameter>": [messages]}``. Anything else returns None so Django reports it as
    the server error it is.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    if request is not None:
        # The browsable API would render the error as HTML for a browser; an error is data.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response
