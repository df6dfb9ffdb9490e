"""Small pure helpers (no database access)."""

import base64
import difflib
import hashlib
import hmac
import json
import unicodedata


def compute_signature(secret, body):
    """LINE's webhook signature: Base64(HMAC-SHA256(key=channel secret, msg=raw body))."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(secret, body, signature):
    """Compare in constant time, on the bytes as received."""
    if not secret or not signature:
        return False
    return hmac.compare_digest(compute_signature(secret, body).encode(), signature.strip().encode())


def parse_webhook_body(body):
    """Parse a webhook body tolerantly: LINE adds event types and fields without notice.

    :return: dict with ``destination`` and ``events`` (a list of dicts)
    :raise ValueError: the body is not JSON, or not shaped like LINE's webhook body
    """
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError("The body is not valid JSON") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ValueError("The body is not a LINE webhook: 'events' must be a list")
    for index, event in enumerate(payload["events"]):
        problem = _event_shape_problem(event)
        if problem:
            raise ValueError(f"events[{index}]: {problem}")
    return payload


def _event_shape_problem(event):
    """What makes ``event`` unstorable, or None. Only the fields stored in their own columns are
    checked; the rest is kept raw and read tolerantly when the event is processed."""
    if not isinstance(event, dict) or not isinstance(event.get("type"), str) or not event["type"]:
        return "every LINE event must be an object with a 'type'"
    for key in ("webhookEventId", "mode", "replyToken"):
        if event.get(key) is not None and not isinstance(event[key], str):
            return f"'{key}' must be a string"
    timestamp = event.get("timestamp")
    if timestamp is not None and (isinstance(timestamp, bool) or not isinstance(timestamp, (int, float))):
        return "'timestamp' must be a number of milliseconds"
    for key, fields in (("source", ("type", "userId", "groupId", "roomId")), ("message", ("id", "type")),
                        ("unsend", ("messageId",)), ("deliveryContext", ())):
        value = event.get(key)
        if value is None or (key == "message" and not isinstance(value, dict)):
            continue  # a message that is no object is stored, and fails visibly when processed
        if not isinstance(value, dict):
            return f"'{key}' must be an object"
        for field in fields:
            if value.get(field) is not None and not isinstance(value[field], str):
                return f"'{key}.{field}' must be a string"
    return None


def utf16_len(text):
    """Length in UTF-16 code units, the unit of LINE's text limits."""
    return len(text.encode("utf-16-le")) // 2


def chunks(items, size):
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def split_text(text, limit):
    """Split ``text`` into parts of at most ``limit`` UTF-16 units, on word boundaries when possible."""
    parts = []
    text = text.strip()
    while text:
        if utf16_len(text) <= limit:
            parts.append(text)
            break
        # The longest prefix within the limit, in UTF-16 units (emoji count twice).
        cut, units = 0, 0
        for index, char in enumerate(text):
            units += 2 if ord(char) > 0xFFFF else 1
            if units > limit:
                cut = index
                break
        space = max(text.rfind(" ", 0, cut), text.rfind("\n", 0, cut))
        if space > cut // 2:
            cut = space
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return parts


def next_in_turn(order, eligible, last):
    """Round robin: the first of ``eligible`` after ``last`` in ``order`` (ids in ascending order),
    going round. ``last`` need not be in ``order`` any more (someone left the rule)."""
    eligible = set(eligible)
    last = last or 0
    for candidate in [i for i in order if i > last] + [i for i in order if i <= last]:
        if candidate in eligible:
            return candidate
    return None


def name_similarity(a, b):
    """How alike two names are, 0..1, ignoring case, spaces and honorifics (様, さん)."""
    def normalize(name):
        name = unicodedata.normalize("NFKC", name or "").casefold()
        for honorific in ("様", "さま", "さん", "殿"):
            name = name.replace(honorific, "")
        return "".join(name.split())

    a, b = normalize(a), normalize(b)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def lang_code(line_language):
    """LINE's language tag ('ja', 'zh-Hant', 'en') as an Odoo language code ('ja_JP', 'zh_TW', 'en_US')."""
    mapping = {"ja": "ja_JP", "en": "en_US", "th": "th_TH", "zh-hant": "zh_TW", "zh-tw": "zh_TW",
               "zh-hans": "zh_CN", "zh-cn": "zh_CN", "ko": "ko_KR", "id": "id_ID", "vi": "vi_VN"}
    return mapping.get((line_language or "").lower(), (line_language or "").replace("-", "_"))
