"""A small in-process cache of unwrapped keys: bounded in size and in time.

Unwrapping a data key costs a database read and two AES-GCM operations; a chat page
needs the same key for every message. Entries live for at most
HISHO_VAULT_KEY_CACHE_SECONDS and at most HISHO_VAULT_KEY_CACHE_SIZE of them are kept
(least recently used go first). Shredding a customer's key drops their entries in this
process at once; other processes drop them within the TTL (docs/operations.md).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class KeyCache:
    def __init__(self, *, max_size: int, ttl_seconds: float) -> None:
        self.max_size = max_size
        self.ttl = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, _owner, value = entry
            if time.monotonic() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any, *, owner: int) -> None:
        """Keep `value` (owned by customer `owner`) until the TTL ends."""
        if self.max_size <= 0 or self.ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl, owner, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def forget_owner(self, owner: int) -> None:
        with self._lock:
            for key in [k for k, (_, o, _) in self._entries.items() if o == owner]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
