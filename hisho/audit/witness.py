"""A witness of the audit log (`hisho audit-witness URL`): it keeps the last signed tree
head it accepted and accepts a new one only if it is signed by a key it knows and the
log proves the new tree extends the old one (an RFC 6962 consistency proof). A history
rewritten under an old head — even with every hash recomputed — or a forked tree the
operator signed is rejected (docs/audit.md §6).

Two ways to fail, never confused: `Rejected` — the site presented a head that is not
acceptable (a tree that shrank, forked or does not extend the last one, a signed head it
will not prove consistent, a key this witness does not know); `CouldNotCheck` — the
witness got nothing it could judge (no answer, an error instead of a head, an answer that
is not what the protocol sends, an unreadable state file). Either way the state file is
left as it was.

Keys: given with `--key <vkey>`, else pinned from the log's published JSON Web Key Set
on first use (trust on first use: compare it out of band) — its active key; the keys it
publishes as retired go straight to the state's retired keys. After that, a key the site
publishes is never taken unasked: whoever controls the site controls what it publishes.
Key changes go one way: once a head signed by other keys is accepted (after
`hisho rotate-signing-key`), the keys that signed the head before it and not this one are
retired in this witness's state, and a head only they sign is rejected — a retired key
that leaks cannot sign the log's future.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hisho.audit import merkle, note
from hisho.cli_files import read_document

# fetch(path) → (HTTP status, body); path starts at the site root ("/api/v1/…"). It raises
# CouldNotCheck when the site cannot be reached or does not answer in time.
Fetch = Callable[[str], tuple[int, bytes]]

CHECKPOINT = "/api/v1/audit/checkpoint"
CONSISTENCY = "/api/v1/audit/proof/consistency?from={old}&to={new}"
KEYS = "/.well-known/hisho-signing-keys.json"

# A state holds a few keys and the last signed note: a few kilobytes. The bound leaves room
# for the largest note a site may send (1 MiB, escaped in JSON up to six times over), so
# that no answer the witness accepted makes its own state unreadable.
STATE_MAX_BYTES = 16 << 20

# An Ed25519 JWK's "x": 32 bytes in unpadded base64url (RFC 8037).
ED25519_X = re.compile(r"[A-Za-z0-9_-]{43}")


class Rejected(Exception):
    """The new head is not acceptable; the witness keeps its old state."""


class CouldNotCheck(Exception):
    """Nothing the witness could judge (the site, its answer or the state file); the
    witness keeps its old state."""


@dataclass
class Outcome:
    size: int
    previous: int | None
    pinned_keys: int = 0


@dataclass(frozen=True)
class State:
    """The last head this witness accepted, and the keys it trusts."""

    origin: str
    keys: list[note.Verifier]
    size: int
    root: bytes
    # The keys that signed the last accepted head, and keys replaced (vkeys, canonical).
    signers: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()


def why(exc: BaseException) -> str:
    """A one-line reason for a parse failure."""
    if isinstance(exc, RecursionError):
        return "nested too deep"
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def parse_state(text: str) -> State:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    origin, keys, size, root = data["origin"], data["keys"], data["size"], data["root"]
    if (
        not isinstance(origin, str)
        or not isinstance(keys, list)
        or not all(isinstance(k, str) for k in keys)
        or type(size) is not int
        or size < 0
        or not isinstance(root, str)
    ):
        raise ValueError("a field of the wrong type")
    digest = base64.b64decode(root, validate=True)
    if len(digest) != merkle.HASH_SIZE:
        raise ValueError("a root that is not a SHA-256 hash")
    verifiers = [note.parse_vkey(k) for k in keys]
    if "signers" not in data and "retired" not in data:
        signers, retired = _legacy_key_history(data.get("note"), verifiers)
    else:
        signers, retired = _vkeys(data.get("signers")), _vkeys(data.get("retired"))
    return State(origin, verifiers, size, digest, signers, retired)


def _vkeys(value: Any) -> tuple[str, ...]:
    """A list of verifier keys, each in its one canonical spelling."""
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ValueError("a field of the wrong type")
    return tuple(sorted({note.parse_vkey(k).vkey for k in value}))


def _legacy_key_history(
    signed: Any, keys: list[note.Verifier]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A state written before key changes were tracked: the keys that signed its last
    head (kept with it) are current, every other key it holds is retired — it was pinned
    while the site published it as retired, or it signed the heads before a rotation (a
    key joins a witness's state only with the first head it signs)."""
    if not isinstance(signed, str):
        return (), ()
    signers = tuple(sorted(v.vkey for v in keys if _signed_by(signed, [v])))
    if not signers:
        return (), ()
    return signers, tuple(sorted({v.vkey for v in keys} - set(signers)))


