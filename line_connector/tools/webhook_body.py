"""LINE's webhook bodies, read tolerantly and made storable (pure: no Odoo).

LINE adds event types and fields without notice, and a signed body must never be lost: every
event is stored, whatever it holds. What PostgreSQL cannot store is made storable (NUL
characters and lone surrogates become U+FFFD, nesting deeper than ``WEBHOOK_MAX_DEPTH`` is
cut, over-long IDs are cut in their columns), and what makes an event impossible to
understand is said (``event_problems``): such an event is parked for a person, not processed.
"""

import hashlib
import json
import re

from .. import const

# What PostgreSQL refuses in a text (NUL) or cannot encode in UTF-8 (a surrogate without its pair).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In a value LINE stores in a column of its own (an ID, a type), U+FFFD too says it was not LINE's.
_NOT_LINES = re.compile("[\x00\ud800-\udfff\ufffd]")

# The strings stored in columns of their own, by their path in the event.
_COLUMN_TEXTS = (
    ("webhookEventId",), ("type",), ("mode",), ("replyToken",),
    ("source", "type"), ("source", "userId"), ("source", "groupId"), ("source", "roomId"),
    ("message", "id"), ("message", "type"), ("unsend", "messageId"), ("message", "imageSet", "id"),
)
_OBJECTS = ("source", "unsend", "deliveryContext")  # a message that is no object fails when processed


class NotLineBody(ValueError):
    """The body is not LINE's: not JSON, or not an object with an ``events`` list."""


class UnreadableBody(Exception):
    """A body shaped like LINE's that Python cannot read whole. ``reason``: ``depth`` (nested
    deeper than Python's recursion limit) or ``number`` (more digits than Python converts)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def parse(body):
    """The events of a webhook body (any JSON values: each event is read on its own).

    :raise NotLineBody: the body is not JSON, or not shaped like LINE's webhook body
    :raise UnreadableBody: valid JSON, as far as it looks like LINE's, that Python cannot read
    """
    try:
        payload = json.loads(body)
    except RecursionError as error:
        raise _unreadable(body, "depth") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotLineBody("The body is not valid JSON") from error
    except ValueError as error:  # an integer of more digits than sys.get_int_max_str_digits()
        raise _unreadable(body, "number") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise NotLineBody("The body is not a LINE webhook: 'events' must be a list")
    return payload["events"]


def _unreadable(body, reason):
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return NotLineBody("The body is not a LINE webhook: it must be a JSON object")
    return UnreadableBody(reason)


def storable(value, _level=1):
    """``value`` (JSON data) as PostgreSQL can store it: NUL characters and lone surrogates
    replaced by U+FFFD, objects and lists nested deeper than ``WEBHOOK_MAX_DEPTH`` replaced by
    ``WEBHOOK_DEPTH_CUT``."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, (dict, list)) and _level > const.WEBHOOK_MAX_DEPTH:
        return const.WEBHOOK_DEPTH_CUT
    if isinstance(value, dict):
        return {storable(key): storable(item, _level + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item, _level + 1) for item in value]
    return value


def _nested(value, levels):
    """Whether ``value`` holds objects or lists ``levels`` deep (``value`` itself is level 1)."""
    if not isinstance(value, (dict, list)):
        return False
    if levels <= 1:
        return True
    return any(_nested(item, levels - 1) for item in (value.values() if isinstance(value, dict) else value))


def _get(event, path):
    for key in path:
        event = event.get(key) if isinstance(event, dict) else None
    return event


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def event_problems(event):
    """What makes ``event`` impossible to understand, as ``(kind, field)`` pairs; none for a
    good event. Only what is stored in columns of its own is checked: the rest is kept raw and
    read tolerantly when the event is processed. The same problems are found again in the
    stored (made storable) event.

    Kinds: ``not_event``, ``type`` (badly typed), ``characters`` (NUL, lone surrogates),
    ``too_long``, ``range`` (NaN, Infinity, out of range), ``depth``.
    """
    if not isinstance(event, dict) or not isinstance(event.get("type"), str) or not event["type"]:
        return [("not_event", None)]
    problems = [("type", key) for key in _OBJECTS if event.get(key) is not None and not isinstance(event[key], dict)]
    for path in _COLUMN_TEXTS:
        value, name = _get(event, path), ".".join(path)
        if value is None or (path[-1] == "id" and path[-2:-1] == ("imageSet",) and not isinstance(value, str)):
            continue  # an image set's odd ID only keeps the image out of its set
        if not isinstance(value, str):
            problems.append(("type", name))
            continue
        if _NOT_LINES.search(value):
            problems.append(("characters", name))
        if len(value) > const.WEBHOOK_COLUMN_MAX_CHARS:
            problems.append(("too_long", name))
    timestamp = event.get("timestamp")
    if timestamp is not None and (isinstance(timestamp, bool) or not isinstance(timestamp, (int, float))):
        problems.append(("type", "timestamp"))
    elif timestamp is not None and not 0 <= timestamp <= const.EVENT_TIMESTAMP_MAX:  # NaN compares false
        problems.append(("range", "timestamp"))
    for key in ("index", "total"):
        value = _get(event, ("message", "imageSet", key))
        if _is_int(value) and not 0 <= value <= const.EVENT_INTEGER_MAX:
            problems.append(("range", f"message.imageSet.{key}"))
    if _nested(event, const.WEBHOOK_MAX_DEPTH):
        problems.append(("depth", None))
    return problems


