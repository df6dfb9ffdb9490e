"""Small pure helpers (no database access)."""

import base64
import hashlib
import hmac
import json


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
    if not all(isinstance(event, dict) and isinstance(event.get("type"), str) for event in payload["events"]):
        raise ValueError("Every LINE event must be an object with a 'type'")
    return payload


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
