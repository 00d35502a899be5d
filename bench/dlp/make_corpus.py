"""Build the labelled DLP evaluation corpus (deterministic for a given seed).

Messages imitate what customers of a personal-assistant service in Japan write to their
assistant (restaurant bookings, landlords, deliveries, payments, city hall...), in English
and Japanese, and carry four kinds of entities plus the hard negatives that trip up naive
detectors (Luhn-valid order numbers, IMEIs, tracking numbers, dates, prices, times, postal
codes, invalid My Numbers, phone-like but invalid numbers).

Every number is synthetic: cards are random Luhn-valid numbers of real IIN ranges, phones
are random numbers that the numbering plans (via ``phonenumbers``) accept, My Numbers are
random 11 digits plus the official check digit.

Label convention: a span covers exactly what the customer typed for the entity, e.g. the
whole "+81 (0)3-1234-5678" or "(03) 1234-5678", all digits and separators of a card, the
address without surrounding brackets. Offsets are Python string indices.

Usage::

    python -m bench.dlp.make_corpus [--seed 20240601] [--size 2400] [--out corpus.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from hisho.dlp.cards import luhn_check_digit
from hisho.dlp.mynumber import check_digit

DEFAULT_SEED = 20240601
DEFAULT_SIZE = 2400

CARD = "CREDIT_CARD"
PHONE = "PHONE_NUMBER"
EMAIL = "EMAIL_ADDRESS"
MYNUM = "JP_MY_NUMBER"

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


@dataclass
class Piece:
    """A generated value: its surface text, its label (None for negatives) and a tag."""

    text: str
    label: str | None
    tag: str
    # Characters at either end of ``text`` that are not part of the labelled entity (a
    # stray digit glued in front of a card, an expiry glued after it).
    lead: int = 0
    trail: int = 0


@dataclass
class Message:
    id: str
    lang: str
    topic: str
    text: str
    spans: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lang": self.lang,
            "topic": self.topic,
            "text": self.text,
            "spans": self.spans,
            "tags": self.tags,
        }


# --------------------------------------------------------------------------- cards

CARD_BRANDS: list[tuple[str, float, list[str], list[int]]] = [
    # brand, weight, IIN prefixes, lengths
    ("visa", 0.32, ["4"], [16, 16, 16, 19]),
    ("mastercard", 0.22, ["51", "52", "53", "54", "55", "2221", "2300", "2720"], [16]),
    ("jcb", 0.16, ["3528", "3530", "3540", "3566", "3569", "3589"], [16, 16, 19]),
    ("amex", 0.10, ["34", "37"], [15]),
    ("diners", 0.05, ["36", "300", "305", "38"], [14, 16]),
    ("discover", 0.05, ["6011", "644", "65"], [16]),
    ("unionpay", 0.08, ["62", "6212", "6250"], [16, 19]),
    ("maestro", 0.02, ["6759", "5018"], [16, 19]),
]
CARD_GROUPS = {
    14: [[4, 6, 4]],
    15: [[4, 6, 5]],
    16: [[4, 4, 4, 4]],
    19: [[4, 4, 4, 4, 3], [6, 13]],
}
CARD_SEPARATORS = [" ", " ", " ", "-", "-", "", ".", "　", "－", "ー", " - "]


def luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def card(rng: random.Random, lang: str) -> Piece:
    brands = [b for b in CARD_BRANDS]
    brand = rng.choices(brands, weights=[b[1] for b in brands])[0]
    name, _, prefixes, lengths = brand
    digits = luhn_number(rng, rng.choice(prefixes), rng.choice(lengths))
    separator = rng.choice(CARD_SEPARATORS)
    if separator:
        groups = rng.choice(CARD_GROUPS[len(digits)])
        parts, position = [], 0
        for size in groups:
            parts.append(digits[position : position + size])
            position += size
        written = separator.join(parts)
    else:
        written = digits
    if lang == "ja" and rng.random() < 0.25:
        written = written.translate(FULL_WIDTH)
    return Piece(written, CARD, f"card:{name}")


# --------------------------------------------------------------------------- phones

JP_PATTERNS = [
    # national format with the number of random digits after the fixed prefix
    ("090-{4}-{4}", 3),
    ("080-{4}-{4}", 3),
    ("070-{4}-{4}", 2),
    ("03-{4}-{4}", 3),
    ("06-{4}-{4}", 2),
    ("075-{3}-{4}", 1),
    ("011-{3}-{4}", 1),
    ("092-{3}-{4}", 1),
    ("052-{3}-{4}", 1),
    ("098-{3}-{4}", 1),
    ("0460-{2}-{4}", 1),
    ("0120-{3}-{3}", 1),
    ("050-{4}-{4}", 1),
    ("0570-{3}-{3}", 1),
]
TRAVELLER_REGIONS = [
    "US",
    "US",
    "CA",
    "GB",
    "GB",
    "AU",
    "KR",
    "KR",
    "CN",
    "CN",
    "HK",
    "TW",
    "TW",
    "SG",
    "TH",
    "FR",
    "DE",
    "IN",
    "PH",
    "VN",
    "ID",
    "MY",
    "NZ",
    "IT",
    "ES",
]


def _fill(rng: random.Random, pattern: str) -> str:
    out = pattern
    for size in ("4", "3", "2"):
        while "{" + size + "}" in out:
            value = "".join(rng.choice("0123456789") for _ in range(int(size)))
            if size in "43":
                value = rng.choice("123456789") + value[1:]
            out = out.replace("{" + size + "}", value, 1)
    return out


def jp_national(rng: random.Random) -> str:
    patterns = [p for p, _ in JP_PATTERNS]
    weights = [w for _, w in JP_PATTERNS]
    while True:
        number = _fill(rng, rng.choices(patterns, weights=weights)[0])
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "JP")):
            return number


def jp_phone(rng: random.Random, lang: str) -> Piece:
    national = jp_national(rng)
    area, middle, last = national.split("-")
    style = rng.choices(
        [
            "hyphen",
            "plain",
            "space",
            "paren_area",
            "paren_middle",
            "intl",
            "intl_trunk",
            "intl_plain",
            "full_width",
            "choon",
        ],
        weights=[30, 12, 8, 5, 5, 10, 4, 4, 8 if lang == "ja" else 1, 4 if lang == "ja" else 0],
    )[0]
    if style == "hyphen":
        written = national
    elif style == "plain":
        written = area + middle + last
    elif style == "space":
        written = f"{area} {middle} {last}"
    elif style == "paren_area":
        written = f"({area}) {middle}-{last}"
    elif style == "paren_middle":
        written = f"{area}({middle}){last}"
    elif style == "intl":
        written = f"+81 {area[1:]}-{middle}-{last}"
    elif style == "intl_trunk":
        written = f"+81 (0){area[1:]} {middle} {last}"
    elif style == "intl_plain":
        written = f"+81{area[1:]}{middle}{last}"
    elif style == "full_width":
        written = national.translate(FULL_WIDTH)
    else:
        written = national.replace("-", "ー")
    return Piece(written, PHONE, f"phone:jp:{style}")


def foreign_phone(rng: random.Random, lang: str) -> Piece:
    region = rng.choice(TRAVELLER_REGIONS)
    kind = rng.choice(
        [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
    )
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    # Keep the example's area/mobile prefix, randomise the subscriber digits.
    national = phonenumbers.national_significant_number(example)  # keeps Italy's leading 0
    keep = max(3, len(national) - 5)
    number = example
    for _ in range(100):
        candidate = national[:keep] + "".join(
            rng.choice("0123456789") for _ in range(len(national) - keep)
        )
        parsed = phonenumbers.parse("+" + str(example.country_code) + candidate)
        if phonenumbers.is_valid_number(parsed):
            number = parsed
            break
    fmt = rng.choices(
        ["intl", "e164", "hyphen", "nanp_paren", "idd_010"], weights=[55, 15, 15, 10, 5]
    )[0]
    written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if fmt == "e164":
        written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    elif fmt == "hyphen":
        written = written.replace(" ", "-").replace(
            "+" + str(number.country_code) + "-", "+" + str(number.country_code) + " "
        )
    elif fmt == "nanp_paren" and number.country_code == 1:
        n = str(number.national_number)
        written = f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}"
    elif fmt == "idd_010":
        # How a resident dials abroad from a Japanese phone: 010 + country code.
        written = "010-" + written[1:].replace(" ", "-")
    return Piece(written, PHONE, f"phone:{region}:{fmt}")


def phone(rng: random.Random, lang: str) -> Piece:
    if rng.random() < 0.7:
        return jp_phone(rng, lang)
    return foreign_phone(rng, lang)


# --------------------------------------------------------------------------- e-mails

LOCAL_PARTS = [
    "taro.yamada",
    "hanako",
    "h.suzuki",
    "kenji_t",
    "john.smith",
    "emily.r",
    "li.wei",
    "kim.minji",
    "nguyen.anh",
    "sarah+japan",
    "m-tanaka",
    "yuki1987",
    "travel.ben",
    "akiko.watanabe",
    "p.dubois",
    "j.mueller",
    "chen_hui",
    "raj.patel",
    "ops",
    "info",
]
DOMAINS = [
    "gmail.com",
    "yahoo.co.jp",
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "softbank.ne.jp",
    "i.softbank.jp",
    "icloud.com",
    "outlook.com",
    "hotmail.co.uk",
    "naver.com",
    "qq.com",
    "example.co.jp",
    "sakura-realestate.co.jp",
    "mail.hisho-partner.jp",
    "univ.ac.jp",
    "web.de",
    "orange.fr",
    "bigpond.com",
]


def email(rng: random.Random, lang: str) -> Piece:
    address = f"{rng.choice(LOCAL_PARTS)}@{rng.choice(DOMAINS)}"
    if lang == "ja" and rng.random() < 0.08:
        address = address.replace("@", "＠")
    return Piece(address, EMAIL, "email")


# --------------------------------------------------------------------------- My Number


def my_number_digits(rng: random.Random) -> str:
    first = "".join(rng.choice("0123456789") for _ in range(11))
    return first + str(check_digit(first))


def write_twelve(rng: random.Random, digits: str, lang: str) -> str:
    style = rng.choice(["space", "hyphen", "plain", "plain"])
    if style == "space":
        written = f"{digits[:4]} {digits[4:8]} {digits[8:]}"
    elif style == "hyphen":
        written = f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
    else:
        written = digits
    if lang == "ja" and rng.random() < 0.2:
        written = written.translate(FULL_WIDTH)
    return written


def my_number(rng: random.Random, lang: str) -> Piece:
    return Piece(write_twelve(rng, my_number_digits(rng), lang), MYNUM, "mynumber")


# --------------------------------------------------------------------------- negatives


def neg_order(rng: random.Random, lang: str) -> Piece:
    """Luhn-valid order/booking numbers whose prefix or length is no card's."""
    kind = rng.choice(["luhn16", "luhn16", "amazon", "rakuten", "luhn_long"])
    if kind == "luhn16":
        digits = luhn_number(rng, rng.choice(["1", "7", "9", "0"]), 16)
        written = (
            digits if rng.random() < 0.5 else " ".join(digits[i : i + 4] for i in range(0, 16, 4))
        )
    elif kind == "amazon":
        digits = rng.choice(["249", "250", "503"]) + "".join(
            rng.choice("0123456789") for _ in range(13)
        )
        digits = digits + luhn_check_digit(digits)
        written = f"{digits[:3]}-{digits[3:10]}-{digits[10:]}"
    elif kind == "rakuten":
        written = (
            f"{rng.randint(100000, 399999)}-20240{rng.randint(1, 9)}{rng.randint(10, 28)}-"
            f"{rng.randint(1000000000, 9999999999)}"
        )
    else:
        written = luhn_number(rng, rng.choice(["1", "7", "9"]), rng.choice([20, 22]))
    return Piece(written, None, f"neg:order:{kind}")


