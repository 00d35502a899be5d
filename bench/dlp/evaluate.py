"""Evaluate hisho.dlp against Microsoft Presidio on the labelled corpus, in one run.

Usage (from the repository root)::

    python -m bench.dlp.evaluate [--seed 20240601] [--size 2400] [--corpus FILE]
                                 [--repeat 3] [--cpu 0] [--json]

Match rule (primary): a prediction is a true positive when it has the same type as a gold
span and the two spans overlap; matching is one-to-one (each gold span and each prediction
is used at most once). A second table reports the strict rule (same type, identical span).

Throughput: each detector processes every message of the corpus ``--repeat`` times after
one warm-up pass, in this single process pinned to one CPU; the best pass is reported
(messages per second). Presidio is timed on ``analyze()`` only, after its engine is built.

Presidio runs fully offline: the ``no_op`` NLP engine (no spaCy model) and the predefined
recognizers, asked only for CREDIT_CARD, PHONE_NUMBER and EMAIL_ADDRESS. Its e-mail
recognizer validates domains with ``tldextract``, which would fetch the public-suffix list
from the network on first use; we hand it an extractor that uses the snapshot bundled with
tldextract instead. Presidio has no My Number recognizer (reported as n/a). Two Presidio
configurations are measured: its defaults (phone regions US, GB, DE, FR, IL, IN, CA, BR) and
one whose phone recognizer is also given JP and the regions of our corpus, for fairness.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from hisho.dlp import EntityType, find

from .adversarial import DEFAULT_SEED as ADVERSARIAL_SEED
from .adversarial import DEFAULT_SIZE as ADVERSARIAL_SIZE
from .adversarial import NATIONAL_REGIONS, build_adversarial
from .make_corpus import DEFAULT_SEED, DEFAULT_SIZE, TRAVELLER_REGIONS, build_corpus

TYPES = [t.value for t in EntityType]
PRESIDIO_TYPES = ["CREDIT_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS"]

Span = tuple[str, int, int]
Detector = Callable[[str], list[Span]]


def load_corpora(args: argparse.Namespace) -> list[tuple[str, int | None, list[dict[str, Any]]]]:
    """(name, seed, messages) of each corpus to evaluate."""
    if args.corpus:
        with open(args.corpus, encoding="utf-8") as handle:
            return [("file", None, [json.loads(line) for line in handle if line.strip()])]
    corpora: list[tuple[str, int | None, list[dict[str, Any]]]] = []
    if args.set in ("standard", "both"):
        standard = [m.to_json() for m in build_corpus(args.seed, args.size)]
        corpora.append(("standard", args.seed, standard))
    if args.set in ("adversarial", "both"):
        adversarial = build_adversarial(args.adversarial_seed, args.adversarial_size)
        corpora.append(("adversarial", args.adversarial_seed, [m.to_json() for m in adversarial]))
    return corpora


def hisho_detector() -> Detector:
    def detect(text: str) -> list[Span]:
        return [(f.type.value, f.start, f.end) for f in find(text)]

    return detect


def presidio_detector(extra_phone_regions: Sequence[str] | None) -> Detector:
    # Belt and braces: an empty URL list makes any tldextract instance skip HTTP fetches.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    offline = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())
    email_recognizer.tldextract = type("OfflineTldextract", (), {"extract": staticmethod(offline)})

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "no_op",
            "models": [{"lang_code": "en", "model_name": "no_op"}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    if extra_phone_regions:
        engine.registry.remove_recognizer("PhoneRecognizer")
        regions = list(
            dict.fromkeys([*PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS, *extra_phone_regions])
        )
        engine.registry.add_recognizer(PhoneRecognizer(supported_regions=regions))

    def detect(text: str) -> list[Span]:
        results = engine.analyze(text=text, language="en", entities=PRESIDIO_TYPES)
        spans = sorted((r.entity_type, r.start, r.end) for r in results)
        return spans

    return detect


def match(
    gold: list[Span], predicted: list[Span], overlap: bool
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Per-type (tp, fp, fn) counts for one message, one-to-one matching."""
    tp = dict.fromkeys(TYPES, 0)
    fp = dict.fromkeys(TYPES, 0)
    fn = dict.fromkeys(TYPES, 0)
    used: set[int] = set()
    for g_type, g_start, g_end in gold:
        hit = None
        for index, (p_type, p_start, p_end) in enumerate(predicted):
            if index in used or p_type != g_type:
                continue
            if (
                (p_start < g_end and g_start < p_end)
                if overlap
                else ((p_start, p_end) == (g_start, g_end))
            ):
                hit = index
                break
        if hit is None:
            fn[g_type] += 1
        else:
            used.add(hit)
            tp[g_type] += 1
    for index, (p_type, _, _) in enumerate(predicted):
        if index not in used and p_type in fp:
            fp[p_type] += 1
    return tp, fp, fn


