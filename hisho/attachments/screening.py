"""What an uploaded file is, decided from its bytes, and what Hisho keeps of it.

- The type comes from the content (libmagic through python-magic), never from the name or
  the Content-Type the client sent, and must be on the allow-list (`Kind`): a renamed
  program is refused as what it is.
- Photos and images are decoded and encoded again with nothing but their pixels: EXIF
  (GPS, camera, time), XMP and ICC profiles are gone; the EXIF orientation is applied
  first, so photos stay upright. HEIC (iPhones) becomes JPEG, and the name says so. More
  than `HISHO_ATTACHMENT_MAX_PIXELS` pixels is refused before any decoding (a
  decompression bomb), and Pillow's own bomb check stays on.
- PDFs must open, must not be encrypted, and may carry nothing active: no JavaScript, no
  open or page actions, no launch, no embedded files. Their text passes DLP: a card
  number in it refuses the file.
- Voice notes (M4A/AAC, Ogg/Opus, WebM, MP3) are kept as they are, audio only.

Every refusal is an InvalidInput (422) naming the field `file`, with a fixed message.
"""

from __future__ import annotations

import io
import re
import time
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import magic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from hisho.attachments.models import Kind
from hisho.errors import InvalidInput
from hisho.inbound import card_refused_notice, carries_card

# An uploaded file (in memory or in a temporary file), as Django hands it over.
Upload = UploadedFile[bytes]

FIELD = "file"
NAME_MAX = 120  # characters of the kept name, extension included
SNIFF_BYTES = 64 * 1024

# libmagic's answer → the type Hisho keeps.
DETECTED: dict[str, Kind] = {
    "image/jpeg": Kind.JPEG,
    "image/png": Kind.PNG,
    "image/webp": Kind.WEBP,
    "image/heic": Kind.JPEG,  # re-encoded
    "image/heif": Kind.JPEG,
    "application/pdf": Kind.PDF,
    "audio/x-m4a": Kind.MP4_AUDIO,
    "audio/mp4": Kind.MP4_AUDIO,
    "video/mp4": Kind.MP4_AUDIO,  # Safari's recordings; only without a video track
    "audio/ogg": Kind.OGG_AUDIO,
    "audio/webm": Kind.WEBM_AUDIO,
    "video/webm": Kind.WEBM_AUDIO,  # browsers' recordings; only without a video track
    "audio/mpeg": Kind.MPEG_AUDIO,
}
EXTENSIONS: dict[str, str] = {
    Kind.JPEG: "jpg",
    Kind.PNG: "png",
    Kind.WEBP: "webp",
    Kind.PDF: "pdf",
    Kind.MP4_AUDIO: "m4a",
    Kind.OGG_AUDIO: "ogg",
    Kind.WEBM_AUDIO: "webm",
    Kind.MPEG_AUDIO: "mp3",
}
IMAGE_FORMATS = {Kind.JPEG: "JPEG", Kind.PNG: "PNG", Kind.WEBP: "WEBP"}

# PDF names that make a document act rather than show (keys or values, anywhere in it).
ACTIVE_PDF_NAMES = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/RichMedia",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
    }
)
PDF_MAX_PAGES = 500
PDF_MAX_OBJECTS = 200_000
# Reading a PDF's text for card numbers, in all: a 4 KB file of twenty pages sharing one
# stream of 50,000 text operators took 40 s (and 500 pages are allowed). A PDF that takes
# longer is refused as too complex to check.
PDF_SCREEN_SECONDS = 5.0
# A PDF's XMP metadata, decoded, in all: a few KB in a real file (a thumbnail in it, some
# hundreds). A stream of 75 MB of zeros packs into 75 KB, and each /Metadata may name it.
PDF_MAX_METADATA_BYTES = 4_000_000
_RAW_ACTIVE = re.compile(rb"/(JavaScript|JS|OpenAction|AA|Launch|EmbeddedFiles?|RichMedia|XFA)\b")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
# Where a voice note can hold text (ID3 tags, Vorbis comments, MP4 and WebM metadata): 13
# or more digits, each a few bytes from the next with no letter between, as a card typed
# into a tag leaves them — ASCII digits in ASCII, UTF-8 or UTF-16 (a NUL byte beside each
# digit), or the full-width digits a Japanese keyboard types (U+FF10–FF19: EF BC 90–99 in
# UTF-8, 10–19 FF or FF 10–19 in UTF-16). Only these windows are read by DLP: reading
# megabytes of audio as text takes minutes.
_DIGIT = rb"(?:[0-9]|\xef\xbc[\x90-\x99]|[\x10-\x19]\xff|\xff[\x10-\x19])"
_DIGIT_RUN = re.compile(_DIGIT + rb"(?:[^0-9A-Za-z]{0,8}?" + _DIGIT + rb"){12,}")
_RUN_PIECE = 2048
_RUN_OVERLAP = 512


