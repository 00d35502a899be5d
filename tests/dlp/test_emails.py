import pytest

from hisho.dlp import EntityType, find


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("mail taro.yamada@example.co.jp please", "taro.yamada@example.co.jp"),
        ("メールはtaro@example.comです。", "taro@example.com"),
        ("メール：hanako.s+hisho@docomo.ne.jp、よろしく", "hanako.s+hisho@docomo.ne.jp"),
        ("（连络 li_wei@qq.com）", "li_wei@qq.com"),
        ("「a.b-c@sub.example.org」", "a.b-c@sub.example.org"),
        ("write to me@example.com.", "me@example.com"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐへ", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"),
        ("<john.smith@gmail.com>", "john.smith@gmail.com"),
        ("mailto:ops@hisho.example", "ops@hisho.example"),
        ("email: .dotty@example.com", "dotty@example.com"),
    ],
)
def test_emails(text: str, address: str) -> None:
    (finding,) = find(text)
    assert finding.type is EntityType.EMAIL_ADDRESS
    assert text[finding.start : finding.end] == address


@pytest.mark.parametrize(
    "negative", ["@hisho_support", "user@localhost", "a@b", "x@.com", "meet @ 7pm", "@@@"]
)
def test_not_emails(negative: str) -> None:
    assert find(negative) == []


def test_digits_inside_an_address_are_not_a_phone() -> None:
    text = "taro09012345678@example.com"
    assert [f.type for f in find(text)] == [EntityType.EMAIL_ADDRESS]