def score(
    corpus: list[dict[str, Any]],
    predictions: list[list[Span]],
    overlap: bool,
    supported: Sequence[str],
) -> dict[str, Any]:
    totals = {t: {"tp": 0, "fp": 0, "fn": 0} for t in TYPES}
    errors: list[dict[str, Any]] = []
    for message, predicted in zip(corpus, predictions, strict=True):
        gold = [(s["type"], s["start"], s["end"]) for s in message["spans"]]
        tp, fp, fn = match(gold, predicted, overlap)
        for t in TYPES:
            totals[t]["tp"] += tp[t]
            totals[t]["fp"] += fp[t]
            totals[t]["fn"] += fn[t]
        if any(fp[t] or fn[t] for t in supported):
            errors.append(
                {
                    "id": message["id"],
                    "fp": {t: fp[t] for t in supported if fp[t]},
                    "fn": {t: fn[t] for t in supported if fn[t]},
                }
            )
    result: dict[str, Any] = {}
    for t in TYPES:
        if t not in supported:
            result[t] = None
            continue
        c = totals[t]
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[t] = {**c, "precision": precision, "recall": recall, "f1": f1}
    tp = sum(totals[t]["tp"] for t in supported)
    fp = sum(totals[t]["fp"] for t in supported)
    fn = sum(totals[t]["fn"] for t in supported)
    micro_p = tp / (tp + fp) if tp + fp else 1.0
    micro_r = tp / (tp + fn) if tp + fn else 1.0
    result["micro"] = {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": micro_p,
        "recall": micro_r,
        "f1": 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0,
    }
    result["_errors"] = errors
    return result


