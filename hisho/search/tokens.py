"""Words of a text as search tokens: the same function reads what is indexed and what is
asked, so a word matches itself and nothing else.

- NFKC, then casefold: "Ｔｏｋｙｏ", "TOKYO" and "tokyo" are one token; full-width digits
  are digits.
- Runs of Japanese script (kanji, hiragana, katakana) go through Janome's morphological
  analyser and give base forms (買いました → 買う), without particles, auxiliary verbs
  and symbols; everything else is split on word boundaries. Mixed text ("Tokyo駅で")
  is cut into runs first.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable

from janome.tokenizer import Tokenizer

# A token longer than this is cut (a digest of a 64-character prefix is as good a key).
TOKEN_MAX = 64
_JAPANESE = "\u3005\u3006\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_JAPANESE}]+)|([^\W_{_JAPANESE}]+)")
# Parts of speech that carry no meaning of their own to search for.
_SKIPPED_POS = ("助詞", "助動詞", "記号", "フィラー")

_tokenizer: Tokenizer | None = None
_making = threading.Lock()
_using = threading.Lock()


def _janome() -> Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _making:
            if _tokenizer is None:
                _tokenizer = Tokenizer()
    return _tokenizer


def _japanese_words(run: str) -> Iterable[str]:
    tokenizer = _janome()
    with _using:  # one analyser per process; its lattice is not shared safely
        analysed = list(tokenizer.tokenize(run))
    for token in analysed:
        if isinstance(token, str):  # only with wakati=True, which is not asked for
            continue
        if token.part_of_speech.startswith(_SKIPPED_POS):
            continue
        base = token.base_form if token.base_form not in ("", "*") else token.surface
        yield base


def tokens(text: str) -> list[str]:
    """The distinct tokens of `text`, in no meaningful order (sorted)."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    found: set[str] = set()
    for match in _RUNS.finditer(normal):
        japanese, other = match.groups()
        words = _japanese_words(japanese) if japanese else [other]
        found.update(word[:TOKEN_MAX] for word in words if word)
    return sorted(found)
