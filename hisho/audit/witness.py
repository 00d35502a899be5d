"""A witness of the audit log (`hisho audit-witness URL`): it keeps the last signed tree
head it accepted and accepts a new one only if it is signed by a key it knows and the
log proves the new tree extends the old one (an RFC 6962 consistency proof). A history
rewritten under an old head — even with every hash recomputed — or a forked tree the
operator signed is rejected (docs/audit.md §6).

Keys: given with `--key <vkey>`, else pinned from the log's published JSON Web Key Set
on first use (trust on first use: compare it out of band).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hisho.audit import merkle, note

# fetch(path) → (HTTP status, body); path starts at the site root ("/api/v1/…").
Fetch = Callable[[str], tuple[int, bytes]]

CHECKPOINT = "/api/v1/audit/checkpoint"
CONSISTENCY = "/api/v1/audit/proof/consistency?from={old}&to={new}"
KEYS = "/.well-known/hisho-signing-keys.json"


class Rejected(Exception):
    """The new head is not acceptable; the witness keeps its old state."""


@dataclass
class Outcome:
    size: int
    previous: int | None
    pinned_keys: int = 0


class Witness:
    def __init__(self, state_file: Path, fetch: Fetch, keys: list[str] | None = None) -> None:
        self.state_file = state_file
        self.fetch = fetch
        self.extra_keys = [note.parse_vkey(k) for k in keys or []]

    def load(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {}
        data: dict[str, Any] = json.loads(self.state_file.read_text())
        return data

    def save(self, state: dict[str, Any]) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)

    def _get(self, path: str) -> bytes:
        status, body = self.fetch(path)
        if status != 200:
            raise Rejected(f"{path.split('?')[0]} answered {status}")
        return body

    def _published_keys(self, origin: str) -> list[note.Verifier]:
        jwks = json.loads(self._get(KEYS))
        out = []
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                raw = base64.urlsafe_b64decode(str(jwk["x"]) + "=" * (-len(str(jwk["x"])) % 4))
                out.append(note.Verifier(origin, raw))
        return out

    def observe(self) -> Outcome:
        state = self.load()
        signed = self._get(CHECKPOINT).decode()
        try:
            origin = note.parse_checkpoint(signed[: signed.rfind("\n\n") + 1]).origin
        except note.NoteError as exc:
            raise Rejected(f"malformed checkpoint: {exc}") from None
        if state and state["origin"] != origin:
            raise Rejected(f"the log's origin changed from {state['origin']!r} to {origin!r}")
        known = [note.parse_vkey(k) for k in state.get("keys", [])] + self.extra_keys
        pinned = 0
        if not known:
            known = self._published_keys(origin)
            pinned = len(known)
        try:
            checkpoint = note.open_checkpoint(signed, known)
        except note.NoteError as exc:
            raise Rejected(f"the signed tree head does not verify: {exc}") from None

        previous = state.get("size")
        if previous is not None:
            old_root = base64.b64decode(state["root"])
            if checkpoint.size < previous:
                raise Rejected(f"the tree shrank from {previous} to {checkpoint.size} leaves")
            if checkpoint.size == previous:
                if checkpoint.root != old_root:
                    raise Rejected(f"a second, different tree of {previous} leaves (a fork)")
            else:
                body = json.loads(self._get(CONSISTENCY.format(old=previous, new=checkpoint.size)))
                hashes = [base64.b64decode(h) for h in body.get("hashes", [])]
                if not merkle.verify_consistency(
                    previous, checkpoint.size, old_root, checkpoint.root, hashes
                ):
                    raise Rejected(
                        f"the tree of {checkpoint.size} leaves does not extend the one of "
                        f"{previous} this witness saw (history rewritten, or a fork)"
                    )
        self.save(
            {
                "origin": origin,
                "keys": sorted({v.vkey for v in known}),
                "size": checkpoint.size,
                "root": base64.b64encode(checkpoint.root).decode(),
                "note": signed,
            }
        )
        return Outcome(checkpoint.size, previous, pinned)
