"""Attachments over the API (issue 18 part 1): upload, list, download; what is kept of a
file; bad input refused with nothing stored; idempotent retries."""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText

from hisho.attachments.models import Attachment
from hisho.demo import Demo
from hisho.inbound import CARD_REFUSED_NOTICE
from tests.attachments import samples

CARD = "4111 1111 1111 1111"
FULL_WIDTH_CARD = CARD.translate(str.maketrans("0123456789 ", "０１２３４５６７８９\u3000"))


def url(demo: Demo, suffix: str = "") -> str:
    return f"/errands/{demo.alice_errand.pk}/attachments{suffix}"


def send(client: Any, demo: Demo, name: str, data: bytes, **headers: str) -> Any:
    return client.upload(url(demo), {"file": samples.upload(name, data)}, headers=headers)


def stored_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


def test_alice_attaches_a_photo_and_kenji_downloads_it(demo: Demo, api_as: Any) -> None:
    created = send(api_as("alice"), demo, "menu.png", samples.png())
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "menu.png" and body["content_type"] == "image/png"
    listed = api_as("kenji").get(url(demo)).json()
    assert [item["id"] for item in listed] == [body["id"]]
    download = api_as("kenji").client.get(
        f"/api/v1{url(demo, '/' + body['id'])}", headers=api_as("kenji").headers
    )
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert len(data) == body["size"] == int(download["Content-Length"])
    assert Image.open(io.BytesIO(data)).size == (20, 20)
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith('attachment; filename="menu.png"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"] and "private" in download["Cache-Control"]


def _download(client: Any, demo: Demo, attachment_id: str) -> bytes:
    response = client.client.get(f"/api/v1{url(demo, '/' + attachment_id)}", headers=client.headers)
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def test_a_gps_tagged_photo_comes_back_without_gps_exif_or_xmp(demo: Demo, api_as: Any) -> None:
    original = samples.gps_photo()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(samples.GPS_IFD)  # it has GPS
    assert b"secret-place" in original and b"HishoCam" in original
    created = send(api_as("alice"), demo, "IMG_0001.jpg", original).json()
    back = _download(api_as("alice"), demo, created["id"])
    image = Image.open(io.BytesIO(back))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and "xmp" not in image.info
    assert b"secret-place" not in back and b"HishoCam" not in back


def test_the_orientation_is_applied_before_the_exif_goes(demo: Demo, api_as: Any) -> None:
    # Orientation 6: the camera was turned; viewers rotate 90°. Kept upright, as pixels.
    created = send(api_as("alice"), demo, "p.jpg", samples.gps_photo(orientation=6)).json()
    image = Image.open(io.BytesIO(_download(api_as("alice"), demo, created["id"])))
    assert image.size == (32, 64)


def test_heic_becomes_jpeg_and_says_so(demo: Demo, api_as: Any) -> None:
    created = send(api_as("alice"), demo, "IMG_0002.HEIC", samples.heic())
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["content_type"] == "image/jpeg" and body["name"] == "IMG_0002.jpg"
    assert Image.open(io.BytesIO(_download(api_as("alice"), demo, body["id"]))).format == "JPEG"


@pytest.mark.parametrize(
    ("maker", "name", "content_type"),
    [
        (samples.webp, "a.webp", "image/webp"),
        (samples.pdf, "receipt.pdf", "application/pdf"),
        (samples.ogg_voice, "voice.ogg", "audio/ogg"),
        (samples.m4a_voice, "Voice Memo.m4a", "audio/mp4"),
    ],
)
def test_the_allowed_kinds(
    maker: Any, name: str, content_type: str, demo: Demo, api_as: Any
) -> None:
    created = send(api_as("kenji"), demo, name, maker())
    assert created.status_code == 201, created.content
    assert created.json()["content_type"] == content_type


def test_the_type_comes_from_the_content_not_the_name(demo: Demo, api_as: Any) -> None:
    created = send(api_as("alice"), demo, "invoice.pdf", samples.png()).json()
    assert created["content_type"] == "image/png" and created["name"] == "invoice.png"


BAD = {
    "renamed program": ("holiday.jpg", samples.elf_program, 422),
    "wrong type": ("notes.txt", lambda: b"just some text\n" * 10, 422),
    "empty": ("empty.png", lambda: b"", 422),
    "decompression bomb": ("huge.png", samples.bomb, 422),
    "pdf with javascript": (
        "form.pdf",
        lambda: samples.pdf(extra="/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "),
        422,
    ),
    "pdf with an embedded file": (
        "pack.pdf",
        lambda: samples.pdf(extra="/Names << /EmbeddedFiles << /Names [] >> >> "),
        422,
    ),
    "pdf with an escaped javascript name": (
        "sly.pdf",
        lambda: samples.pdf(extra="/OpenAction << /S /J#61vaScript /J#53 (x) >> "),
        422,
    ),
    "pdf holding a card number": ("bill.pdf", lambda: samples.pdf(f"Card {CARD}"), 422),
    "a card number in the name": (f"card {CARD}.png", samples.png, 422),
    "a %-escaped card number in the name": ("4111%201111%201111%201111.png", samples.png, 422),
    "a card number the cleaned name would show": (
        "*" * 30 + "4111" + "*" * 30 + "1111" + "?" * 30 + "1111" + "|" * 30 + "1111.png",
        samples.png,
        422,
    ),
    "a voice note whose tags hold a card number": (
        "memo.mp3",
        lambda: samples.mp3_voice(f"Card {CARD}"),
        422,
    ),
    "a voice note whose UTF-16 tags hold a card number": (
        "memo.mp3",
        lambda: samples.mp3_voice(f"カード {CARD}", encoding="utf-16"),
        422,
    ),
    # Full-width digits, as a Japanese keyboard types them, in each encoding a tag may use.
    **{
        f"a voice note whose {encoding} tags hold a card in full-width digits": (
            "memo.mp3",
            partial(samples.mp3_voice, f"カード {FULL_WIDTH_CARD}", encoding=encoding),
            422,
        )
        for encoding in ("utf-8", "utf-16", "utf-16-be")
    },
    "unreadable pdf": ("broken.pdf", lambda: b"%PDF-1.4\n" + b"\x00garbage" * 50, 422),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_and_nothing_is_stored(
    case: str, demo: Demo, api_as: Any, attachment_dir: Path
) -> None:
    name, maker, status = BAD[case]
    response = send(api_as("alice"), demo, name, maker())
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_dir) == []
    assert "4111" not in response.content.decode()


def test_a_card_number_refuses_the_file_with_the_card_notice(demo: Demo, api_as: Any) -> None:
    for name, data in ((f"{CARD}.png", samples.png()), ("r.pdf", samples.pdf(f"Visa {CARD}"))):
        problem = send(api_as("alice"), demo, name, data).json()
        assert problem["errors"] == [{"field": "file", "message": CARD_REFUSED_NOTICE["en"]}]


def pdf_showing_elsewhere(where: str, text: str) -> bytes:
    """A PDF whose pages show nothing sensitive, with `text` where a viewer still shows it."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(samples.pdf("Receipt"))))
    if where == "title":
        writer.add_metadata({"/Title": text})
    elif where == "note":
        writer.add_annotation(0, FreeText(text=text, rect=(10, 10, 200, 60)))
    elif where == "bookmark":
        writer.add_outline_item(title=text, page_number=0)
    elif where == "page label":
        writer.set_page_label(0, 0, prefix=text)
    elif where == "xmp":
        writer.xmp_metadata = f"<x:xmpmeta xmlns:x='adobe:ns:meta/'>{text}</x:xmpmeta>".encode()
    elif where == "across pages":
        half = len(text) // 2
        writer = PdfWriter()
        for part in (text[:half], text[half:]):
            writer.add_page(PdfReader(io.BytesIO(samples.pdf(part))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "where", ["title", "note", "bookmark", "page label", "xmp", "across pages"]
)
def test_a_card_number_anywhere_a_pdf_viewer_shows_it_refuses_the_file(
    where: str, demo: Demo, api_as: Any, attachment_dir: Path
) -> None:
    # Its metadata, a note, a bookmark: not the pages' text, but stored all the same.
    response = send(api_as("alice"), demo, "r.pdf", pdf_showing_elsewhere(where, f"Visa {CARD}"))
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [{"field": "file", "message": CARD_REFUSED_NOTICE["en"]}]
    assert Attachment.objects.count() == 0 and stored_files(attachment_dir) == []
    harmless = send(api_as("alice"), demo, "r.pdf", pdf_showing_elsewhere(where, "Dinner at 7"))
    assert harmless.status_code == 201, harmless.content


def test_a_pdf_whose_metadata_inflates_beyond_reason_is_refused(
    demo: Demo, api_as: Any, attachment_dir: Path
) -> None:
    # Some KB on the wire, 5 MB of XMP once inflated: read whole, a thousand objects naming
    # one 75 MB stream held 75 GB of text at once.
    bomb = samples.pdf_metadata_bomb(5_000_000)
    assert len(bomb) < 10_000
    response = send(api_as("alice"), demo, "r.pdf", bomb)
    assert response.status_code == 422, response.content
    assert "too complex" in response.json()["errors"][0]["message"]
    assert Attachment.objects.count() == 0 and stored_files(attachment_dir) == []
    # A stream named by many objects is read once: 200 names of 100 KB are 100 KB.
    named = send(api_as("alice"), demo, "r.pdf", samples.pdf_metadata_bomb(100_000, names=200))
    assert named.status_code == 201, named.content


def test_a_voice_note_with_ordinary_tags_is_kept_as_sent(demo: Demo, api_as: Any) -> None:
    tagged = samples.mp3_voice("Memo 2026-12-02 14:30, call 090-1234-5678", encoding="utf-16")
    created = send(api_as("alice"), demo, "memo.mp3", tagged)
    assert created.status_code == 201, created.content
    assert created.json()["content_type"] == "audio/mpeg"


def test_oversize_is_413_and_nothing_is_stored(
    demo: Demo, api_as: Any, settings: Any, attachment_dir: Path
) -> None:
    settings.HISHO_ATTACHMENT_MAX_BYTES = 50_000
    big = samples.png() + b"\x00" * 60_000
    response = send(api_as("alice"), demo, "big.png", big)
    assert response.status_code == 413, response.content
    assert Attachment.objects.count() == 0 and stored_files(attachment_dir) == []


def test_another_errands_file_is_404(demo: Demo, api_as: Any) -> None:
    created = send(api_as("alice"), demo, "a.png", samples.png()).json()
    other = demo.alice_new_errand if hasattr(demo, "alice_new_errand") else None
    assert other is not None
    response = api_as("alice").get(f"/errands/{other.pk}/attachments/{created['id']}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert api_as("alice").get(url(demo, "/not-a-uuid")).status_code == 404


def test_no_file_or_two_files_is_422(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    assert (
        alice.upload(url(demo), {"other": samples.upload("a.png", samples.png())}).status_code
        == 422
    )
    two = alice.upload(
        url(demo),
        {"file": [samples.upload("a.png", samples.png()), samples.upload("b.png", samples.png())]},
    )
    assert two.status_code == 422
    assert Attachment.objects.count() == 0


def test_the_same_key_and_file_replay_another_file_is_422(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    first = send(alice, demo, "a.png", samples.png(), **{"Idempotency-Key": "k-1"})
    again = send(alice, demo, "a.png", samples.png(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Attachment.objects.count() == 1
    other = send(alice, demo, "a.png", samples.png((21, 21)), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert Attachment.objects.count() == 1


def test_no_plaintext_signature_in_the_storage(
    demo: Demo, api_as: Any, attachment_dir: Path
) -> None:
    alice = api_as("alice")
    for name, data in (
        ("a.jpg", samples.gps_photo()),
        ("b.png", samples.png()),
        ("c.pdf", samples.pdf()),
    ):
        assert send(alice, demo, name, data).status_code == 201
    files = stored_files(attachment_dir)
    assert len(files) == 3
    for path in files:
        content = path.read_bytes()
        for signature in (b"\xff\xd8\xff", b"\x89PNG", b"%PDF", b"Receipt", b"a.jpg"):
            assert signature not in content, (path, signature)


def test_an_asgi_download_streams_chunk_by_chunk(demo: Demo, api_as: Any) -> None:
    from asgiref.sync import async_to_sync
    from django.test import AsyncRequestFactory

    from hisho.attachments.access import access_attachment
    from hisho.attachments.api import file_response
    from tests.principals import P

    created = send(api_as("alice"), demo, "r.pdf", samples.pdf()).json()
    kenji = P(demo.people["kenji"])
    attachment = access_attachment(kenji, demo.alice_errand.pk, created["id"])
    request = AsyncRequestFactory().get("/")
    response = file_response(request, kenji, attachment)
    # An async iterator: Django's ASGI handler would collect a synchronous one into a list.
    assert response.is_async

    async def read() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    assert async_to_sync(read)() == samples.pdf()


@pytest.mark.parametrize("key", [None, "k-2"])
def test_a_multipart_body_without_a_boundary_is_400(
    key: str | None, demo: Demo, api_as: Any
) -> None:
    alice = api_as("alice")
    headers = {**alice.headers, **({"Idempotency-Key": key} if key else {})}
    response = alice.client.post(
        f"/api/v1{url(demo)}", "file=x", content_type="multipart/form-data", headers=headers
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"


def test_a_retry_with_another_boundary_and_a_big_file_replays(demo: Demo, api_as: Any) -> None:
    """Real clients draw a new multipart boundary for every request, and voice notes are
    bigger than the JSON body limit: the fingerprint is taken over the parts."""
    from django.test.client import encode_multipart

    alice = api_as("alice")
    voice = samples.ogg_voice() + b"\x01" * 400_000

    def post(boundary: str, data: bytes) -> Any:
        body = encode_multipart(boundary, {"file": samples.upload("voice.ogg", data)})
        return alice.client.post(
            f"/api/v1{url(demo)}",
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
            headers={**alice.headers, "Idempotency-Key": "voice-1"},
        )

    first, again = post("first-boundary", voice), post("second-boundary", voice)
    assert first.status_code == again.status_code == 201, (first.content, again.content)
    assert again["Idempotent-Replayed"] == "true"
    assert post("third-boundary", voice + b"\x02").status_code == 422
    assert Attachment.objects.count() == 1
