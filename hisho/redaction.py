"""Card numbers never reach logs or error reports (POLICY K9), whatever code logs them.

The actions mask card numbers before anything is stored; these are the second line of
defence for what could still be written on the way: a log message built from input, a
traceback's frame variables, the POST data an error report keeps.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend
from django.http import QueryDict
from django.views.debug import SafeExceptionReporterFilter

from hisho.dlp import EntityType, find, mask_cards


def carries_card(text: str) -> bool:
    """Does ``text`` hold a card number, as typed or once its %-escapes and "+" are
    decoded (``4111%201111…``)? For input where masking makes no sense (an e-mail address
    is refused instead)."""
    return any(find(value, (EntityType.CREDIT_CARD,)) for value in _readings(text))


def mask_cards_decoded(text: str) -> str:
    """``text`` with its card numbers masked, read as a URL is: when a card appears once
    %-escapes and "+" are decoded (``4111%201111…``), the most decoded reading that shows
    one is returned, masked (a log line decoded loses nothing a reader needs). No card:
    ``text`` itself."""
    current = text
    for _ in range(3):
        for reading in reversed(_readings(current)):
            masked = mask_cards(reading)
            if masked.cards_masked:
                current = masked.text
                break
        else:
            return current
    return current


def _readings(text: str) -> list[str]:
    """``text``, then each further %-decoding of it (at most three: "%2520" is a space
    escaped twice)."""
    readings = [text]
    current = text
    for _ in range(3):
        if "%" not in current and "+" not in current:
            break
        decoded = unquote_plus(current, errors="replace")
        if decoded == current:
            break
        readings.append(decoded)
        current = decoded
    return readings


# A search query's value in a request line (`?q=…`): what someone looked for in their
# own errands is theirs alone (docs/search.md). Hisho's search takes the words in a POST
# body; a client that puts them in a URL anyway still never has them logged.
# Also %-escaped, once or more (a sign-in redirect's `next=/errands/%3Fq%3D…`).
_SEARCH_TERMS = re.compile(
    r"((?:[?&;]|%(?:25)*(?:3F|26|3B))(?:q|query|search)(?:=|%(?:25)*3D))"
    r"(?:(?!%(?:25)*(?:26|3B|23))[^&;#\s\"])*",
    re.IGNORECASE,
)
SEARCH_TERMS_HIDDEN = "[hidden]"


def hide_search_terms(text: str) -> str:
    """``text`` with the value of every ``q=`` (``query=``, ``search=``) parameter
    replaced."""
    return _SEARCH_TERMS.sub(rf"\g<1>{SEARCH_TERMS_HIDDEN}", text)


def masked_data(data: Any) -> Any:
    """A form's data with card numbers masked, and a value that carries one emptied when
    masking leaves nothing usable (an e-mail address)."""
    if isinstance(data, QueryDict):
        copy = data.copy()
        for key in copy:
            copy.setlist(key, [_shown(key, v) for v in copy.getlist(key)])
        return copy
    return {key: _shown(key, value) for key, value in data.items()}


def _shown(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not carries_card(value):
        return value
    return "" if "email" in key else mask_cards_decoded(value)


def mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_cards(value).text
    if isinstance(value, bytes):
        return mask_cards(value.decode("utf-8", "replace")).text
    return value


class MaskCardNumbers(logging.Filter):
    """A handler filter: masks card numbers in the message and the traceback text, and
    hides search terms in request lines (``?q=…``)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # Request lines (the ASGI server's access log, runserver) carry %-escapes.
        masked = mask_cards_decoded(hide_search_terms(message))
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_cards(record.exc_text).text
        return True


class ClientErrorsInOneLine(logging.Filter):
    """A handler filter: what Django logs under `django.security.*` — a request it found
    suspicious (too many fields or files, a body too large, a bad Host) and answered
    with a 400 — is the client's doing, not a fault of ours: one line, no traceback
    (an anonymous unsubscribe link's oversize POST wrote one to the log each time). So is
    a websocket frame of text that is not UTF-8 (uvicorn's ERROR becomes one INFO line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security."):
            record.exc_info, record.exc_text = None, None
        elif record.name == "uvicorn.error" and _invalid_text_from_client(record):
            # A websocket text frame that is not UTF-8: uvicorn closes it (1007) and logs
            # an ERROR with a traceback, which any participant could repeat at will.
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _invalid_text_from_client(record: logging.LogRecord) -> bool:
    # Both the decode error and uvicorn's own words for it: a UnicodeDecodeError raised in
    # our code reaches this logger as "Exception in ASGI application" and stays an ERROR.
    error = record.exc_info[1] if record.exc_info else None
    return isinstance(error, UnicodeDecodeError) and str(record.msg).startswith("Invalid UTF-8")


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


class MaskingConsoleEmailBackend(ConsoleEmailBackend):
    """Django's console mail backend, masked: what it prints is a log (POLICY K9). Each
    message is rendered as Django renders it, then masked as text, after decoding its
    encoded headers and transfer encodings, so a card in a subject or a base64 body is
    not printed either."""

    def write_message(self, message: Any) -> None:  # an EmailMessage
        msg = message.message()
        self.stream.write(mask_cards_decoded(_readable(msg)))
        self.stream.write("\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")


def _readable(msg: Any) -> str:
    """A MIME message as a person reads it: headers decoded, parts decoded."""
    from email.header import decode_header, make_header

    lines: list[str] = []
    for part in msg.walk():
        for key, value in part.items():
            try:
                shown = str(make_header(decode_header(str(value))))
            except (ValueError, LookupError):
                shown = str(value)
            lines.append(f"{key}: {shown}")
        lines.append("")
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            charset = part.get_content_charset() or "utf-8"
            try:
                lines.append(payload.decode(charset, "replace"))
            except LookupError:
                lines.append(payload.decode("utf-8", "replace"))
        lines.append("")
    return "\n".join(lines)
