"""Checking the audit log (`hisho audit-verify`): the hash chain, the person-id
commitments, the chain head and the signed checkpoints. Reports the first bad entry.

What each check catches (docs/audit.md):
- an entry changed in place: its recomputed hash differs from the stored one;
- an entry deleted: a gap in `seq`, and the next entry's `prev_hash` points at nothing;
- entries reordered: a hash covers its own position, and ids must rise with `seq`;
- entries deleted from the end: the chain head, and a checkpoint, know a longer chain;
- a whole tail rewritten and rehashed: the signed checkpoints no longer match;
- a plain person id changed: it no longer matches its commitment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hisho.audit import chain
from hisho.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from hisho.audit.subjects import SubjectBook, load_subjects

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    seq: int | None  # the chain position concerned (None: not one entry)
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry seq {self.seq}" if self.seq is not None else "the log"
        if self.entry_id is not None:
            where += f" (id {self.entry_id})"
        return f"{where}: {self.reason}"


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> Problem | None:
        """The earliest problem in the chain (by position), else the first found."""
        placed = [p for p in self.problems if p.seq is not None]
        if placed:
            return min(placed, key=lambda p: p.seq or 0)
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def _check_people(entry: Any, book: SubjectBook, report: Report) -> None:
    def check(ref: str, plain: int | None, what: str) -> None:
        if ref in book.bad:
            report.add(Problem(entry.seq, entry.pk, f"{what}: {book.bad[ref]}"))
        elif plain is None:
            if ref not in book.erased:
                report.add(Problem(entry.seq, entry.pk, f"{what} was removed, but not erased"))
        elif book.ref_of.get(plain) != ref:
            report.add(Problem(entry.seq, entry.pk, f"{what} does not match its commitment"))

    if entry.actor_ref:
        check(entry.actor_ref, entry.actor_id, "the actor id")
    elif entry.actor_id is not None:
        report.add(Problem(entry.seq, entry.pk, "the actor id has no commitment"))
    if entry.target_ref:
        plain = int(entry.target_id) if entry.target_id.isdigit() else None
        if entry.target_id and plain is None:
            report.add(Problem(entry.seq, entry.pk, "the target id is not a person id"))
        else:
            check(entry.target_ref, plain, "the target id")
    elif entry.target_type == chain.person_target_type() and entry.target_id:
        report.add(Problem(entry.seq, entry.pk, "the person target has no commitment"))
    extra = entry.extra or {}
    for key, ref in (entry.extra_refs or {}).items():
        if key not in extra:
            report.add(Problem(entry.seq, entry.pk, f"extra {key!r} is missing"))
            continue
        value = extra[key]
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            report.add(Problem(entry.seq, entry.pk, f"extra {key!r} is not a person id"))
            continue
        check(ref, value, f"extra {key!r}")


def verify_log() -> Report:
    report = Report()
    book = load_subjects()
    expected_seq, prev_hash, prev_id = 1, chain.GENESIS, 0
    hash_at: dict[int, str] = {}
    checkpoint_seqs = set(AuditCheckpoint.objects.values_list("seq", flat=True))
    for entry in AuditEvent.objects.order_by("seq", "id").iterator(chunk_size=2000):
        report.entries += 1
        if entry.seq != expected_seq:
            if entry.seq < expected_seq:
                report.add(Problem(entry.seq, entry.pk, "a second entry at this position"))
            else:
                missing = (
                    f"seq {expected_seq}"
                    if entry.seq == expected_seq + 1
                    else f"seq {expected_seq} to {entry.seq - 1}"
                )
                report.add(
                    Problem(
                        expected_seq, None, f"missing (deleted): {missing}; next is id {entry.pk}"
                    )
                )
        elif entry.prev_hash != prev_hash:
            report.add(
                Problem(entry.seq, entry.pk, "does not link to the entry before it (prev_hash)")
            )
        if chain.entry_hash(entry) != entry.entry_hash:
            report.add(Problem(entry.seq, entry.pk, "its content does not match its hash"))
        if entry.pk <= prev_id:
            report.add(Problem(entry.seq, entry.pk, "out of order: ids must rise with seq"))
        _check_people(entry, book, report)
        if entry.seq in checkpoint_seqs:
            hash_at[entry.seq] = entry.entry_hash
        expected_seq, prev_hash, prev_id = entry.seq + 1, entry.entry_hash, entry.pk
    last_seq = expected_seq - 1

    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.head_hash) != (last_seq, prev_hash):
        if head.seq > last_seq:
            report.add(
                Problem(last_seq + 1, None, f"missing (deleted): the chain head records {head.seq}")
            )
        else:
            report.add(Problem(None, None, "the chain head does not match the last entry"))

    from hisho.signing.service import BadSignature, verify_document

    previous_checkpoint = 0
    for checkpoint in AuditCheckpoint.objects.order_by("seq"):
        report.checkpoints += 1
        try:
            payload = verify_document(checkpoint.document)
        except BadSignature as exc:
            report.add(Problem(None, None, f"checkpoint {checkpoint.seq}: signature {exc.reason}"))
            continue
        if (
            payload.get("type") != "hisho.audit.checkpoint"
            or payload.get("count") != checkpoint.seq
            or payload.get("head") != checkpoint.head_hash
        ):
            report.add(Problem(None, None, f"checkpoint {checkpoint.seq}: fields do not match"))
            continue
        if checkpoint.seq > last_seq:
            report.add(
                Problem(
                    last_seq + 1,
                    None,
                    f"missing (deleted): checkpoint {checkpoint.seq} signed a longer log",
                )
            )
        elif hash_at.get(checkpoint.seq) != checkpoint.head_hash:
            report.add(
                Problem(
                    previous_checkpoint + 1,
                    None,
                    f"entries {previous_checkpoint + 1} to {checkpoint.seq} differ from what "
                    f"checkpoint {checkpoint.seq} signed (rewritten and rehashed)",
                )
            )
        previous_checkpoint = checkpoint.seq
    return report
