"""The human-readable policy, built from a Policy (current or published) in one language.

The page's own headings are here in both languages, next to the policy text they frame,
rather than in the translation catalogue: the policy must exist in every language it is
published in, whatever the catalogue holds (as hisho.inbound.CARD_NOTICE does).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from hisho.privacy.policy import Policy, Text

LABELS: dict[str, Text] = {
    "title": Text("Privacy policy", "プライバシーポリシー"),
    "version": Text("Version", "版"),
    "published": Text("published", "公開日"),
    "unpublished": Text(
        "This is the policy as Hisho applies it now; its changes since the version below "
        "have not been announced yet.",
        "これは Hisho が現在適用している内容です。下記の版からの変更はまだ告知されていません。",
    ),
    "no_version": Text("Not published yet.", "未公開です。"),
    "past": Text(
        "This is an earlier version, kept for reference.",
        "これは参照用に保管している過去の版です。",
    ),
    "controller": Text("Who is responsible", "責任者"),
    "data": Text("What Hisho holds about you", "Hisho が保有する情報"),
    "kind": Text("Data", "情報"),
    "from": Text("Where it comes from", "取得元"),
    "why": Text("What for", "利用目的"),
    "who": Text("Who can read it", "閲覧できる人"),
    "kept": Text("How long it is kept", "保管期間"),
    "purposes": Text("Purposes", "利用目的の一覧"),
    "basis": Text("On what basis", "根拠"),
    "recipients": Text("Who outside Hisho receives anything", "Hisho の外部への提供先"),
    "receives": Text("What they receive", "提供する情報"),
    "nothing": Text("nothing about any person", "個人に関する情報は一切なし"),
    "cookies": Text("Cookies", "Cookie"),
    "cookie_necessary": Text("necessary", "必須"),
    "cookie_analytics": Text("only with your consent", "同意がある場合のみ"),
    "contact": Text("Privacy contact", "プライバシー窓口"),
    "contact_page": Text("Contact page", "お問い合わせページ"),
    "versions": Text("All versions", "すべての版"),
    "changes": Text("What changed", "変更内容"),
    "fideslang": Text(
        "Keys in brackets are fideslang data categories and uses; the same policy as data: ",
        "括弧内は fideslang のデータカテゴリと利用目的のキーです。同じ内容のデータ版：",
    ),
    "other_language": Text("日本語", "English"),
    "basis_consent": Text("your consent", "ご本人の同意"),
    "basis_contract": Text("providing the service you asked for", "ご依頼のサービスの提供"),
    "basis_legitimate_interest": Text(
        "a legitimate interest (security, a working service)",
        "正当な利益（セキュリティ、サービスの維持）",
    ),
    "basis_legal_obligation": Text("the law", "法令"),
    "kind_processor": Text("works on Hisho's behalf", "Hisho の委託先"),
    "kind_third_party": Text("a third party", "第三者"),
    "kind_partner": Text("a business partner", "提携先"),
}


def retention_text(policy: Policy, key: str, language: str) -> str:
    text = policy.retention[key].text(language)
    return text.format(
        truncate_days=settings.HISHO_CONNECTION_TRUNCATE_DAYS,
        delete_days=settings.HISHO_CONNECTION_DELETE_DAYS,
    )


def policy_context(policy: Policy, language: str) -> dict[str, Any]:
    """Everything the policy template shows, in `language` ("en" or "ja")."""
    label = {key: text(language) for key, text in LABELS.items()}
    purpose_title = {k: p.title(language) for k, p in policy.purposes.items()}
    data_title = {k: d.title(language) for k, d in policy.data.items()}
    return {
        "language": language,
        "other_language": "en" if language == "ja" else "ja",
        "label": label,
        "controller": policy.controller(language),
        "prose": [(p.title(language), p.text(language)) for p in policy.prose],
        "data": [
            {
                "title": kind.title(language),
                "category": kind.category,
                "sources": [policy.sources[s](language) for s in kind.sources],
                "purposes": [purpose_title[p] for p in kind.purposes],
                "readers": [policy.readers[r](language) for r in kind.readers],
                "retention": retention_text(policy, kind.retention, language),
            }
            for kind in policy.data.values()
        ],
        "purposes": [
            {
                "title": p.title(language),
                "description": p.description(language),
                "data_use": p.data_use,
                "basis": label[f"basis_{p.basis}"],
                "consent": p.needs_consent,
            }
            for p in policy.purposes.values()
        ],
        "recipients": [
            {
                "name": r.name(language),
                "kind": label[f"kind_{r.kind}"],
                "receives": [data_title[d] for d in r.receives],
                "purposes": [purpose_title[p] for p in r.purposes],
                "why": r.why(language),
            }
            for r in policy.recipients.values()
        ],
        "cookies": [
            {
                "name": c.name,
                "category": label[f"cookie_{c.category}"],
                "why": c.why(language),
            }
            for c in policy.cookies.values()
        ],
        "contact_email": settings.HISHO_PRIVACY_CONTACT_EMAIL,
    }