def _signed_by(signed: str, keys: list[note.Verifier]) -> bool:
    try:
        note.open_note(signed, keys)
    except note.NoteError:
        return False
    return True


class Witness:
    def __init__(self, state_file: Path, fetch: Fetch, keys: list[str] | None = None) -> None:
        self.state_file = state_file
        self.fetch = fetch
        self.extra_keys = [note.parse_vkey(k) for k in keys or []]

    def load(self) -> State | None:
        if not self.state_file.exists():
            return None
        try:
            # A regular file of bounded size (hisho.cli_files): `--state /dev/zero` or a FIFO
            # was read for ever, memory growing without limit.
            data = read_document(self.state_file, STATE_MAX_BYTES)
            return parse_state(data.decode("utf-8"))
        except (OSError, ValueError, KeyError, RecursionError) as exc:
            # ValueError covers bad JSON, bad UTF-8, bad base64, a bad key (NoteError) and
            # a path that is no regular file or too large (NotADocument).
            raise CouldNotCheck(
                f"the state file {self.state_file} is not a witness's state ({why(exc)}); "
                "it was left as it is"
            ) from None

    def save(self, state: State, signed: str) -> None:
        data = {
            "origin": state.origin,
            "keys": sorted({v.vkey for v in state.keys}),
            "size": state.size,
            "root": base64.b64encode(state.root).decode(),
            "signers": sorted(state.signers),
            "retired": sorted(state.retired),
            "note": signed,
        }
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2))
            tmp.replace(self.state_file)
        except OSError as exc:
            raise CouldNotCheck(
                f"the head verified, but the state file {self.state_file} could not be "
                f"written ({exc.strerror or exc})"
            ) from None

    def _get(self, path: str) -> bytes:
        status, body = self.fetch(path)
        if status != 200:
            # No head yet, or an outage: nothing signed to judge. The state stays, so a log
            # that keeps refusing is never accepted either.
            raise CouldNotCheck(f"{path.split('?')[0]} answered HTTP {status}")
        return body

    @staticmethod
    def _json(path: str, body: bytes) -> Any:
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, too deep
            raise CouldNotCheck(f"{path.split('?')[0]} answered no JSON ({why(exc)})") from None

    def _published_keys(self, origin: str) -> tuple[list[note.Verifier], list[note.Verifier]]:
        """The site's published Ed25519 keys: (active, retired)."""
        jwks = self._json(KEYS, self._get(KEYS))
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise CouldNotCheck(f"{KEYS} is not a JSON Web Key Set")
        active: list[note.Verifier] = []
        retired: list[note.Verifier] = []
        for jwk in keys:
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                x = jwk.get("x")
                if not isinstance(x, str) or not ED25519_X.fullmatch(x):
                    raise CouldNotCheck(f"{KEYS} holds an Ed25519 key that is no key")
                key = note.Verifier(origin, base64.urlsafe_b64decode(x + "="))
                # Anything but "retired" counts as active, as before statuses existed.
                (retired if jwk.get("status") == "retired" else active).append(key)
        return active, retired

    def _latest(self) -> tuple[str, str]:
        """The site's latest signed head, and its origin (signature not checked yet)."""
        body = self._get(CHECKPOINT)
        try:
            signed = body.decode("utf-8")
            return signed, note.parse_checkpoint(signed[: signed.rfind("\n\n") + 1]).origin
        except UnicodeDecodeError:
            raise CouldNotCheck(f"{CHECKPOINT} answered something that is not UTF-8") from None
        except note.NoteError as exc:
            raise CouldNotCheck(f"{CHECKPOINT} answered no checkpoint ({exc})") from None

    def _consistency_proof(self, old: int, new: int) -> list[bytes]:
        path = CONSISTENCY.format(old=old, new=new)
        status, answer = self.fetch(path)
        if status != 200:
            # The log signed the larger tree, so it owes this proof: a refusal is its fault.
            # (A passing outage clears at the next run: the state is kept.)
            raise Rejected(
                f"the log signed a tree of {new} leaves but answered HTTP {status} when asked "
                f"to prove that it extends the one of {old} this witness saw"
            )
        body = self._json(path, answer)
        hashes = body.get("hashes") if isinstance(body, dict) else None
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
            raise CouldNotCheck(f"{path.split('?')[0]} answered no list of hashes")
        try:
            return [base64.b64decode(h, validate=True) for h in hashes]
        except (binascii.Error, ValueError):  # ValueError: not ASCII
            raise CouldNotCheck(
                f"{path.split('?')[0]} answered a hash that is not base64"
            ) from None

    def _unpinned_signer(self, signed: str, origin: str) -> str:
        """After `hisho rotate-signing-key` the head is signed by a key the site publishes
        but this witness has not pinned: name it, so that the witness's operator can
        compare it out of band and pass it with --key. Taking it unasked would let
        whoever controls the site choose the key."""
        try:
            _text, good = note.open_note(signed, self._published_keys(origin)[0])
        except (CouldNotCheck, note.NoteError):
            return ""
        return (
            f"; it is signed by a key the site publishes, {good[0].vkey} — if the site "
            f"rotated its signing key, compare that key out of band, then accept it with "
            f"--key {good[0].vkey}"
        )

    def _check_extends(self, state: State, checkpoint: note.Checkpoint) -> None:
        if checkpoint.size < state.size:
            raise Rejected(f"the tree shrank from {state.size} to {checkpoint.size} leaves")
        if checkpoint.size == state.size:
            if checkpoint.root != state.root:
                raise Rejected(f"a second, different tree of {state.size} leaves (a fork)")
            return
        proof = self._consistency_proof(state.size, checkpoint.size)
        if not merkle.verify_consistency(
            state.size, checkpoint.size, state.root, checkpoint.root, proof
        ):
            raise Rejected(
                f"the tree of {checkpoint.size} leaves does not extend the one of "
                f"{state.size} this witness saw (history rewritten, or a fork)"
            )

    @contextmanager
    def _only_run(self) -> Iterator[None]:
        """Hold the state for this run: two runs at once each read the old state and saved
        their own head, so a site that showed them two trees of one size (a fork) had
        both accepted, and the state kept whichever was saved last. The other run cannot
        check (exit 2) rather than wait: the next one judges against this one's head."""
        lock = self.state_file.with_name(self.state_file.name + ".lock")
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            handle = lock.open("a")
        except OSError as exc:
            raise CouldNotCheck(
                f"the lock file {lock} could not be opened ({exc.strerror or exc})"
            ) from None
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise CouldNotCheck(
                    f"another run of this witness is using its state file {self.state_file}"
                ) from None
            yield  # the lock goes with the file's closing

    def observe(self) -> Outcome:
        with self._only_run():
            return self._observe()

    def _observe(self) -> Outcome:
        state = self.load()
        signed, origin = self._latest()
        if state is not None and state.origin != origin:
            raise Rejected(f"the log's origin changed from {state.origin!r} to {origin!r}")
        known = (state.keys if state else []) + self.extra_keys
        retired = set(state.retired if state else ())
        pinned = 0
        if not known:
            known, published_retired = self._published_keys(origin)
            pinned = len(known)
            known += published_retired
            retired |= {v.vkey for v in published_retired}
        current = [v for v in known if v.vkey not in retired]
        try:
            checkpoint = note.open_checkpoint(signed, current)
            _text, good = note.open_note(signed, current)
        except note.NoteError as exc:
            if _signed_by(signed, [v for v in known if v.vkey in retired]):
                hint = (
                    "; it is signed by a key this witness saw replaced "
                    "(retired keys sign no new heads)"
                )
            else:
                hint = "" if pinned else self._unpinned_signer(signed, origin)
            raise Rejected(f"the signed tree head does not verify: {exc}{hint}") from None
        if state is not None:
            self._check_extends(state, checkpoint)
        signers = {v.vkey for v in good if v.name == origin}
        # The keys of the last head that did not sign this one have been replaced.
        retired |= set(state.signers if state else ()) - signers
        self.save(
            State(
                origin,
                known,
                checkpoint.size,
                checkpoint.root,
                tuple(sorted(signers)),
                tuple(sorted(retired)),
            ),
            signed,
        )
        return Outcome(checkpoint.size, state.size if state else None, pinned)