@dataclass(frozen=True)
class Screened:
    kind: Kind
    name: str
    size: int
    chunks: Iterable[bytes]


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(FIELD, message)


def clean_file_name(raw: str, kind: Kind, *, language: str | None) -> str:
    """The name to keep: no path, no control or reserved characters, at most NAME_MAX
    characters, the extension of the type actually kept. A card number in it refuses the
    file (a masked name helps no one), with the card notice."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _UNSAFE_NAME.sub("_", stem).strip(" ._") or "file"
    extension = EXTENSIONS[kind]
    stem = stem[: NAME_MAX - len(extension) - 1]
    name = f"{stem}.{extension}"
    # The name kept is checked too: cleaning folds a long run of reserved characters into
    # one "_", and groups the detector read as far apart become a card ("4111***…1111").
    if any(carries_card(text) for text in (raw, unicodedata.normalize("NFKC", raw), name)):
        raise _refuse(card_refused_notice(language))
    return name


def _chunks_of(upload: Upload) -> Iterator[bytes]:
    upload.seek(0)
    yield from upload.chunks()


def _detect(upload: Upload) -> tuple[str, bytes]:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    return magic.from_buffer(head, mime=True), head


def _audio_only(detected: str, upload: Upload) -> bool:
    """MP4 and WebM containers can hold video; a voice note must not."""
    upload.seek(0)
    data = upload.read()
    if detected == "video/mp4":
        # A handler box of type `vide` marks a video track.
        return re.search(rb"hdlr.{8}vide", data, re.DOTALL) is None
    if detected == "video/webm":
        # TrackType (0x83) of 1 is a video track.
        return b"\x83\x81\x01" not in data
    return True


def _check_audio(upload: Upload, *, language: str | None) -> None:
    """A voice note is kept as sent, tags included: a card number in them refuses it."""
    upload.seek(0)
    data = upload.read()
    deadline = time.monotonic() + PDF_SCREEN_SECONDS
    for run in _DIGIT_RUN.finditer(data):
        # A long run (a file of digits) is read in overlapping pieces, each longer than a
        # card with separators can be, within the same time budget as a PDF's text.
        start, end = run.span()
        for piece in range(start, max(start + 1, end - _RUN_OVERLAP), _RUN_PIECE):
            if time.monotonic() > deadline:
                raise _refuse(_("This file is too complex to check."))
            window = data[piece : min(end, piece + _RUN_PIECE + _RUN_OVERLAP)]
            if any(carries_card(text) for text in _tag_readings(data, piece, len(window))):
                raise _refuse(card_refused_notice(language))


def _tag_readings(data: bytes, start: int, length: int) -> Iterator[str]:
    """A window of a voice note read as each encoding a tag may use. A run found in UTF-16
    may begin on either byte of a character (the high byte of a kana is an ASCII "0"), so
    UTF-16 is read from both alignments."""
    window = data[start : start + length]
    yield window.replace(b"\x00", b"").decode("utf-8", "replace")
    for offset in (0, 1):
        aligned = data[max(0, start - offset) : start + length]
        for codec in ("utf-16-le", "utf-16-be"):
            yield aligned[: len(aligned) // 2 * 2].decode(codec, "replace")


def _reencode_image(upload: Upload, kind: Kind) -> bytes:
    max_pixels = settings.HISHO_ATTACHMENT_MAX_PIXELS
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image: Any = Image.open(upload)
            width, height = image.size
            if width * height > max_pixels:
                raise _refuse(_("This image has too many pixels."))
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse(_("This image has too many pixels.")) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            # EOFError: a decoder plugin's (pillow-heif) for a corrupt HEIC.
            raise _refuse(_("This image cannot be read.")) from None
    # Only the pixels go on: a fresh image has no EXIF, XMP, ICC profile or comments.
    mode = upright.mode
    if kind == Kind.JPEG and mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGBA" if "A" in mode else "RGB")
    clean = Image.new(upright.mode, upright.size)
    clean.paste(upright)
    if upright.mode == "P":
        clean.putpalette(upright.getpalette() or [])
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": 90} if kind in (Kind.JPEG, Kind.WEBP) else {}
    clean.save(out, IMAGE_FORMATS[kind], **options)
    return out.getvalue()


def _walk_pdf(value: Any, seen: set[int], found: set[str], texts: list[str]) -> None:
    """Collect the active names in `found`, and in `texts` every string of the document
    and its XMP metadata: a viewer shows them as well as the pages' text — the title and
    author, a note or form field's value, a bookmark, a page label."""
    stack = [value]
    # Each metadata stream is read once however many objects name it, and all of them
    # together at most PDF_MAX_METADATA_BYTES: otherwise a file of some KB naming one
    # compressed stream of 75 MB a thousand times held 75 GB of text at once.
    decoded: set[int] = set()
    metadata_bytes = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen or len(seen) > PDF_MAX_OBJECTS:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        if isinstance(item, TextStringObject):
            texts.append(str(item))
        elif isinstance(item, ByteStringObject):
            texts.append(bytes(item).decode("latin-1"))
        elif isinstance(item, DictionaryObject):
            for key, child in item.items():
                if key in ACTIVE_PDF_NAMES:
                    found.add(str(key))
                if key == "/Metadata" and isinstance(child, IndirectObject):
                    # XMP: XML in a stream (of the document, a page, an image), not a string.
                    # (A stream is always an indirect object.)
                    metadata = child.get_object()
                    if isinstance(metadata, StreamObject) and child.idnum not in decoded:
                        decoded.add(child.idnum)
                        data = metadata.get_data()
                        metadata_bytes += len(data)
                        if metadata_bytes > PDF_MAX_METADATA_BYTES:
                            raise _refuse(_("This PDF is too complex to check."))
                        texts.append(data.decode("utf-8", "replace"))
                stack.append(child)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
        elif isinstance(item, NameObject) and item in ACTIVE_PDF_NAMES:
            found.add(str(item))


