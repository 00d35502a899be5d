import dataclasses

import pytest

from hisho.dlp import EntityType, Finding, MaskResult, find, mask_cards, redact_for_triage

MESSAGE = (
    "Hi! Card ４１１１ １１１１ １１１１ １１１１, call 090-1234-5678 or "
    "mail taro@example.co.jp。マイナンバーは123456789018です。"
)


def test_entity_type_values_equal_names() -> None:
    assert {t.name for t in EntityType} == {
        "CREDIT_CARD",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "JP_MY_NUMBER",
    }
    assert all(t.value == t.name for t in EntityType)


def test_finding_is_frozen() -> None:
    finding = Finding(EntityType.EMAIL_ADDRESS, 0, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.start = 3  # type: ignore[misc]


def test_find_returns_sorted_typed_spans() -> None:
    findings = find(MESSAGE)
    assert [f.type for f in findings] == [
        EntityType.CREDIT_CARD,
        EntityType.PHONE_NUMBER,
        EntityType.EMAIL_ADDRESS,
        EntityType.JP_MY_NUMBER,
    ]
    assert [MESSAGE[f.start : f.end] for f in findings] == [
        "４１１１ １１１１ １１１１ １１１１",
        "090-1234-5678",
        "taro@example.co.jp",
        "123456789018",
    ]


def test_types_filter_equals_filtered_full_result() -> None:
    full = find(MESSAGE)
    for kind in EntityType:
        assert find(MESSAGE, [kind]) == [f for f in full if f.type is kind]
    assert find(MESSAGE, []) == []
    assert find(MESSAGE, {"EMAIL_ADDRESS"}) == [  # type: ignore[arg-type]
        f for f in full if f.type is EntityType.EMAIL_ADDRESS
    ]


def test_redact_for_triage() -> None:
    assert redact_for_triage(MESSAGE) == (
        "Hi! Card [card ••••1111], call [phone] or mail [email]。マイナンバーは[my number]です。"
    )
    text = "nothing personal here"
    assert redact_for_triage(text) is text


def test_mask_cards_leaves_other_entities() -> None:
    result = mask_cards(MESSAGE)
    assert isinstance(result, MaskResult)
    assert result.cards_masked == 1
    assert "090-1234-5678" in result.text
    assert "taro@example.co.jp" in result.text


def test_empty_and_odd_inputs() -> None:
    assert find("") == []
    assert mask_cards("") == MaskResult("", 0)
    assert redact_for_triage("") == ""
    assert find("\ud800\udc00 e\u0301 ⑩ 𝟒𝟏𝟏𝟏") == []
