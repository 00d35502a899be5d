"""The machine-readable privacy policy (hisho/privacy/policy.yaml), loaded and checked.

`current_policy()` is the policy this code base declares; `Policy.from_document()` reads a
copy kept by a published version (hisho.privacy.models.PolicyVersion), so every version
renders as it was published. A policy that does not hold together — an unknown fideslang
key, a purpose or data kind that is named but not declared, a duplicate — stops start-up
(HishoPrivacyConfig.ready) with a message naming the entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hisho.signing.canonical import canonical_json

POLICY_FILE = Path(__file__).with_name("policy.yaml")
FIDESLANG_FILE = Path(__file__).with_name("fideslang.yaml")
FORMAT = "hisho-policy/1"
LANGUAGES = ("en", "ja")
BASES = frozenset({"consent", "contract", "legitimate_interest", "legal_obligation"})
RECIPIENT_KINDS = frozenset({"processor", "third_party", "partner"})
COOKIE_CATEGORIES = frozenset({"necessary", "analytics"})


class PolicyError(ImproperlyConfigured):
    """policy.yaml (or a stored copy of it) does not hold together."""


@dataclass(frozen=True)
class Text:
    """One piece of text in every language the policy is published in."""

    en: str
    ja: str

    def __call__(self, language: str | None) -> str:
        return self.ja if (language or "")[:2] == "ja" else self.en


@dataclass(frozen=True)
class Purpose:
    key: str
    data_use: str
    basis: str
    title: Text
    description: Text
    # Double opt-in: a grant counts only once the person followed the signed link e-mailed
    # to them (`confirm: email` in policy.yaml; hisho.privacy.actions.confirmation).
    confirm_by_email: bool = False

    @property
    def needs_consent(self) -> bool:
        return self.basis == "consent"


@dataclass(frozen=True)
class DataKind:
    key: str
    category: str
    title: Text
    sources: tuple[str, ...]
    purposes: tuple[str, ...]
    readers: tuple[str, ...]
    retention: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Recipient:
    key: str
    kind: str
    name: Text
    receives: tuple[str, ...]
    purposes: tuple[str, ...]
    why: Text


@dataclass(frozen=True)
class Cookie:
    key: str
    name_setting: str
    category: str
    why: Text

    @property
    def name(self) -> str:
        return str(getattr(settings, self.name_setting))


@dataclass(frozen=True)
class Retention:
    key: str
    text: Text
    truncate_ip_after_days: int | None = None
    delete_after_days: int | None = None


@dataclass(frozen=True)
class Prose:
    key: str
    title: Text
    text: Text


@dataclass(frozen=True)
class PartnerReport:
    """A report partners may ask for (POLICY O4): computed by hisho.partners from `source`,
    counting people per combination of `group_by`."""

    key: str
    source: str
    group_by: tuple[str, ...]
    min_group_size: int
    max_contributions: int
    title: Text
    description: Text


@dataclass(frozen=True)
class PartnerReports:
    """The report catalogue and each partner's monthly privacy budget."""

    epsilon_per_month: float
    default_epsilon: float
    max_epsilon: float
    delta: float
    reports: dict[str, PartnerReport]
    # The most ε all releases together may spend on one person, ever (None: versions
    # published before the limit existed).
    epsilon_per_person: float | None = None


NO_PARTNER_REPORTS = PartnerReports(0.0, 0.0, 0.0, 0.0, {})


@dataclass(frozen=True)
class Policy:
    controller: Text
    readers: dict[str, Text]
    sources: dict[str, Text]
    retention: dict[str, Retention]
    purposes: dict[str, Purpose]
    data: dict[str, DataKind]
    recipients: dict[str, Recipient]
    cookies: dict[str, Cookie]
    prose: tuple[Prose, ...]
    errand_categories: dict[str, Text]
    document: dict[str, Any]
    digest: str
    partner_reports: PartnerReports = NO_PARTNER_REPORTS

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Policy:
        return _parse(document)

    @property
    def consent_purposes(self) -> list[Purpose]:
        return [p for p in self.purposes.values() if p.needs_consent]

    def consent_purpose(self, key: str) -> Purpose | None:
        purpose = self.purposes.get(key)
        return purpose if purpose is not None and purpose.needs_consent else None

    def necessary_cookie_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.cookies.values() if c.category == "necessary")

    def purpose_fingerprint(self, key: str) -> str:
        """What a consent to purpose `key` was given for: its definition and every data kind
        and recipient serving it. A new version that changes any of it asks again."""
        serving = {
            "purpose": _raw(self.document, "purposes", key),
            "data": sorted(d.key for d in self.data.values() if key in d.purposes),
            "recipients": [
                _raw(self.document, "recipients", r.key)
                for r in sorted(self.recipients.values(), key=lambda r: r.key)
                if key in r.purposes
            ],
        }
        return hashlib.sha256(canonical_json(serving)).hexdigest()


