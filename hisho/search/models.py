"""The blind index of private search (docs/search.md).

No plaintext is indexed. Each errand has its own random key (`ErrandSearchKey`), sealed
by the vault under the errand's data key, so crypto-shredding the customer destroys it
with everything else. The index holds, per errand, the set of distinct keyed tokens of its
title, details and messages: HMAC-SHA256(errand's key, normalised token), cut to 64 bits.
No counts, no positions, no link to the message a token came from; equal words in two
errands give unrelated digests.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class ErrandSearchKey(models.Model):
    errand = models.OneToOneField(
        "desk.Errand", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # 32 random bytes (base64), sealed by the vault (field "search_key", KEY_FIELDS).
    sealed_key = models.BinaryField()
    # The index holds the errand's whole text: made with the errand, or filled in when its
    # customer or assistant last opened it (hisho.search.actions.do_complete_errand_index).
    # False for errands older than the index, whose key was made at a later message.
    complete = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Search key of errand {self.pk}"


class SearchToken(models.Model):
    errand = models.ForeignKey("desk.Errand", on_delete=models.CASCADE, related_name="+")
    # The first 8 bytes of the keyed digest, as a signed 64-bit integer.
    digest = models.BigIntegerField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["errand", "digest"], name="search_token_once")
        ]

    def __str__(self) -> str:
        return f"Search token {self.pk}"
