"""Card numbers never reach logs or error reports (POLICY K9), whatever code logs them.

The actions mask card numbers before anything is stored; these are the second line of
defence for what could still be written on the way: a log message built from input, a
traceback's frame variables, the POST data an error report keeps.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import QueryDict
from django.views.debug import SafeExceptionReporterFilter

from hisho.dlp import mask_cards


def mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_cards(value).text
    if isinstance(value, bytes):
        return mask_cards(value.decode("utf-8", "replace")).text
    return value


class MaskCardNumbers(logging.Filter):
    """A handler filter: masks card numbers in the message and the traceback text."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_cards(message).text
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_cards(record.exc_text).text
        return True


class MaskingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's error reports (debug page, admin e-mails) with card numbers masked."""

    def get_post_parameters(self, request: Any) -> Any:
        params = super().get_post_parameters(request)
        if isinstance(params, QueryDict):
            cleaned = params.copy()
            for key in cleaned:
                cleaned.setlist(key, [mask(v) for v in cleaned.getlist(key)])
            return cleaned
        return {key: mask(value) for key, value in (params or {}).items()}

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [
            (name, mask(value) if isinstance(value, str | bytes) else value)
            for name, value in variables
        ]

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        return mask(super().cleanse_setting(key, value))
