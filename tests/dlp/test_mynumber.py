import pytest

from hisho.dlp import EntityType, find
from hisho.dlp.mynumber import check_digit, is_my_number


def with_check(first_eleven: str) -> str:
    return first_eleven + str(check_digit(first_eleven))


VALID = with_check("12345678901")
INVALID = VALID[:11] + str((int(VALID[11]) + 1) % 10)


def test_check_digit_matches_the_ordinance() -> None:
    # 12345678901 -> weights 2..7,2..6 from the right: remainder 3 -> check digit 8.
    assert check_digit("12345678901") == 8
    assert is_my_number("123456789018")
    assert not is_my_number("123456789012")


@pytest.mark.parametrize(
    "text",
    [
        f"マイナンバーは{VALID}です",
        f"My Number: {VALID[:4]} {VALID[4:8]} {VALID[8:]}",
        f"個人番号 {VALID[:4]}-{VALID[4:8]}-{VALID[8:]}",
        "individual number ＝ " + "".join(chr(ord(c) + 0xFEE0) for c in VALID),
        f"{VALID}",
    ],
)
def test_my_number_found(text: str) -> None:
    (finding,) = find(text)
    assert finding.type is EntityType.JP_MY_NUMBER
    assert len(text[finding.start : finding.end].replace(" ", "").replace("-", "")) == 12


@pytest.mark.parametrize(
    "text",
    [
        f"マイナンバーは{INVALID}です",  # wrong check digit
        f"追跡番号 {VALID[:4]}-{VALID[4:8]}-{VALID[8:]}",  # tracking context
        f"tracking number {VALID}",
        f"order {VALID}",
        f"My Number {VALID}1",  # 13 digits
        f"code 12-{VALID}",  # glued into a longer token
    ],
)
def test_not_my_number(text: str) -> None:
    assert [f for f in find(text) if f.type is EntityType.JP_MY_NUMBER] == []


def test_positive_context_wins_over_negative() -> None:
    text = f"for the delivery form, my My Number is {VALID}"
    assert [f.type for f in find(text)] == [EntityType.JP_MY_NUMBER]
