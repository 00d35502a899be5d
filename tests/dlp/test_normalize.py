from hisho.dlp.normalize import normalize, skeleton


def test_ascii_is_returned_as_is() -> None:
    text = "call 090-1234-5678"
    assert normalize(text) is text
    assert skeleton(text).text is text
    assert skeleton(text).offsets is None


def test_full_width_and_dashes_fold_to_ascii() -> None:
    assert normalize("０９０－１２３４ー５６７８") == "090-1234-5678"
    assert normalize("４１１１　１１１１．１１１１") == "4111 1111.1111"
    assert normalize("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ") == "taro@example.jp"
    assert normalize("＋８１（０）３") == "+81(0)3"
    assert normalize("03−1234–5678") == "03-1234-5678"


def test_other_script_digits() -> None:
    assert normalize("٤١١١") == "4111"  # Arabic-Indic digits
    assert normalize("۴۱۱۱ ४१११ 𝟒𝟏𝟏𝟏") == "4111 4111 4111"


def test_length_is_preserved_for_any_text() -> None:
    samples = ["⑩㍿ｶﾞ", "e\u0301", "\ud800x", "𝟏𝟐", "漢字かなカナ", "", "4\u200b1"]
    for text in samples:
        assert len(normalize(text)) == len(text)


def test_skeleton_drops_what_has_no_width_and_maps_offsets_back() -> None:
    text = "a4\u200e1\ufe0f\u20e31\u00ad1\u2066b\u0301\x00"
    skel = skeleton(text)
    assert skel.text == "a4111b"
    assert skel.offsets is not None
    assert [text[skel.start(i)] for i in range(len(skel.text))] == list("a4111b")
    # A span's end takes the dropped characters right after it (the keycap of "1️⃣").
    assert text[skel.start(2) : skel.end(3)] == "1\ufe0f\u20e3"
    assert skel.end(len(skel.text)) == len(text)


def test_invisible_characters_of_the_issue_are_all_dropped() -> None:
    invisible = (
        "\u200b\u200c\u200d\u2060\u2063\u200e\u200f\u2066\u2067\u2068\u2069\u202a\u202e"
        "\u00ad\ufeff\ufe0f\ufe00\U000e0101\u20e3\u0301\u0336\u20dd\U000e0041"
    )
    for ch in invisible:
        assert skeleton(f"4{ch}1").text == "41", repr(ch)
