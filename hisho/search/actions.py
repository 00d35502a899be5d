"""Writing the blind index (house rule 1). Called by the desk's actions, inside their
transaction, with the text they have just scrubbed and sealed — so the index is built
from what is stored (cards already masked) and never needs an unseal."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from django.db import transaction

from hisho.accounts.models import User
from hisho.audit.actions import record_event
from hisho.desk.models import Errand
from hisho.search.keys import digests, new_sealed_key, open_keys
from hisho.search.models import ErrandSearchKey, SearchToken
from hisho.search.tokens import tokens
from hisho.vault.cache import KeyCache

# An errand's sealed search key never changes once made (nothing updates the row; it goes
# with the errand). Keeping the *sealed* bytes spares every message post a read, and
# weakens nothing: they open only through the vault, and only while the customer's key
# exists. Kept once committed, so a key made in a transaction that rolled back is never
# used again; and under the errand's id *and* creation time, so an errand made again with
# the same id (the demo's fixed ids, reloaded) never meets the key of its predecessor.
sealed_keys = KeyCache(max_size=4096, ttl_seconds=3600)


# Errands whose index is known to hold their whole text (a row's `complete` never goes
# back to False), so opening them again costs no query; kept like `sealed_keys`.
complete_errands = KeyCache(max_size=4096, ttl_seconds=3600)


def _sealed_key(errand: Errand, *, whole: bool = False) -> bytes:
    cache_key = (errand.pk, errand.created_at)
    sealed = sealed_keys.get(cache_key)
    if sealed is not None:
        return bytes(sealed)
    row = ErrandSearchKey.objects.filter(errand_id=errand.pk).first()
    if row is None:
        row = ErrandSearchKey.objects.create(
            errand_id=errand.pk,
            sealed_key=new_sealed_key(errand.customer_id, errand.pk),
            complete=whole,
        )
    sealed = bytes(row.sealed_key)
    transaction.on_commit(partial(sealed_keys.put, cache_key, sealed, owner=errand.customer_id))
    return sealed


# No savepoint of its own: it runs inside its caller's write (two statements fewer on the
# message post), and a failure here fails that write whole.
@transaction.atomic(savepoint=False)
def do_index_errand_text(
    *, actor: User, errand: Errand, texts: Sequence[str], whole: bool = False
) -> int:
    """Add the tokens of `texts` (already DLP-scrubbed) to the errand's index; returns
    how many distinct tokens they held. The audit event is the caller's (errand created,
    message posted): indexing is part of that write, not a change of its own. `whole`:
    the texts are all the errand's text (its creation), so the index is complete.

    Digests are inserted sorted by value, so the order of rows within one write says
    nothing about the order of words (docs/search.md says what order still shows)."""
    del actor  # who wrote is the caller's event; the index is the errand's
    words = sorted({word for text in texts if text for word in tokens(text)})
    if not words:
        return 0
    key = open_keys([(errand.pk, errand.customer_id, _sealed_key(errand, whole=whole))]).get(
        errand.pk
    )
    if key is None:  # the customer's key is gone: nothing to index with, nothing to find
        return 0
    SearchToken.objects.bulk_create(
        [SearchToken(errand_id=errand.pk, digest=d) for d in sorted(digests(key, words))],
        ignore_conflicts=True,
    )
    return len(words)


@transaction.atomic
def do_complete_errand_index(*, actor: User, errand: Errand, texts: Sequence[str]) -> int:
    """Index an errand older than the index with its whole text, as its customer or its
    assistant has just read it (title, details and every message, already opened through
    the vault for them and scrubbed before they were stored): no unseal of its own, so
    nothing is read that the reader did not see. Once, then never again (`complete`).
    Returns how many distinct tokens were indexed (0 when it was complete already)."""
    cache_key = (errand.pk, errand.created_at)
    if complete_errands.get(cache_key) is not None:
        return 0
    row = ErrandSearchKey.objects.filter(errand_id=errand.pk).values_list("complete").first()
    indexed = 0
    if row is None or not row[0]:
        indexed = do_index_errand_text(actor=actor, errand=errand, texts=texts)
        ErrandSearchKey.objects.filter(errand_id=errand.pk).update(complete=True)
        # A write of its own (no post or creation carries it): once per errand, a count.
        record_event("search.index_completed", actor=actor, target=errand, extra={"words": indexed})
    transaction.on_commit(partial(complete_errands.put, cache_key, True, owner=errand.customer_id))
    return indexed