def _text(value):
    return value[:const.WEBHOOK_COLUMN_MAX_CHARS] if isinstance(value, str) and value else None


def _integer(value):
    return value if _is_int(value) and 0 <= value <= const.EVENT_INTEGER_MAX else 0


def _timestamp(value):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= const.EVENT_TIMESTAMP_MAX
    return float(value) if ok else 0.0


def _object(value, key):
    value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def event_key(event, data, channel_id):
    """The event's unique key: its ``webhookEventId`` (LINE redelivers with the same one); a
    sha256 of it when it is not storable as is; without one, a sha256 of the event as sent."""
    event_id = event.get("webhookEventId") if isinstance(event, dict) else None
    if isinstance(event_id, str) and event_id:
        if len(event_id) <= const.WEBHOOK_COLUMN_MAX_CHARS and not _UNSTORABLE.search(event_id):
            return event_id
        return "sha256:" + hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()
    # An event cut for its depth is told apart by what is kept of it (no recursion that deep).
    sent = data if _nested(event, const.WEBHOOK_MAX_DEPTH + 1) else event
    raw = json.dumps(sent, ensure_ascii=True, sort_keys=True)
    return "sha256:" + hashlib.sha256(f"{channel_id}:{raw}".encode()).hexdigest()


def read_event(event, channel_id):
    """The stored columns of one event (made storable), and its problems (``event_problems``).

    :return: (dict of column name: value, list of problems)
    """
    problems = event_problems(event)
    data = storable(event)
    fields = data if isinstance(data, dict) else {}
    source, message, delivery, unsend = (_object(data, key) for key in ("source", "message", "deliveryContext",
                                                                         "unsend"))
    image_set = _object(message, "imageSet")
    return {
        "webhook_event_id": event_key(event, data, channel_id),
        "event_type": const.EVENT_TYPE_INVALID if problems[:1] == [("not_event", None)] else _text(data["type"]),
        "message_type": _text(message.get("type")), "mode": _text(fields.get("mode")),
        "source_type": _text(source.get("type")), "line_user_id": _text(source.get("userId")),
        "line_chat_id": _text(source.get("groupId")) or _text(source.get("roomId")),
        "line_message_id": _text(message.get("id")) or _text(unsend.get("messageId")),
        "image_set_id": _text(image_set.get("id")),
        "image_set_index": _integer(image_set.get("index")), "image_set_total": _integer(image_set.get("total")),
        "event_timestamp": _timestamp(fields.get("timestamp")),
        "is_redelivery": bool(delivery.get("isRedelivery")),
        # A standby event must never be answered: its reply token is not kept.
        "reply_token": None if fields.get("mode") == "standby" else _text(fields.get("replyToken")),
        "payload": json.dumps(data, ensure_ascii=False, sort_keys=True),
    }, problems


def unreadable_body_columns(body, channel_id):
    """The stored columns of the one event a body Python cannot read becomes: its raw text, as
    far as storable, up to ``WEBHOOK_UNREADABLE_MAX_CHARS``; a redelivery has the same key."""
    text = storable(body.decode("utf-8", "replace"))[:const.WEBHOOK_UNREADABLE_MAX_CHARS]
    return {
        "webhook_event_id": "sha256:" + hashlib.sha256(f"{channel_id}:".encode() + body).hexdigest(),
        "event_type": const.EVENT_TYPE_UNREADABLE, "message_type": None, "mode": None, "source_type": None,
        "line_user_id": None, "line_chat_id": None, "line_message_id": None, "image_set_id": None,
        "image_set_index": 0, "image_set_total": 0, "event_timestamp": 0.0, "is_redelivery": False,
        "reply_token": None, "payload": text,
    }
