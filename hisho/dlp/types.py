"""Value types shared by the detectors and the public API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EntityType(StrEnum):
    """Kinds of personal data the DLP layer finds. Values equal the names (stable in JSON)."""

    CREDIT_CARD = "CREDIT_CARD"
    PHONE_NUMBER = "PHONE_NUMBER"
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    JP_MY_NUMBER = "JP_MY_NUMBER"


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected entity: ``text[start:end]`` of the ORIGINAL text (Python str offsets)."""

    type: EntityType
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MaskResult:
    """Result of :func:`hisho.dlp.mask_cards`."""

    text: str
    cards_masked: int