def _raw(document: dict[str, Any], section: str, key: str) -> Any:
    return next(item for item in document[section] if item["key"] == key)


@cache
def fideslang_keys() -> tuple[frozenset[str], frozenset[str]]:
    """The vendored fideslang data-category and data-use keys (hisho/privacy/fideslang.yaml)."""
    raw = yaml.safe_load(FIDESLANG_FILE.read_text(encoding="utf-8"))
    return frozenset(raw["data_categories"]), frozenset(raw["data_uses"])


@cache
def current_policy() -> Policy:
    """The policy this code base declares (policy.yaml), parsed once per process."""
    try:
        document = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{POLICY_FILE} cannot be read: {exc}") from None
    return _parse(document)


# --- parsing ----------------------------------------------------------------------------


def _fail(where: str, problem: str) -> PolicyError:
    return PolicyError(f"policy.yaml, {where}: {problem}")


def _text(value: Any, where: str) -> Text:
    if not isinstance(value, dict) or set(value) != set(LANGUAGES):
        raise _fail(where, f"needs exactly the languages {', '.join(LANGUAGES)}")
    for language in LANGUAGES:
        if not isinstance(value[language], str) or not value[language].strip():
            raise _fail(where, f"the {language} text is empty")
    return Text(en=value["en"].strip(), ja=value["ja"].strip())


def _keys(value: Any, where: str, known: set[str] | dict[str, Any]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, "must be a list of keys")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise _fail(where, f"names undeclared {', '.join(unknown)}")
    return tuple(value)


def _items(document: dict[str, Any], section: str) -> list[dict[str, Any]]:
    items = document.get(section)
    if not isinstance(items, list) or not all(isinstance(i, dict) and "key" in i for i in items):
        raise _fail(section, "must be a list of entries with a key")
    keys = [i["key"] for i in items]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise _fail(section, f"declares {', '.join(duplicates)} twice")
    return items


def _parse(document: Any) -> Policy:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _fail("format", f"must be {FORMAT}")
    categories, uses = fideslang_keys()
    readers = {k: _text(v, f"readers.{k}") for k, v in (document.get("readers") or {}).items()}
    sources = {k: _text(v, f"sources.{k}") for k, v in (document.get("sources") or {}).items()}
    retention: dict[str, Retention] = {}
    for key, raw in (document.get("retention") or {}).items():
        numbers = {name: raw.get(name) for name in ("truncate_ip_after_days", "delete_after_days")}
        for name, number in numbers.items():
            if number is not None and (not isinstance(number, int) or number < 1):
                raise _fail(f"retention.{key}.{name}", "must be a whole number of days ≥ 1")
        text = {language: raw.get(language) for language in LANGUAGES}
        retention[key] = Retention(key, _text(text, f"retention.{key}"), **numbers)

    purposes: dict[str, Purpose] = {}
    for raw in _items(document, "purposes"):
        where = f"purposes.{raw['key']}"
        if raw.get("data_use") not in uses:
            raise _fail(where, f"data_use {raw.get('data_use')!r} is not a vendored fideslang key")
        if raw.get("basis") not in BASES:
            raise _fail(where, f"basis must be one of {', '.join(sorted(BASES))}")
        if raw.get("confirm") not in (None, "email") or (
            raw.get("confirm") and raw["basis"] != "consent"
        ):
            raise _fail(where, "confirm may only be `email`, on a purpose based on consent")
        purposes[raw["key"]] = Purpose(
            key=raw["key"],
            data_use=raw["data_use"],
            basis=raw["basis"],
            title=_text(raw.get("title"), f"{where}.title"),
            description=_text(raw.get("description"), f"{where}.description"),
            confirm_by_email=raw.get("confirm") == "email",
        )

    data: dict[str, DataKind] = {}
    for raw in _items(document, "data"):
        where = f"data.{raw['key']}"
        if raw.get("category") not in categories:
            raise _fail(where, f"category {raw.get('category')!r} is not a vendored fideslang key")
        if raw.get("retention") not in retention:
            raise _fail(where, f"retention {raw.get('retention')!r} is not declared")
        fields = raw.get("fields")
        if not isinstance(fields, list) or not all(
            isinstance(f, str) and f.count(".") == 2 for f in fields
        ):
            raise _fail(where, "fields must be a list of app_label.Model.field")
        data[raw["key"]] = DataKind(
            key=raw["key"],
            category=raw["category"],
            title=_text(raw.get("title"), f"{where}.title"),
            sources=_keys(raw.get("sources"), f"{where}.sources", sources),
            purposes=_keys(raw.get("purposes"), f"{where}.purposes", purposes),
            readers=_keys(raw.get("readers"), f"{where}.readers", readers),
            retention=raw["retention"],
            fields=tuple(fields),
        )
    declared_fields = [f for kind in data.values() for f in kind.fields]
    twice = sorted({f for f in declared_fields if declared_fields.count(f) > 1})
    if twice:
        raise _fail("data", f"fields declared under two kinds: {', '.join(twice)}")

    recipients: dict[str, Recipient] = {}
    for raw in _items(document, "recipients"):
        where = f"recipients.{raw['key']}"
        if raw.get("kind") not in RECIPIENT_KINDS:
            raise _fail(where, f"kind must be one of {', '.join(sorted(RECIPIENT_KINDS))}")
        recipients[raw["key"]] = Recipient(
            key=raw["key"],
            kind=raw["kind"],
            name=_text(raw.get("name"), f"{where}.name"),
            receives=_keys(raw.get("receives"), f"{where}.receives", data),
            purposes=_keys(raw.get("purposes"), f"{where}.purposes", purposes),
            why=_text(raw.get("why"), f"{where}.why"),
        )

    cookies: dict[str, Cookie] = {}
    for raw in _items(document, "cookies"):
        where = f"cookies.{raw['key']}"
        if raw.get("category") not in COOKIE_CATEGORIES:
            raise _fail(where, f"category must be one of {', '.join(sorted(COOKIE_CATEGORIES))}")
        if not isinstance(raw.get("name_setting"), str):
            raise _fail(where, "name_setting must name a setting")
        cookies[raw["key"]] = Cookie(
            key=raw["key"],
            name_setting=raw["name_setting"],
            category=raw["category"],
            why=_text(raw.get("why"), f"{where}.why"),
        )

    prose = tuple(
        Prose(
            key=raw["key"],
            title=_text(raw.get("title"), f"prose.{raw['key']}.title"),
            text=_text(
                {language: raw.get(language) for language in LANGUAGES}, f"prose.{raw['key']}"
            ),
        )
        for raw in _items(document, "prose")
    )
    errand_categories = {
        raw["key"]: _text(
            {language: raw.get(language) for language in LANGUAGES},
            f"errand_categories.{raw['key']}",
        )
        for raw in _items(document, "errand_categories")
    }
    if "other" not in errand_categories:
        raise _fail("errand_categories", "must offer 'other', where existing errands go")
    return Policy(
        partner_reports=_partner_reports(document),
        controller=_text(document.get("controller"), "controller"),
        readers=readers,
        sources=sources,
        retention=retention,
        purposes=purposes,
        data=data,
        recipients=recipients,
        cookies=cookies,
        prose=prose,
        errand_categories=errand_categories,
        document=document,
        digest=hashlib.sha256(canonical_json(document)).hexdigest(),
    )


