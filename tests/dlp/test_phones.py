import pytest

from hisho.dlp import EntityType, find


@pytest.mark.parametrize(
    "written",
    [
        "090-1234-5678",
        "09012345678",
        "090 1234 5678",
        "(090)1234-5678",
        "03(1234)5678",
        "03-1234-5678",
        "(03) 1234-5678",
        "06.6123.4567",
        "０９０－１２３４－５６７８",
        "090ー1234ー5678",
        "０３（１２３４）５６７８",
        "0120-123-456",
        "0120-12-3456",
        "0800-123-4567",
        "050-1234-5678",
        "0570-064-556",
        "+81 90-1234-5678",
        "+81-90-1234-5678",
        "+819012345678",
        "+81 (0)3 1234 5678",
        "＋８１　９０　１２３４　５６７８",
        "010-1-415-555-2671",
        "0081 90 1234 5678",
        "+1 415 555 2671",
        "+1 (415) 555-2671",
        "+44 20 7946 0958",
        "+61 2 9876 5432",
        "+82 10-1234-5678",
        "+86 138 0013 8000",
        "+852 9123 4567",
        "+886 912 345 678",
        "+65 9123 4567",
        "+66 81 234 5678",
        "+33 6 12 34 56 78",
        "+49 30 12345678",
        "+91 98765 43210",
    ],
)
def test_phone_formats(written: str) -> None:
    for text in (f"call me on {written} tonight", f"電話は{written}まで。"):
        (finding,) = find(text)
        assert finding.type is EntityType.PHONE_NUMBER
        assert text[finding.start : finding.end] == written


def test_two_phones_in_a_row() -> None:
    text = "03-1234-5678 090-1234-5678"
    assert [(f.start, f.end) for f in find(text)] == [(0, 12), (13, 26)]


@pytest.mark.parametrize(
    "negative",
    [
        "090-1234-567",  # mobile with a digit missing
        "03-1234-567",
        "090-0000-0000",
        "+81 3 1234",
        "+1 555 0100",
        "81 90 1234 5678",  # country code without "+": not read as Japanese
        "12-03-1234-5678",  # part of a longer token
        "03-1234-5678-9",
        "〒100-0001",
        "〒1000001",
        "2024-03-12",
        "2024/03/12 18:30",
        "¥12,000",
        "12,000円",
        "$1,234.56",
        "18時30分",
        "令和6年3月12日",
    ],
)
def test_phone_like_negatives(negative: str) -> None:
    assert find(f"ref {negative} ok") == []
