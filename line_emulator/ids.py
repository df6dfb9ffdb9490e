"""Identifiers shaped as LINE shapes them."""

import os
import secrets
import threading
import time
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_counter_lock = threading.Lock()
_message_counter = [int(time.time() * 1000) * 10]


def ulid(timestamp_ms=None):
    """A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32 (26 characters)."""
    ms = int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def user_id():
    """A user ID (also a bot's user ID): ``U`` and 32 hex digits."""
    return "U" + secrets.token_hex(16)


def group_id():
    return "C" + secrets.token_hex(16)


def room_id():
    return "R" + secrets.token_hex(16)


def message_id():
    """A message ID: a numeric string, increasing."""
    with _counter_lock:
        _message_counter[0] += 1
        return str(_message_counter[0])


def channel_id():
    return str(2_000_000_000 + secrets.randbelow(999_999_999))


def channel_secret():
    return secrets.token_hex(16)


def basic_id():
    return "@" + "".join(secrets.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(8))


def token(length=32):
    """An opaque token (reply, quote, mark-as-read)."""
    return secrets.token_urlsafe(length)


def access_token():
    return secrets.token_urlsafe(128)


def request_id():
    return str(uuid.uuid4())


def is_uuid(value):
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return len(value) == 36


def is_chat_id(value):
    """A user, group or room ID as LINE gives them."""
    return (isinstance(value, str) and len(value) == 33 and value[0] in "UCR"
            and all(c in "0123456789abcdef" for c in value[1:]))
