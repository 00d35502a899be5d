"""Second line of defence for POLICY K9: logs and error reports never carry a card number,
even when code logs raw input or an exception report captures the request."""

from __future__ import annotations

import logging
import sys

from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from hisho.redaction import MaskCardNumbers, MaskingExceptionReporterFilter

CARD = "4111 1111 1111 1111"


def _record(message: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("t", logging.ERROR, __file__, 1, message, args, exc_info)  # type: ignore[arg-type]


def test_log_filter_masks_message_and_traceback() -> None:
    try:
        raise ValueError(f"bad input {CARD}")
    except ValueError:
        record = _record("charging %s", CARD, exc_info=sys.exc_info())
    assert MaskCardNumbers().filter(record) is True
    text = logging.Formatter().format(record)
    assert "1111 1111 1111" not in text and "4111" not in text
    assert "[card ••••1111]" in text


def test_the_configured_console_handler_masks() -> None:
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert handlers and any(isinstance(f, MaskCardNumbers) for f in handlers[0].filters)


def test_error_reports_mask_post_data_and_frame_variables() -> None:
    request = RequestFactory().post("/errands/new/", {"title": f"pay with {CARD}"})
    try:
        body = f"card {CARD}"  # noqa: F841 - a frame variable the report shows
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        reporter.filter = MaskingExceptionReporterFilter()
        report = reporter.get_traceback_text()
    assert "4111" not in report
    assert "[card ••••1111]" in report