def neg_imei(rng: random.Random, lang: str) -> Piece:
    digits = luhn_number(rng, rng.choice(["35", "35", "01", "86", "99", "49"]), 15)
    if rng.random() < 0.3:
        written = f"{digits[:2]}-{digits[2:8]}-{digits[8:14]}-{digits[14]}"
    else:
        written = digits
    return Piece(written, None, "neg:imei")


def neg_tracking(rng: random.Random, lang: str) -> Piece:
    kind = rng.choice(["yamato", "sagawa", "japanpost", "ems", "dhl"])
    if kind in ("yamato", "sagawa", "japanpost"):
        first = rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(10))
        digits = first + str(int(first) % 7)
        written = f"{digits[:4]}-{digits[4:8]}-{digits[8:]}" if rng.random() < 0.6 else digits
    elif kind == "ems":
        written = f"E{rng.choice('JMB')}{rng.randint(10000000, 99999999)}{rng.randint(0, 9)}JP"
    else:
        written = str(rng.randint(1000000000, 9999999999))
    return Piece(written, None, f"neg:tracking:{kind}")


def neg_date(rng: random.Random, lang: str) -> Piece:
    y, m, d = rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)
    written = rng.choice(
        [
            f"{y}-{m:02d}-{d:02d}",
            f"{y}/{m}/{d}",
            f"{m}/{d}",
            f"{d:02d}.{m:02d}.{y}",
            f"令和{y - 2018}年{m}月{d}日",
            f"{m}月{d}日",
        ]
    )
    return Piece(written, None, "neg:date")