def _number(raw: dict[str, Any], name: str, where: str, *, low: float, high: float) -> float:
    try:
        value = float(Decimal(str(raw.get(name))))
    except (TypeError, ArithmeticError):
        value = float("nan")
    if not low < value <= high:  # False for nan
        raise _fail(f"{where}.{name}", f"must be a decimal number (a string) in ({low}, {high}]")
    return value


def _partner_reports(document: dict[str, Any]) -> PartnerReports:
    raw = document.get("partner_reports")
    if raw is None:  # versions published before partners existed
        return NO_PARTNER_REPORTS
    where = "partner_reports"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a mapping")
    total = _number(raw, "epsilon_per_month", where, low=0, high=100)
    largest = _number(raw, "max_epsilon", where, low=0, high=total)
    default = _number(raw, "default_epsilon", where, low=0, high=largest)
    delta = _number(raw, "delta", where, low=0, high=1e-3)
    reports: dict[str, PartnerReport] = {}
    for item in _items(raw, "reports"):
        at = f"{where}.reports.{item['key']}"
        group_by = item.get("group_by")
        if (
            not isinstance(group_by, list)
            or not group_by
            or not all(isinstance(g, str) and g.isidentifier() for g in group_by)
        ):
            raise _fail(at, "group_by must be a list of field names")
        sizes = {}
        for name in ("min_group_size", "max_contributions"):
            value = item.get(name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
                raise _fail(f"{at}.{name}", "must be a whole number from 1 to 1000")
            sizes[name] = value
        if not isinstance(item.get("source"), str):
            raise _fail(at, "source must name a report source")
        reports[item["key"]] = PartnerReport(
            key=item["key"],
            source=item["source"],
            group_by=tuple(group_by),
            title=_text(item.get("title"), f"{at}.title"),
            description=_text(item.get("description"), f"{at}.description"),
            **sizes,
        )
    per_person = (
        _number(raw, "epsilon_per_person", where, low=largest, high=1000)
        if "epsilon_per_person" in raw
        else None
    )
    return PartnerReports(total, default, largest, delta, reports, per_person)
