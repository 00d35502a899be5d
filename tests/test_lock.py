"""The lock is the truth (DESIGN rule 8): every dependency pyproject.toml names is pinned,
with hashes, in the lock its install uses, and no lock names a package index."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {
    "main": ROOT / "requirements.txt",
    "dev": ROOT / "requirements-dev.txt",
    "bench": ROOT / "requirements-bench.txt",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return canonical(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0])


def pinned(lock: Path) -> dict[str, str]:
    text = lock.read_text()
    return {
        canonical(name): version for name, version in re.findall(r"^([\w.-]+)==(\S+)", text, re.M)
    }


def test_every_declared_dependency_is_locked_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = {
        "main": project["dependencies"],
        "dev": project["dependencies"] + extras["dev"],
        "bench": project["dependencies"] + extras["dev"] + extras["bench"],
    }
    for lock, specs in wanted.items():
        versions = pinned(LOCKS[lock])
        missing = [s for s in specs if requirement_name(s) not in versions]
        assert not missing, f"{LOCKS[lock].name} lacks {missing}: run `make upgrade`"
        text = LOCKS[lock].read_text()
        entries = re.findall(
            r"^[\w.-]+==\S+ \\\n(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+", text, re.M
        )
        assert len(entries) == len(versions), f"{LOCKS[lock].name} has an entry without hashes"


def test_the_locks_agree_and_name_no_index() -> None:
    main, dev, bench = (pinned(LOCKS[k]) for k in ("main", "dev", "bench"))
    assert {k: dev[k] for k in main} == main
    assert {k: bench[k] for k in dev} == dev
    for lock in LOCKS.values():
        text = lock.read_text()
        assert "--index-url" not in text and "--extra-index-url" not in text
        assert "://" not in text


# The peer of the side-by-side bench (bench/peer_bench.py) has a lock of its own: it is
# bench-only, installed into .venv-peer by `make setup-peer`, so it is none of LOCKS (it
# need not agree with pyproject.toml, and django-helpdesk must never reach Hisho's venv).
PEER_LOCK = ROOT / "bench" / "peer" / "requirements.txt"


def test_the_peer_lock_is_hashed_bench_only_and_names_no_index() -> None:
    text = PEER_LOCK.read_text()
    versions = pinned(PEER_LOCK)
    entries = re.findall(
        r"^[\w.-]+==\S+ \\\n(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+", text, re.M
    )
    assert "django-helpdesk" in versions and len(entries) == len(versions)
    assert "--index-url" not in text and "--extra-index-url" not in text and "://" not in text
    for lock in LOCKS.values():
        assert "django-helpdesk" not in pinned(lock), f"{lock.name} must not carry the peer"
    # Same Django and the same ASGI server as Hisho's bench set: a like-for-like comparison.
    bench = pinned(LOCKS["bench"])
    for name in ("django", "uvicorn", "uvloop", "httptools", "psycopg"):
        assert versions[name] == bench[name], name