def neg_price(rng: random.Random, lang: str) -> Piece:
    amount = rng.choice([3800, 12000, 45000, 128000, 1234567, 86400])
    written = rng.choice(
        [
            f"¥{amount:,}",
            f"{amount:,}円",
            f"￥{amount:,}",
            f"${amount / 100:,.2f}",
            f"{amount // 10000}万円" if amount >= 10000 else f"{amount}円",
        ]
    )
    return Piece(written, None, "neg:price")


def neg_time(rng: random.Random, lang: str) -> Piece:
    h, mi = rng.randint(7, 22), rng.choice([0, 15, 30, 45])
    return Piece(
        rng.choice([f"{h}:{mi:02d}", f"{h}時{mi}分", f"{h}:{mi:02d}-{h + 1}:00"]), None, "neg:time"
    )


def neg_postal(rng: random.Random, lang: str) -> Piece:
    code = f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
    return Piece(rng.choice([f"〒{code}", code, f"〒{code.replace('-', '')}"]), None, "neg:postal")


def neg_bad_mynumber(rng: random.Random, lang: str) -> Piece:
    digits = my_number_digits(rng)
    digits = digits[:11] + str((int(digits[11]) + rng.randint(1, 9)) % 10)
    return Piece(write_twelve(rng, digits, lang), None, "neg:mynumber_bad_check")


