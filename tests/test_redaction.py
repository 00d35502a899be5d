"""Second line of defence for POLICY K9: logs and error reports never carry a card number,
even when code logs raw input or an exception report captures the request."""

from __future__ import annotations

import logging
import sys
from typing import Any

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


# --- issue 13: URLs as logged, the ASGI server's loggers, mail printed to the console -------


def test_request_lines_are_decoded_before_masking() -> None:
    from hisho.redaction import mask_cards_decoded

    # (`q=`, a search term, is hidden whole before this: tests/search/test_no_log.py.)
    for line in (
        '127.0.0.1:5000 - "GET /errands/?ref=4111%201111%201111%201111 HTTP/1.1" 200',
        '127.0.0.1:5000 - "GET /x?ref=4111+1111+1111+1111&n=2 HTTP/1.1" 404',
        '127.0.0.1:5000 - "GET /x?ref=4111%25201111%25201111%25201111 HTTP/1.1" 404',
        '127.0.0.1:5000 - "GET /x?ref=%EF%BC%94111%E2%80%8B1111%E3%83%BB1111-1111 HTTP/1.1" 404',
    ):
        record = _record("%s", line)
        MaskCardNumbers().filter(record)
        shown = record.getMessage()
        assert "[card ••••1111]" in shown, shown
        assert "1111 1111" not in shown and "4111" not in shown.replace("%", " ")
    untouched = '127.0.0.1:5000 - "GET /errands/?page=2&q=a+b%20c HTTP/1.1" 200'
    assert mask_cards_decoded(untouched) is untouched


def test_the_asgi_servers_loggers_write_through_the_masking_filter() -> None:
    for name in ("uvicorn.access", "uvicorn"):
        logger = logging.getLogger(name)
        # The handlers that write (pytest adds capturing ones of its own).
        writers = [h for h in logger.handlers if type(h) is logging.StreamHandler]
        assert writers and not logger.propagate, name
        for handler in writers:
            assert any(isinstance(f, MaskCardNumbers) for f in handler.filters), name


def test_the_console_mail_backend_prints_no_card(settings: object) -> None:
    import io

    from django.core.mail import EmailMultiAlternatives

    from hisho.redaction import MaskingConsoleEmailBackend

    stream = io.StringIO()
    backend = MaskingConsoleEmailBackend(stream=stream)
    message = EmailMultiAlternatives(
        subject=f"ご確認 {CARD}",  # non-ASCII: an encoded header
        body=f"カード番号 ４１１１－１１１１－１１１１－１１１１ and {CARD}\n" + "é" * 2000,
        to=["someone@example.com"],
        reply_to=["visitor@example.net"],
    )
    message.attach_alternative(f"<p>{CARD}</p>", "text/html")
    backend.send_messages([message])
    printed = stream.getvalue()
    assert "someone@example.com" in printed and "カード番号" in printed
    assert printed.count("[card ••••1111]") >= 4
    digits = "".join(ch for ch in printed if ch.isdigit())
    assert "4111111111111111" not in digits.translate(str.maketrans("４１", "41"))


def test_a_request_django_finds_suspicious_is_logged_in_one_line(
    client: object, db: None, caplog: object
) -> None:
    """An anonymous POST of 201 fields (to the sign-in page, an unsubscribe link…) is a
    correct 400, and was written to the log with a whole traceback each time (found by
    attacking outreach)."""
    import pytest

    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    caplog.set_level(logging.ERROR, logger="django.security")  # type: ignore[attr-defined]
    fields = {f"field{n}": "x" for n in range(201)}
    response = client.post("/accounts/login/", fields)  # type: ignore[attr-defined]
    assert response.status_code == 400
    records = [r for r in caplog.records if r.name.startswith("django.security.")]  # type: ignore[attr-defined]
    if not records:
        pytest.fail("Django logged nothing under django.security")
    for record in records:
        assert handler.filter(record)
        line = handler.format(record)
        assert "Traceback" not in line and "\n" not in line, line


def _through_the_console(emit: Any) -> str:
    """What the ASGI server's logger writes through Hisho's console handler."""
    import io

    [handler] = [
        h for h in logging.getLogger("uvicorn").handlers if type(h) is logging.StreamHandler
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        emit(logging.getLogger("uvicorn.error"))
    finally:
        handler.setStream(previous)  # type: ignore[arg-type]
    return stream.getvalue()


def test_a_websocket_frame_that_is_not_utf8_is_one_info_line() -> None:
    """uvicorn logs an ERROR with a traceback when a client's text frame is not UTF-8
    (and closes it, 1007): any participant could fill the error log at will (found by a
    probe of the live chat). Hisho's console handler makes it one INFO line."""

    def invalid_text(logger: logging.Logger) -> None:
        try:
            b'{"ref":"\xed\xa0\x80"}'.decode("utf-8")
        except UnicodeDecodeError:
            logger.exception("Invalid UTF-8 sequence received from client.")

    written = _through_the_console(invalid_text)
    assert "INFO uvicorn.error Invalid UTF-8 sequence received from client." in written
    assert "Traceback" not in written and "ERROR" not in written

    def our_fault(logger: logging.Logger) -> None:
        try:
            raise RuntimeError("a fault of ours")
        except RuntimeError:
            logger.exception("Exception in ASGI application")

    written = _through_the_console(our_fault)
    assert "ERROR uvicorn.error" in written and "Traceback" in written


def test_make_serve_refuses_big_websocket_frames_before_buffering_them() -> None:
    """uvicorn's default holds up to 16 MiB per socket before the chat's own 64 KiB check
    sees the frame; `make serve` passes the same limit as scripts/scaled.py."""
    import shutil
    import subprocess

    make = shutil.which("make")
    assert make is not None
    printed = subprocess.run(  # noqa: S603 - make -n only prints the recipe
        [make, "-n", "serve"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    [command] = [line for line in printed.splitlines() if "uvicorn hisho.asgi" in line]
    assert "--ws-max-size 262144" in command
