"""The audit log's client tools against bad answers and forged files. The witness
(`hisho audit-witness`) says clearly when it could not check (exit 2), keeps REJECTED for a
log that misbehaved (exit 1), and never touches its state on either; `hisho
audit-verify-proof` calls a bundle verified only against a key you named; both parse what
they are sent strictly. Most tests need no database: a stand-in site on loopback serves a
log signed with a key of the test's own."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from hisho.audit import merkle, note
from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.proofs import BundleError, verify_bundle
from hisho.audit.witness import CouldNotCheck, Rejected, Witness
from hisho.demo import Demo
from hisho.signing.canonical import canonical_json
from tests.audit.test_transparency_api import django_fetch

ORIGIN = "site.test/audit"
CHECKPOINT = "/api/v1/audit/checkpoint"
CONSISTENCY = "/api/v1/audit/proof/consistency"
KEYS = "/.well-known/hisho-signing-keys.json"
REJECTED, COULD_NOT_CHECK, FAILED, UNVERIFIED = 1, 2, 1, 2


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class Log:
    """A two-entry log signed by a key of the test's own (so by nobody a witness knows)."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.public = self.key.public_key().public_bytes_raw()
        self.vkey = note.Verifier(ORIGIN, self.public).vkey
        self.entries = [
            {"v": 2, "at": "2025-01-01T00:00:00.000000Z", "event": "test.first", "extra": {}},
            {
                "v": 2,
                "at": "2025-01-02T00:00:00.000000Z",
                "event": "vault.staff_unsealed",
                "extra": {"n": 1},
            },
        ]
        self.leaves = [merkle.leaf_hash(canonical_json(e)) for e in self.entries]
        self.roots = {1: self.leaves[0], 2: merkle.node_hash(*self.leaves)}

    def head(self, size: int, root: bytes | None = None) -> bytes:
        text = note.Checkpoint(ORIGIN, size, root or self.roots[size]).text()
        return note.sign_note(text, ORIGIN, self.public, self.key.sign).encode()

    def jwks(self) -> bytes:
        x = base64.urlsafe_b64encode(self.public).rstrip(b"=").decode()
        key = {"kid": "sk-test", "kty": "OKP", "crv": "Ed25519", "x": x, "status": "active"}
        return json.dumps({"keys": [key]}).encode()

    def consistency(self) -> bytes:
        return json.dumps({"from": 1, "to": 2, "hashes": [b64(self.leaves[1])]}).encode()

    def bundle(self) -> dict[str, Any]:
        """A bundle for entry 1 that verifies with this log's key — and with no other."""
        return {
            "type": "hisho.audit.inclusion-proof",
            "v": 1,
            "entry": self.entries[1],
            "leaf_index": 1,
            "tree_size": 2,
            "leaf_hash": b64(self.leaves[1]),
            "hashes": [b64(self.leaves[0])],
            "checkpoint": self.head(2).decode(),
            "verifier_key": self.vkey,
        }


class Site:
    """A stand-in Hisho site on loopback: path (query left off) → (status, body)."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, bytes]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, body = site.answers.get(self.path.split("?")[0], (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, log: Log, size: int) -> None:
        self.answers.update({CHECKPOINT: (200, log.head(size)), KEYS: (200, log.jwks())})
        if size == 2:
            self.answers[CONSISTENCY] = (200, log.consistency())


@pytest.fixture
def site() -> Iterator[Site]:
    stand_in = Site()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


def witness(url: str, state: Path, *args: str, **options: Any) -> tuple[int, str, str]:
    """Run `hisho audit-witness`: (exit status, what it printed, its error message)."""
    out = io.StringIO()
    try:
        call_command("audit-witness", url, *args, state=str(state), stdout=out, **options)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


def first_use(site: Site, log: Log, state: Path) -> bytes:
    """The witness has seen the one-entry head; the state file's bytes."""
    site.serve(log, 1)
    assert witness(site.url, state)[0] == 0
    return state.read_bytes()


# --- 1. The witness says when it could not check, and keeps its state ----------------------


def test_a_witness_that_cannot_reach_the_site_says_so(tmp_path: Path) -> None:
    state = tmp_path / "w.json"
    status, _, message = witness("http://127.0.0.1:1", state)
    assert status == COULD_NOT_CHECK and message.startswith("COULD NOT CHECK")
    assert "refused" in message.lower() and "\n" not in message
    assert not state.exists()