def neg_bad_phone(rng: random.Random, lang: str) -> Piece:
    kind = rng.choice(["short_mobile", "short_fixed", "short_intl", "long_mobile"])
    if kind == "short_mobile":
        written = f"090-{rng.randint(1000, 9999)}-{rng.randint(100, 999)}"
    elif kind == "short_fixed":
        written = f"03-{rng.randint(1000, 9999)}-{rng.randint(100, 999)}"
    elif kind == "short_intl":
        written = f"+81 3 {rng.randint(1000, 9999)}"
    else:
        written = f"090-{rng.randint(1000, 9999)}-{rng.randint(10000, 99999)}"
    return Piece(written, None, f"neg:phone_invalid:{kind}")


def neg_address(rng: random.Random, lang: str) -> Piece:
    return Piece(
        f"{rng.choice(['渋谷区神宮前', '港区六本木', '中央区銀座', '新宿区西新宿'])}"
        f"{rng.randint(1, 6)}-{rng.randint(1, 20)}-{rng.randint(1, 30)}",
        None,
        "neg:address",
    )


GENERATORS: dict[str, Callable[[random.Random, str], Piece]] = {
    "card": card,
    "phone": phone,
    "jp_phone": jp_phone,
    "foreign_phone": foreign_phone,
    "email": email,
    "mynumber": my_number,
    "order": neg_order,
    "imei": neg_imei,
    "tracking": neg_tracking,
    "date": neg_date,
    "price": neg_price,
    "time": neg_time,
    "postal": neg_postal,
    "bad_mynumber": neg_bad_mynumber,
    "bad_phone": neg_bad_phone,
    "address": neg_address,
}

# --------------------------------------------------------------------------- templates
# (topic, template). Slots are {name}; the same name may appear twice.