def throughput(detect: Detector, texts: list[str], repeat: int) -> tuple[float, list[list[Span]]]:
    predictions = [detect(t) for t in texts]  # warm-up pass (lazy tables, metadata)
    best = float("inf")
    # CPU time of this (single-threaded, pinned) process, not wall time: on a machine
    # shared with other work, wall time also counts the slices the CPU spent elsewhere,
    # which moved the ratio between detectors by +-30% from run to run.
    for _ in range(repeat):
        started = time.process_time()
        for text in texts:
            detect(text)
        best = min(best, time.process_time() - started)
    return len(texts) / best, predictions


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for package in ("presidio-analyzer", "phonenumbers", "tldextract"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": platform.python_version(),
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "versions": versions,
    }


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def markdown(report: dict[str, Any]) -> str:
    corpus = report["corpus"]
    lines = [
        f"## Corpus: {corpus['name']}",
        "",
        f"{corpus['messages']} messages, seed {corpus['seed']}; gold spans "
        f"{corpus['gold']}; hard negatives {corpus['hard_negatives']}",
        "",
    ]
    for rule in ("overlap", "exact"):
        lines += [
            f"### Match rule: {rule}",
            "",
            "| detector | type | P | R | F1 | TP | FP | FN |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, data in report["detectors"].items():
            for t in [*TYPES, "micro"]:
                row = data[rule][t]
                if row is None:
                    lines.append(f"| {name} | {t} | n/a | n/a | n/a | - | - | - |")
                else:
                    lines.append(
                        f"| {name} | {t} | {fmt(row['precision'])} | "
                        f"{fmt(row['recall'])} | {fmt(row['f1'])} | {row['tp']} | "
                        f"{row['fp']} | {row['fn']} |"
                    )
        lines.append("")
    lines += [
        "### Throughput (one core, best of timed passes)",
        "",
        "| detector | msgs/s | hisho.dlp speed-up |",
        "|---|---|---|",
    ]
    ours = report["detectors"]["hisho.dlp"]["msgs_per_s"]
    for name, data in report["detectors"].items():
        rate = data["msgs_per_s"]
        lines.append(f"| {name} | {rate:,.0f} | {ours / rate:.1f}x |")
    m = report["machine"]
    lines += [
        "",
        f"Machine: {m['cpu']}, nproc={m['nproc']}, pinned to CPUs {m['affinity']}, "
        f"Python {m['python']}, {m['versions']}",
    ]
    return "\n".join(lines) + "\n"


def evaluate(
    args: argparse.Namespace, set_name: str, seed: int | None, corpus: list[dict[str, Any]]
) -> dict[str, Any]:
    texts = [m["text"] for m in corpus]
    gold_counts = {t: sum(s["type"] == t for m in corpus for s in m["spans"]) for t in TYPES}
    negatives = Counter(
        ":".join(tag.split(":")[:2]) for m in corpus for tag in m["tags"] if tag.startswith("neg:")
    )

    detectors: list[tuple[str, Callable[[], Detector], Sequence[str], int]] = [
        ("hisho.dlp", hisho_detector, TYPES, args.repeat),
    ]
    # Same number of timed passes for everyone; each detector also gets one warm-up pass.
    if not args.no_presidio:
        local_regions = sorted(set(TRAVELLER_REGIONS) | set(NATIONAL_REGIONS) | {"JP"})
        detectors += [
            ("presidio (defaults)", lambda: presidio_detector(None), PRESIDIO_TYPES, args.repeat),
            (
                "presidio (+JP & corpus regions)",
                lambda: presidio_detector(local_regions),
                PRESIDIO_TYPES,
                args.repeat,
            ),
        ]
    report: dict[str, Any] = {
        "corpus": {
            "name": set_name,
            "seed": seed,
            "file": args.corpus,
            "messages": len(corpus),
            "gold": gold_counts,
            "hard_negatives": dict(sorted(negatives.items())),
        },
        "match_rules": {
            "overlap": "same type and overlapping span, one-to-one",
            "exact": "same type and identical span",
        },
        "detectors": {},
        "machine": machine(),
    }
    for name, factory, supported, repeat in detectors:
        detect = factory()
        rate, predictions = throughput(detect, texts, max(1, repeat))
        entry: dict[str, Any] = {"msgs_per_s": rate, "timed_passes": max(1, repeat)}
        for rule, overlap in (("overlap", True), ("exact", False)):
            scored = score(corpus, predictions, overlap, supported)
            errors = scored.pop("_errors")
            entry[rule] = scored
            if args.show_errors:
                entry[f"{rule}_errors"] = errors
        report["detectors"][name] = entry
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare hisho.dlp and Presidio.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--corpus", help="JSON lines from make_corpus (default: build it)")
    parser.add_argument(
        "--set",
        choices=("standard", "adversarial", "both"),
        default="both",
        help="which generated corpus: make_corpus, adversarial (issue 13), or both",
    )
    parser.add_argument("--adversarial-seed", type=int, default=ADVERSARIAL_SEED)
    parser.add_argument("--adversarial-size", type=int, default=ADVERSARIAL_SIZE)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per detector")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin to (-1: no pinning)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--no-presidio", action="store_true", help="evaluate hisho.dlp only")
    parser.add_argument(
        "--show-errors",
        action="store_true",
        help="include the ids of messages with errors in the JSON",
    )
    args = parser.parse_args(argv)
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})

    reports: dict[str, Any] = {}
    for set_name, seed, corpus in load_corpora(args):
        reports[set_name] = evaluate(args, set_name, seed, corpus)
    if args.json:
        json.dump(reports, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(markdown(report) for report in reports.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