def test_a_witness_gives_up_on_a_site_that_never_answers(tmp_path: Path) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # connections complete, nobody answers
    try:
        started = time.monotonic()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        status, _, message = witness(url, tmp_path / "w.json", timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        silent.close()
    assert status == COULD_NOT_CHECK and "0.5" in message and "answer" in message
    assert not (tmp_path / "w.json").exists()


def test_a_witness_gives_up_on_a_site_that_drips_its_headers(tmp_path: Path) -> None:
    """Each read gets a byte in time, so the socket's timeout never fires; the answer as
    a whole must still come within --timeout (it held the witness for as long as the
    site liked)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        connection, _ = server.accept()
        with connection:
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.05):
                try:
                    connection.sendall(b"X")
                except OSError:
                    return

    threading.Thread(target=drip, daemon=True).start()
    try:
        started = time.monotonic()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        status, _, message = witness(url, tmp_path / "w.json", timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        server.close()
    assert status == COULD_NOT_CHECK and "no answer within 0.5 s" in message


BAD_ANSWERS = {
    "a checkpoint that is not UTF-8": (CHECKPOINT, b"\xff\xfe\x00\x81", "UTF-8"),
    "a checkpoint size that is not ASCII": (
        CHECKPOINT,
        f"{ORIGIN}\n\u00b2\n{b64(bytes(32))}\n\n\u2014 {ORIGIN} {b64(bytes(68))}\n".encode(),
        "checkpoint",
    ),
    "published keys that are not JSON": (KEYS, b"<html>502</html>", "keys"),
    "published keys that are not a key set": (KEYS, b"[1]", "keys"),
    "published keys with a key that is no key": (
        KEYS,
        b'{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": 7}]}',
        "keys",
    ),
    "a consistency proof that is HTML": (CONSISTENCY, b"<html>oops</html>", "consistency"),
    "a consistency proof that is a list": (CONSISTENCY, b"[]", "consistency"),
    "a consistency proof that is not base64": (
        CONSISTENCY,
        b'{"hashes": ["not base64!"]}',
        "consistency",
    ),
    "a consistency proof nested too deep": (CONSISTENCY, b"[" * 100_000, "consistency"),
    "an error page": (CHECKPOINT, b"", "503"),
}


@pytest.mark.parametrize("case", BAD_ANSWERS)
def test_a_witness_cannot_check_a_bad_answer_and_keeps_its_state(
    case: str, site: Site, tmp_path: Path
) -> None:
    path, body, named = BAD_ANSWERS[case]
    log, state = Log(), tmp_path / "w.json"
    if path == CONSISTENCY:  # asked for only when the witness has seen a smaller tree
        before: bytes | None = first_use(site, log, state)
        site.serve(log, 2)
    else:
        before = None
        site.serve(log, 1)
    site.answers[path] = (503 if case == "an error page" else 200, body)
    status, out, message = witness(site.url, state)
    assert status == COULD_NOT_CHECK, (status, out, message)
    assert message.startswith("COULD NOT CHECK") and named in message and "\n" not in message
    assert (state.read_bytes() if state.exists() else None) == before


@pytest.mark.parametrize("content", ["{not json", "[]", "", '{"origin": 1}', "[" * 100_000])
def test_a_witness_with_a_broken_state_file_cannot_check_and_leaves_it(
    content: str, site: Site, tmp_path: Path
) -> None:
    site.serve(Log(), 1)
    state = tmp_path / "w.json"
    state.write_text(content)
    status, _, message = witness(site.url, state)
    assert status == COULD_NOT_CHECK and str(state) in message and "\n" not in message
    assert state.read_text() == content


def test_a_witness_given_a_bad_url_or_key_cannot_check(site: Site, tmp_path: Path) -> None:
    site.serve(Log(), 1)
    assert witness("ftp://example.test", tmp_path / "w.json")[0] == COULD_NOT_CHECK
    assert witness("http://127.0.0.1:port", tmp_path / "w.json")[0] == COULD_NOT_CHECK
    status, _, message = witness(site.url, tmp_path / "w.json", key=["not-a-key"])
    assert status == COULD_NOT_CHECK and "--key" in message
    assert not (tmp_path / "w.json").exists()


def test_a_witness_still_rejects_a_fork_or_a_refused_proof_with_exit_1(
    site: Site, tmp_path: Path
) -> None:
    log, state = Log(), tmp_path / "w.json"
    before = first_use(site, log, state)
    site.answers[CHECKPOINT] = (200, log.head(1, b"\x07" * 32))  # signed, another tree
    status, _, message = witness(site.url, state)
    assert status == REJECTED and message.startswith("REJECTED") and "fork" in message
    assert state.read_bytes() == before
    site.serve(log, 2)
    site.answers[CONSISTENCY] = (500, b"")  # signed a larger tree, will not prove it
    status, _, message = witness(site.url, state)
    assert status == REJECTED and "answered HTTP 500" in message
    assert state.read_bytes() == before
    site.serve(log, 2)  # the honest next head is still accepted
    status, out, _ = witness(site.url, state)
    assert status == 0 and "consistent with the 1 seen before" in out


# --- 2. audit-verify-proof: a bundle's own key proves nothing -------------------------------


def verify_proof(path: Path, *keys: str) -> tuple[int, str, str]:
    out = io.StringIO()
    try:
        call_command("audit-verify-proof", str(path), *keys, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


def test_a_forged_bundle_checked_with_its_own_key_is_not_called_verified(
    tmp_path: Path,
) -> None:
    """Anyone can make a bundle that is consistent with a key of their own and the log's
    origin: without --key the command must not say OK."""
    forger = Log()
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(forger.bundle()))
    status, out, message = verify_proof(path)
    assert status == UNVERIFIED and message.startswith("UNVERIFIED SIGNER")
    assert "OK:" not in out and forger.vkey in out  # the key to compare, printed
    assert base64.urlsafe_b64encode(forger.public).rstrip(b"=").decode() in out  # as a JWK's x


def test_a_bundle_checked_with_the_key_you_know_is_ok_or_failed(tmp_path: Path) -> None:
    log, other = Log(), Log()
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(log.bundle()))
    status, out, _ = verify_proof(path, "--key", log.vkey)
    assert status == 0 and out.startswith("OK: entry vault.staff_unsealed")
    status, _, message = verify_proof(path, "--key", other.vkey)
    assert status == FAILED and message.startswith("FAILED")


def test_a_jwk_x_given_as_key_is_refused_with_what_key_takes(tmp_path: Path) -> None:
    """The answer without --key prints the JWK's "x" too, for comparing with the site's
    published keys; given to --key, it was refused with only "malformed verifier key"."""
    log = Log()
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(log.bundle()))
    x = base64.urlsafe_b64encode(log.public).rstrip(b"=").decode()
    status, _, message = verify_proof(path, "--key", x)
    assert status == FAILED and message.startswith("FAILED: --key: malformed verifier key")
    assert "as this command prints it" in message and '"x"' in message


# --- 3. Strict parsing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", ["\u0661", "\u00b2", "\u0664\u0660", "01", "+1", " 1", "1_0", str(2**64), "9" * 5000]
)
def test_a_checkpoint_size_is_ascii_decimal_without_leading_zeros(size: str) -> None:
    with pytest.raises(note.NoteError):
        note.parse_checkpoint(f"{ORIGIN}\n{size}\n{b64(bytes(32))}\n")
    assert note.parse_checkpoint(f"{ORIGIN}\n{2**64 - 1}\n{b64(bytes(32))}\n").size == 2**64 - 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("leaf_index", "1"),
        ("leaf_index", "\u0661"),
        ("leaf_index", 1.9),
        ("leaf_index", True),
        ("leaf_index", -1),
        ("tree_size", "2"),
        ("tree_size", "\u0662"),
        ("tree_size", 2.0),
        ("tree_size", -2),
    ],
)
def test_bundle_positions_are_json_integers(field: str, value: Any) -> None:
    log = Log()
    bundle = log.bundle()
    assert verify_bundle(bundle, [note.parse_vkey(log.vkey)]).leaf_index == 1
    with pytest.raises(BundleError, match=field):
        verify_bundle({**bundle, field: value}, [note.parse_vkey(log.vkey)])


def test_a_bundle_entry_that_is_not_canonical_json_is_refused() -> None:
    log = Log()
    deep: Any = 1
    for _ in range(sys.getrecursionlimit()):
        deep = [deep]
    for entry in ({**log.entries[1], "extra": {"n": 1.5}}, {**log.entries[1], "extra": deep}):
        with pytest.raises(BundleError):
            verify_bundle({**log.bundle(), "entry": entry}, [note.parse_vkey(log.vkey)])


def test_a_bundle_file_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    """JSON parsers disagree on which of two equal keys wins: a file with both could show
    a reader one leaf index and this verifier another."""
    log = Log()
    text = json.dumps(log.bundle())
    path = tmp_path / "proof.json"
    for doubled in (
        text.replace('"leaf_index": 1', '"leaf_index": 0, "leaf_index": 1'),
        text.replace('"event": "vault', '"event": "test.other", "event": "vault'),
    ):
        path.write_text(doubled)
        assert json.loads(doubled) == log.bundle()  # a lenient parser sees the good bundle
        status, _, message = verify_proof(path, "--key", log.vkey)
        assert status == FAILED and "duplicate" in message, message


@pytest.mark.parametrize("content", ["[" * 100_000, '{"a":' * 100_000, "NaN", "\xff"])
def test_a_bundle_file_that_is_no_json_fails_clearly(content: str, tmp_path: Path) -> None:
    path = tmp_path / "proof.json"
    path.write_bytes(content.encode("latin-1"))
    status, _, message = verify_proof(path)
    assert status == FAILED and message.startswith("FAILED") and "\n" not in message


# --- 4. Key rotation: the witness names the new key, and takes it only when told -----------


def test_after_a_key_rotation_a_witness_names_the_new_key_and_takes_it_when_told(
    demo: Demo, tmp_path: Path
) -> None:
    from hisho.audit.tree import origin
    from hisho.signing.models import SigningKey

    do_write_checkpoint()
    state = tmp_path / "w.json"
    Witness(state, django_fetch).observe()  # pins the key of the day
    before = state.read_bytes()
    call_command("rotate-signing-key", stdout=io.StringIO())
    record_event("test.after_rotation", actor=None)
    do_write_checkpoint()  # signed by the new key
    new = note.Verifier(origin(), bytes(SigningKey.objects.get(active=True).public_key)).vkey

    with pytest.raises(Rejected) as rejected:
        Witness(state, django_fetch).observe()
    assert f"--key {new}" in str(rejected.value) and "no known key" in str(rejected.value)
    assert state.read_bytes() == before

    accepted = Witness(state, django_fetch, keys=[new]).observe()
    assert accepted.previous is not None and accepted.size > accepted.previous
    assert new in json.loads(state.read_text())["keys"]
    Witness(state, django_fetch).observe()  # pinned from now on


def test_a_witness_does_not_take_a_key_because_the_site_publishes_it(
    site: Site, tmp_path: Path
) -> None:
    """Whoever controls the site controls what it publishes: a head signed by a key the
    witness has not pinned is refused, however the site labels that key."""
    log, state = Log(), tmp_path / "w.json"
    before = first_use(site, log, state)
    impostor = Log()
    site.serve(impostor, 1)  # same tree, same origin, signed and published as active
    status, _, message = witness(site.url, state)
    assert status == REJECTED and "no known key" in message
    assert state.read_bytes() == before


# --- 4. Hostile input that printed a traceback (found by attacking the tools) ----------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("leaf_hash", "é" * 44),
        ("hashes", ["é" * 44]),
        ("checkpoint", "hisho.localhost/audit\n2\n\ud800\n\n\u2014 x AAAA\n"),
    ],
    ids=["leaf-hash-not-ascii", "path-hash-not-ascii", "checkpoint-lone-surrogate"],
)
def test_a_bundle_with_text_where_hashes_belong_fails_clearly(
    field: str, value: Any, tmp_path: Path
) -> None:
    log = Log()
    bundle = log.bundle()
    bundle[field] = value
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(bundle))  # \ud800 travels as a JSON escape
    status, out, message = verify_proof(path, "--key", log.vkey)
    assert status == FAILED and message.startswith("FAILED") and "\n" not in message
    assert "OK:" not in out


def test_a_witness_follows_no_redirect_away_from_the_site_or_to_no_http_url(
    site: Site, tmp_path: Path
) -> None:
    state = tmp_path / "w.json"
    status, _, message = witness("http://[", state)
    assert status == COULD_NOT_CHECK and "URL must be" in message

    class Redirecting(BaseHTTPRequestHandler):
        location = ""

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", self.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

    port = site.server.server_port
    # No URL, not http(s), and (before, followed) the same site under another host name.
    for location in ("http://[/x", f"ftp://127.0.0.1:{port}/x", f"http://localhost:{port}/"):
        Redirecting.location = location
        server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            status, _, message = witness(f"http://127.0.0.1:{server.server_port}", state)
        finally:
            server.shutdown()
            server.server_close()
        assert status == COULD_NOT_CHECK and "redirected" in message, message
        assert "\n" not in message and not state.exists()


def test_a_consistency_proof_hash_that_is_not_ascii_cannot_be_checked(
    site: Site, tmp_path: Path
) -> None:
    log, state = Log(), tmp_path / "w.json"
    before = first_use(site, log, state)
    site.serve(log, 2)
    site.answers[CONSISTENCY] = (
        200,
        json.dumps({"from": 1, "to": 2, "hashes": ["é" * 44]}).encode(),
    )
    status, _, message = witness(site.url, state)
    assert status == COULD_NOT_CHECK and "not base64" in message
    assert state.read_bytes() == before


def test_two_runs_at_once_never_both_accept_a_fork(tmp_path: Path) -> None:
    """Two runs of one witness at once (a slow site, an overlapping cron) each read the
    state, then saved their own head: a site showing each run a different tree of the
    same size had both accepted, and the fork was never seen. One run holds the state
    now; the other could not check (exit 2), and the fork is rejected when it comes."""
    log = Log()
    state = tmp_path / "witness.json"
    one = {CHECKPOINT: (200, log.head(1)), KEYS: (200, log.jwks())}
    assert Witness(state, lambda path: one.get(path.split("?")[0], (404, b""))).observe()
    forked_leaf = merkle.leaf_hash(b"another second entry")
    fork = log.head(2, merkle.node_hash(log.leaves[0], forked_leaf))
    answers = {
        "honest": (log.head(2), log.consistency()),
        "fork": (fork, json.dumps({"from": 1, "to": 2, "hashes": [b64(forked_leaf)]}).encode()),
    }
    both_read = threading.Barrier(2, timeout=2)

    def fetch_for(name: str) -> Any:
        def fetch(path: str) -> tuple[int, bytes]:
            head, proof = answers[name]
            if path == CHECKPOINT:
                # Both runs have read the state: now answer (alone, after 2 s).
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_read.wait()
                return 200, head
            return (200, proof) if path.startswith(CONSISTENCY) else (404, b"")

        return fetch

    outcomes: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            outcomes[name] = Witness(state, fetch_for(name)).observe()
        except (Rejected, CouldNotCheck) as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    accepted = [name for name, outcome in outcomes.items() if not isinstance(outcome, Exception)]
    assert len(accepted) == 1, outcomes
    other = "fork" if accepted == ["honest"] else "honest"
    assert isinstance(outcomes[other], CouldNotCheck)
    assert "another run" in str(outcomes[other])
    with pytest.raises(Rejected, match="fork"):
        Witness(state, fetch_for(other)).observe()


def test_a_witness_whose_state_is_no_regular_file_cannot_check(site: Site, tmp_path: Path) -> None:
    """`--state` naming a FIFO (or /dev/zero) was read for ever: the run never ended (or
    grew its memory without limit). It is refused like any state that is no state."""
    site.serve(Log(), 1)
    fifo = tmp_path / "w.json"
    os.mkfifo(fifo)
    result: list[tuple[int, str, str]] = []
    run = threading.Thread(target=lambda: result.append(witness(site.url, fifo)), daemon=True)
    run.start()
    run.join(10)
    assert result, "the witness still reads its state"
    status, _, message = result[0]
    assert status == COULD_NOT_CHECK and "not a witness's state (not a regular file)" in message


@pytest.mark.parametrize(("others", "ok"), [(99, True), (100, False)])
def test_a_note_has_at_most_100_signatures(others: int, ok: bool) -> None:
    """As Go's note.Open: a note one verifier refuses must not pass another (and a site
    must not make its witnesses parse a megabyte of signature lines)."""
    log = Log()
    bundle = log.bundle()
    other = note.signed_note("x\n", "another.witness", b"\x00" * 32, b"\x00" * 64)
    bundle["checkpoint"] += other.split("\n\n", 1)[1] * others
    if ok:
        assert verify_bundle(bundle, [note.parse_vkey(log.vkey)]).tree_size == 2
    else:
        with pytest.raises(BundleError, match="more than 100 signatures"):
            verify_bundle(bundle, [note.parse_vkey(log.vkey)])


def test_a_note_with_a_control_character_is_refused_even_when_signed() -> None:
    """Go's note.Open refuses one (the text could carry a terminal escape to whoever
    prints it); this verifier took it, signed."""
    log = Log()
    text = note.Checkpoint(ORIGIN, 2, log.roots[2]).text() + "\x1b[2J\n"
    bundle = log.bundle()
    bundle["checkpoint"] = note.sign_note(text, ORIGIN, log.public, log.key.sign)
    with pytest.raises(BundleError, match="a control character"):
        verify_bundle(bundle, [note.parse_vkey(log.vkey)])


def test_a_witness_keeps_its_state_in_the_var_directory_by_default(
    site: Site, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --state the state went to `var/` of the working directory: run from
    another directory (cron, a timer), the witness found none, pinned the site's keys
    afresh and accepted whatever head it was served."""
    site.serve(Log(), 1)
    settings.VAR_DIR = tmp_path / "var"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    call_command("audit-witness", site.url, stdout=io.StringIO())
    netloc = site.url.split("//", 1)[1].replace(":", "_")
    assert (tmp_path / "var" / "audit-witness" / f"{netloc}.json").is_file()
    assert not (elsewhere / "var").exists()