EN_TEMPLATES: list[tuple[str, str]] = [
    (
        "restaurant",
        "Can you book a table for 4 at Sushi Saito on {date} at {time}? "
        "They can reach me on {phone}.",
    ),
    ("restaurant", "The restaurant needs a card to hold the booking: {card}. Thanks!"),
    ("restaurant", "Please cancel the dinner on {date}. Their number is {jp_phone}."),
    ("restaurant", "Deposit is {price}, pay it with my Visa {card} please"),
    ("restaurant", "If the izakaya calls back, give them my mobile {phone} or email {email}"),
    (
        "landlord",
        "My landlord's number is {jp_phone}, the heater in my flat at {address} is broken again.",
    ),
    ("landlord", "Please email the agency at {email} about the deposit refund of {price}."),
    ("landlord", "Rent {price} is due on {date}; the agent said I can pay by card {card}"),
    ("landlord", "New address is {postal} {address}, landline {jp_phone}"),
    ("delivery", "Amazon order {order} still hasn't arrived. Tracking number {tracking}."),
    ("delivery", "Yamato tracking {tracking} says delivered but nothing here. Call me {phone}"),
    ("delivery", "Can you reschedule the delivery for order {order} to {date} {time}?"),
    ("delivery", "The courier wants a number for the driver: {phone}"),
    ("payments", "I paid {price} with the card ending in 1111, full number {card} if needed"),
    ("payments", "Charge the museum tickets to {card}, exp 08/27"),
    ("payments", "Here's my Amex {card} for the ryokan deposit of {price}."),
    ("payments", "Card got declined?? try this one: {card}"),
    ("payments", "Refund for order {order} of {price} should go back to {card}."),
    ("phone", "My new phone's IMEI is {imei}, SoftBank asked for it. My number is {phone}"),
    ("phone", "Please port my number {jp_phone} to the new SIM, IMEI {imei}"),
    ("city_hall", "City hall asks for my My Number for the tax form: {mynumber}"),
    ("city_hall", "My Number is {mynumber}, is it OK to send that to the employer?"),
    ("city_hall", "I think my my number card says {bad_mynumber}, can you check the form?"),
    ("city_hall", "The ward office is open {time}, phone {jp_phone}."),
    ("hotel", "Hotel confirmation: check-in {date}, front desk {jp_phone}, email {email}"),
    ("hotel", "Please send the invoice to {email} and the receipt to my wife {email}."),
    ("hotel", "My friend arrives {date}, her phone is {foreign_phone}"),
    ("travel", "My US number is {foreign_phone} in case the Japanese SIM dies"),
    ("travel", "Contact for the tour guide: {foreign_phone} / {email}"),
    ("travel", "Flight JL 006 lands {time} on {date}, can the driver call {phone}?"),
    ("doctor", "Clinic appointment on {date} at {time}; clinic phone {jp_phone}."),
    ("doctor", "The doctor tried to call {bad_phone} but that number is wrong, it's {phone}"),
    ("misc", "Thanks so much, that was perfect!"),
    ("misc", "Could you find a quiet cafe near Shibuya station for a meeting on {date}?"),
    ("misc", "Is {price} a fair price for a 2-hour kimono rental?"),
    ("misc", "The postcode is {postal}, not sure about the building name"),
    ("misc", "Meeting moved to {time}. Order ref {order}."),
    ("misc", "I tried calling {bad_phone} but it didn't connect."),
    ("misc", "Reference {tracking} from Japan Post, please track it."),
    ("misc", "Booking {order}, {date}, 2 adults."),
    ("city_hall", "Here it is: {mynumber}"),
    ("city_hall", "{mynumber} is the number on my card, for the residence registration"),
    ("delivery", "here you go {tracking}"),
]

