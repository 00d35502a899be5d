"""Files for the attachment tests, made here (no binary fixtures in the repository)."""

from __future__ import annotations

import io
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def gps_photo(*, size: tuple[int, int] = (64, 32), orientation: int = 1) -> bytes:
    """A JPEG with EXIF: camera make, orientation and a GPS position (Tokyo), and XMP."""
    image = Image.new("RGB", size, (200, 30, 30))
    # The left half dark, so a rotation shows in the pixels.
    image.paste((10, 10, 10), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[MAKE] = "HishoCam"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 44.0, 28.0)})
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-place</x:xmpmeta>'
    image.save(out, "JPEG", exif=exif.tobytes(), xmp=xmp)
    return out.getvalue()


def png(size: tuple[int, int] = (20, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 255, 200)).save(out, "PNG")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 200, 0)).save(out, "WEBP")
    return out.getvalue()


def heic() -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (120, 60, 200)).save(out, "HEIF")
    return out.getvalue()


def pdf_file(objects: list[bytes], *, version: str) -> bytes:
    """A PDF of these object bodies, numbered from 1 (the first is the catalogue), with its
    cross-reference table."""
    out = io.BytesIO()
    out.write(f"%PDF-{version}\n".encode())
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def pdf(text: str = "Receipt for the restaurant", *, extra: str = "") -> bytes:
    """A one-page PDF showing `text` (uncompressed, so pypdf extracts it); `extra` is
    spliced into the catalogue (an /OpenAction, say)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {extra}>>".encode(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects, version="1.4")


def ogg_voice() -> bytes:
    """The start of an Ogg/Opus recording (what libmagic reads)."""
    page = (
        b"OggS\x00\x02"
        + b"\x00" * 20
        + b"\x01\x13OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
    )
    return page + b"\x00" * 200


def m4a_voice() -> bytes:
    return b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 200


# ID3v2.4's text encodings: the byte before the text says which.
ID3_ENCODINGS = {"latin-1": b"\x00", "utf-16": b"\x01", "utf-16-be": b"\x02", "utf-8": b"\x03"}


def mp3_voice(title: str = "Voice memo", *, encoding: str = "latin-1") -> bytes:
    """An MP3 recording whose ID3v2.4 tag names it `title` (in Latin-1, UTF-16 with a BOM,
    UTF-16BE or UTF-8), then twenty silent frames."""
    text = ID3_ENCODINGS[encoding] + title.encode(encoding)
    frame = b"TIT2" + len(text).to_bytes(4, "big") + b"\x00\x00" + text
    size = len(frame)
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + synchsafe + frame + (b"\xff\xfb\x90\x64" + b"\x00" * 413) * 20


def elf_program() -> bytes:
    """A Linux program's first bytes (a renamed executable)."""
    return (
        b"\x7fELF\x02\x01\x01\x00"
        + b"\x00" * 8
        + b"\x02\x00\x3e\x00\x01\x00\x00\x00"
        + b"\x00" * 40
        + b"\x00" * 4000
    )


def pdf_metadata_bomb(size: int, *, names: int = 1) -> bytes:
    """A one-page PDF whose XMP metadata stream inflates to `size` zero bytes, named by
    `names` objects besides the catalogue: some KB on the wire."""
    packed = zlib.compress(b"\0" * size, 9)
    first = 5  # the objects that name the stream
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Resources << >> /Extra ["
        + " ".join(f"{first + i} 0 R" for i in range(names)).encode()
        + b"] >>",
        b"<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream",
        *[b"<< /Metadata 4 0 R >>"] * names,
    ]
    return pdf_file(objects, version="1.7")


def bomb(side: int = 12_000) -> bytes:
    """A small PNG that decodes to side × side pixels (a decompression bomb)."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def upload(
    name: str, data: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
