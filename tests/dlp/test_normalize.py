from hisho.dlp.normalize import normalize


def test_ascii_is_returned_as_is() -> None:
    text = "call 090-1234-5678"
    assert normalize(text) is text


def test_full_width_and_dashes_fold_to_ascii() -> None:
    assert normalize("０９０－１２３４ー５６７８") == "090-1234-5678"
    assert normalize("４１１１　１１１１．１１１１") == "4111 1111.1111"
    assert normalize("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ") == "taro@example.jp"
    assert normalize("＋８１（０）３") == "+81(0)3"
    assert normalize("03−1234–5678") == "03-1234-5678"


def test_other_script_digits_and_invisible_characters() -> None:
    assert normalize("٤١١١") == "4111"  # Arabic-Indic digits
    assert normalize("4111\u200b1111") == "4111 1111"


def test_length_is_preserved_for_any_text() -> None:
    samples = ["⑩㍿ｶﾞ", "e\u0301", "\ud800x", "𝟏𝟐", "漢字かなカナ", ""]
    for text in samples:
        assert len(normalize(text)) == len(text)