JA_TEMPLATES: list[tuple[str, str]] = [
    ("restaurant", "{date}の{time}に4名で予約をお願いします。連絡先は{phone}です。"),
    ("restaurant", "予約の確保にカード番号が必要とのことです。{card}でお願いします。"),
    ("restaurant", "お店の電話番号は{jp_phone}です。キャンセルをお願いできますか？"),
    ("restaurant", "デポジット{price}をカード{card}で支払ってください"),
    ("restaurant", "折り返しは携帯{phone}か、メール：{email}までお願いします。"),
    ("landlord", "大家さんの電話番号は{jp_phone}です。エアコンが壊れました。"),
    (
        "landlord",
        "管理会社のメールアドレスは{email}です。敷金{price}の返金について連絡してください。",
    ),
    ("landlord", "家賃{price}は{date}までに振込です。カード払いなら{card}で。"),
    ("landlord", "新住所：{postal} 東京都{address} 固定電話{jp_phone}"),
    ("delivery", "注文番号{order}の荷物がまだ届きません。追跡番号は{tracking}です。"),
    (
        "delivery",
        "ヤマトの伝票番号{tracking}、配達済みになっていますが届いていません。{phone}に電話ください",
    ),
    ("delivery", "再配達を{date}の{time}でお願いします（注文番号{order}）"),
    ("delivery", "配達員の方に{phone}を伝えてください"),
    ("payments", "カード番号は{card}です。"),
    ("payments", "クレジットカード{card}、有効期限は08/27です"),
    ("payments", "支払いはJCB{card}でお願いします。金額は{price}です。"),
    ("payments", "さっきのカードがダメだったので、こちらで：{card}"),
    ("payments", "注文{order}の返金{price}はカード{card}に戻りますか？"),
    ("phone", "新しいスマホのIMEIは{imei}です。電話番号は{phone}。"),
    ("phone", "MNPで{jp_phone}を新しいSIMに移してください。IMEI：{imei}"),
    ("city_hall", "マイナンバーは{mynumber}です。確定申告に使います。"),
    ("city_hall", "個人番号：{mynumber}（勤務先に提出）"),
    ("city_hall", "マイナンバーカードの番号が{bad_mynumber}だと思うのですが、確認できますか"),
    ("city_hall", "区役所の受付は{time}まで、電話は{jp_phone}です。"),
    ("hotel", "チェックインは{date}、フロントの電話{jp_phone}、メール{email}"),
    ("hotel", "請求書は{email}に、領収書は妻の（{email}）に送ってください。"),
    ("hotel", "友人は{date}に到着します。彼女の番号は{foreign_phone}です"),
    ("travel", "母の電話番号は{foreign_phone}です。"),
    ("travel", "ガイドさんの連絡先：{foreign_phone}／{email}"),
    ("travel", "JL006便は{date}の{time}着です。ドライバーさんは{phone}に電話してください。"),
    ("doctor", "{date}の{time}にクリニックの予約です。病院の電話は{jp_phone}です。"),
    ("doctor", "先生が{bad_phone}にかけたそうですが、番号が違います。正しくは{phone}です"),
    ("misc", "ありがとうございました！助かりました。"),
    ("misc", "渋谷駅の近くで静かなカフェを{date}に探してもらえますか？"),
    ("misc", "着物レンタル2時間で{price}は妥当ですか？"),
    ("misc", "郵便番号は{postal}です。建物名はわかりません"),
    ("misc", "打ち合わせは{time}に変更です。受付番号{order}。"),
    ("misc", "{bad_phone}に電話しましたがつながりませんでした。"),
    ("misc", "日本郵便の追跡番号{tracking}を調べてください"),
    ("misc", "予約番号{order}、{date}、大人2名。"),
    ("city_hall", "番号は{mynumber}です（マイナンバーカードの裏面）"),
    ("city_hall", "{mynumber}でお願いします"),
    ("delivery", "これです {tracking}"),
]


def render(
    rng: random.Random,
    template: str,
    lang: str,
    generators: dict[str, Callable[[random.Random, str], Piece]] | None = None,
) -> tuple[str, list[dict[str, Any]], list[str]]:
    generators = GENERATORS if generators is None else generators
    text = ""
    spans: list[dict[str, Any]] = []
    tags: list[str] = []
    rest = template
    while "{" in rest:
        before, _, tail = rest.partition("{")
        slot, _, rest = tail.partition("}")
        text += before
        piece = generators[slot](rng, lang)
        if piece.label is not None:
            spans.append(
                {
                    "type": piece.label,
                    "start": len(text) + piece.lead,
                    "end": len(text) + len(piece.text) - piece.trail,
                }
            )
        tags.append(piece.tag)
        text += piece.text
    text += rest
    return text, spans, tags


def build_corpus(seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> list[Message]:
    rng = random.Random(seed)
    messages: list[Message] = []
    for index in range(size):
        lang = "ja" if rng.random() < 0.5 else "en"
        topic, template = rng.choice(JA_TEMPLATES if lang == "ja" else EN_TEMPLATES)
        text, spans, tags = render(rng, template, lang)
        messages.append(Message(f"m{index:05d}", lang, topic, text, spans, tags))
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--out", help="write JSON lines here instead of stdout")
    args = parser.parse_args(argv)
    corpus = build_corpus(args.seed, args.size)
    lines = "".join(json.dumps(m.to_json(), ensure_ascii=False) + "\n" for m in corpus)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        sys.stdout.write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
