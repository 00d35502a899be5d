"""Files built to break the screening (found by attacking the upload): each is refused
with a 422 — never a 500 — and none holds the database while it is screened."""

from __future__ import annotations

import io
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hisho.attachments import screening
from hisho.attachments.models import Attachment
from hisho.demo import Demo


def pdf_of(objects: list[bytes], trailer: bytes = b"<< /Root 1 0 R /Size %d >>") -> bytes:
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    end = trailer % (len(objects) + 1) if b"%d" in trailer else trailer
    return out + b"trailer\n" + end + b"\nstartxref\n%d\n%%%%EOF\n" % xref


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
    b" /Resources << /Font << /F1 5 0 R >> >> >>"
)


def one_page(stream: bytes, trailer: bytes = b"<< /Root 1 0 R /Size %d >>") -> bytes:
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    return pdf_of([CATALOG, pages, PAGE, stream, FONT], trailer)


def flate(data_chunks: int, chunk: bytes = b" " * 1_000_000) -> bytes:
    packer = zlib.compressobj(9)
    packed = b"".join(packer.compress(chunk) for _ in range(data_chunks))
    return packed + packer.flush()


HELLO = b"<< /Length 0 >>\nstream\nBT /F1 24 Tf 100 700 Td (Hello) Tj ET\nendstream"


def hostile_pdfs() -> dict[str, bytes]:
    bomb = flate(200)  # 200 MB of spaces in 200 KB
    return {
        "unknown-encryption": one_page(
            HELLO, b"<< /Root 1 0 R /Size %d /Encrypt << /Filter /Standard /V 99 >> >>"
        ),
        "unknown-filter": one_page(b"<< /Length 10 /Filter /Foo >>\nstream\n0123456789\nendstream"),
        "flate-bomb": one_page(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
        ),
        "offset-of-twenty-digits": one_page(HELLO)[:-20]
        + b"startxref\n99999999999999999999\n%%EOF\n",
    }


def post(api_as: Any, demo: Demo, name: str, content: bytes) -> Any:
    alice = api_as("alice")
    return alice.client.post(
        f"/api/v1/errands/{demo.alice_errand.pk}/attachments",
        {"file": SimpleUploadedFile(name, content)},
        headers=alice.headers,
    )


@pytest.mark.parametrize("case", sorted(hostile_pdfs()))
def test_a_pdf_the_reader_cannot_handle_is_a_422(demo: Demo, api_as: Any, case: str) -> None:
    response = post(api_as, demo, "x.pdf", hostile_pdfs()[case])
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert not Attachment.objects.exists()


def test_the_page_form_refuses_it_too(demo: Demo, web_as: Any) -> None:
    client = web_as("alice")
    response = client.post(
        f"/errands/{demo.alice_errand.pk}/attachments/",
        {"file": SimpleUploadedFile("x.pdf", hostile_pdfs()["unknown-encryption"])},
    )
    assert response.status_code == 302
    assert not Attachment.objects.exists()


def test_a_pdf_too_slow_to_read_is_refused_not_read_for_minutes(
    demo: Demo, api_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages sharing one stream of 50,000 text operators: 4 KB, two seconds a page."""
    content = b"BT /F1 24 Tf " + b"(A) Tj " * 50_000 + b"ET"
    packed = zlib.compress(content, 9)
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed
    pages = 20
    kids = b" ".join(b"%d 0 R" % (6 + i) for i in range(pages))
    slow = pdf_of(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            b"<< >>",
            stream + b"\nendstream",
            FONT,
            *[PAGE] * pages,
        ]
    )
    assert len(slow) < 10_000
    monkeypatch.setattr(screening, "PDF_SCREEN_SECONDS", 0.5)  # the budget, scaled down
    response = post(api_as, demo, "slow.pdf", slow)
    assert response.status_code == 422
    assert "too complex" in response.json()["errors"][0]["message"]


def test_a_corrupt_heic_is_a_422(demo: Demo, api_as: Any) -> None:
    image = Image.new("RGB", (32, 32))
    for x in range(32):
        image.putpixel((x, x), (x * 8, 0, 255 - x * 8))
    exif = image.getexif()
    exif[0x0112] = 6
    exif[0x010F] = "Cam"
    out = io.BytesIO()
    image.save(out, "HEIF", exif=exif)
    data = bytearray(out.getvalue())
    data[482], data[577] = 137, 135  # two bytes of the coded image changed
    response = post(api_as, demo, "x.heic", bytes(data))
    assert response.status_code == 422, (response.status_code, response.content[:300])


def test_more_files_than_django_reads_is_a_400(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    files = {"file": [SimpleUploadedFile(f"{i}.png", b"x") for i in range(101)]}
    for headers in (alice.headers, {**alice.headers, "Idempotency-Key": "many-files"}):
        response = alice.client.post(
            f"/api/v1/errands/{demo.alice_errand.pk}/attachments", files, headers=headers
        )
        assert response.status_code == 400, (response.status_code, response.content[:300])
        assert response["Content-Type"] == "application/problem+json"


def test_screening_runs_before_the_transaction(
    demo: Demo, api_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a write transaction holds the database's one write lock: a slow upload
    made every other writer wait, then fail with 'database is locked' (a 500)."""
    from django.db import connection

    depths: list[bool] = []
    real_screen = screening.screen

    def spy(*args: Any, **kwargs: Any) -> Any:
        depths.append(connection.in_atomic_block and len(connection.savepoint_ids) > 0)
        return real_screen(*args, **kwargs)

    from hisho.attachments import actions

    monkeypatch.setattr(actions, "screen", spy)
    from tests.attachments import samples

    assert post(api_as, demo, "r.png", samples.png()).status_code == 201
    assert depths == [False]