def _check_pdf(upload: Upload, *, language: str | None) -> None:
    upload.seek(0)
    raw = upload.read()
    if _RAW_ACTIVE.search(raw):
        raise _refuse(_("PDFs with scripts, actions or embedded files are not accepted."))
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted:
            raise _refuse(_("Encrypted PDFs are not accepted."))
        if len(reader.pages) > PDF_MAX_PAGES:
            raise _refuse(_("This PDF has too many pages."))
        found: set[str] = set()
        strings: list[str] = []
        _walk_pdf(reader.trailer, set(), found, strings)
        if found:
            raise _refuse(_("PDFs with scripts, actions or embedded files are not accepted."))
        if any(carries_card(text) for text in strings):
            raise _refuse(card_refused_notice(language))
        deadline = time.monotonic() + PDF_SCREEN_SECONDS
        pages: list[str] = []
        for page in reader.pages:
            if time.monotonic() > deadline:
                raise _refuse(_("This PDF is too complex to check."))
            pages.append(page.extract_text() or "")
        # Read as one text, a page break as a line break: a card's groups at the foot of one
        # page and the head of the next are one number to whoever reads it.
        if carries_card("\n".join(pages)):
            raise _refuse(card_refused_notice(language))
    except InvalidInput:
        raise
    except (
        PyPdfError,  # LimitReachedError (a flate bomb, too many tokens) among them
        NotImplementedError,  # an unknown /Encrypt or stream /Filter
        OverflowError,  # an offset of twenty digits
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        EOFError,
    ):
        raise _refuse(_("This PDF cannot be read.")) from None


def screen(upload: Upload, *, language: str | None) -> Screened:
    """Check an upload and make what Hisho keeps of it, or refuse it (InvalidInput)."""
    if upload.size is None or upload.size > settings.HISHO_ATTACHMENT_MAX_BYTES:
        raise _refuse(_("The file is too large."))
    if upload.size == 0:
        raise _refuse(_("The file is empty."))
    detected, _head = _detect(upload)
    kind = DETECTED.get(detected)
    if kind is None or not _audio_only(detected, upload):
        raise _refuse(
            _("Only photos (JPEG, PNG, WebP, HEIC), PDFs and voice notes can be attached.")
        )
    name = clean_file_name(upload.name or "", kind, language=language)
    if kind in IMAGE_FORMATS:
        data = _reencode_image(upload, kind)
        if len(data) > settings.HISHO_ATTACHMENT_MAX_BYTES:
            raise _refuse(_("The file is too large."))
        return Screened(kind, name, len(data), [data])
    if kind == Kind.PDF:
        _check_pdf(upload, language=language)
    else:
        _check_audio(upload, language=language)
    return Screened(kind, name, int(upload.size), _chunks_of(upload))
