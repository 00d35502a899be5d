"""What the vault raises. Messages are fixed text: never plaintext, never key material."""

from __future__ import annotations

from hisho.errors import Conflict

CANNOT_DECRYPT = "This content cannot be decrypted."


class CannotDecrypt(Conflict):
    """A sealed value that does not open: changed, moved between cells, or its key is gone.

    It never carries data. A Conflict, so an API endpoint that lets it through answers
    409 problem+json with this detail rather than a 5xx.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(CANNOT_DECRYPT)
        # One of: "tampered" (authentication failed), "key_destroyed" (crypto-shredded),
        # "master_key_missing" (the keyring lacks the master key that wrapped it).
        self.reason = reason


class KeyDestroyed(Conflict):
    """Nothing new can be sealed for a customer whose key was shredded."""

    def __init__(self) -> None:
        super().__init__("This account's keys were destroyed; nothing more can be stored for it.")


class KeyUnavailable(Exception):
    """Internal: a key needed to open a value is gone (shredded, deleted, or its master key
    is not in the keyring). `reason` is one of CannotDecrypt's reasons."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
