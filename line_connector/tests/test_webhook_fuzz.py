"""Property-based fuzzing of the webhook: whatever a signed body holds, LINE gets 200 (or a 4xx for
a body that is not LINE's), never a 500, and every distinct event it sent is stored once."""

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from line_emulator.webhook import sign

from odoo.tests import tagged

from odoo.addons.line_connector import const

from .common import LineHttpCase

# Text as PostgreSQL and Python find it hard: NUL, lone surrogates, the replacement character,
# emoji, and strings longer than a column keeps.
_CHARACTERS = st.one_of(st.characters(), st.sampled_from("\x00\ud800\udbff\udc00\udfff\ufffd\U0001f642"))
_TEXTS = st.one_of(st.text(_CHARACTERS, max_size=12), st.sampled_from(["", "U" * 300, "7" * 256]))
_NUMBERS = st.one_of(
    st.integers(), st.integers(0, 2 ** 53), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([10 ** 400, -(10 ** 400), 2 ** 31, const.EVENT_TIMESTAMP_MAX + 1]))
_JSON = st.recursive(st.one_of(st.none(), st.booleans(), _NUMBERS, _TEXTS),
                     lambda children: st.lists(children, max_size=3) | st.dictionaries(_TEXTS, children, max_size=3),
                     max_leaves=6)
# LINE's IDs, a few of them shared by the events of a body (a redelivery, or what LINE never does:
# one ID for two different events); or IDs that are not LINE's.
_LINE_IDS = st.one_of(st.sampled_from(["01J0000000000000000000000A", "01J0000000000000000000000B"]),
                      st.uuids().map(str))
_IDS = st.one_of(_TEXTS, _JSON)

# The places of LINE's event that are stored in columns of their own, and some beside them.
_PATHS = [("webhookEventId",), ("type",), ("mode",), ("timestamp",), ("replyToken",), ("source",),
          ("source", "type"), ("source", "userId"), ("source", "groupId"), ("source", "roomId"), ("message",),
          ("message", "id"), ("message", "type"), ("message", "text"), ("message", "imageSet"),
          ("message", "imageSet", "id"), ("message", "imageSet", "index"), ("message", "imageSet", "total"),
          ("unsend",), ("unsend", "messageId"), ("deliveryContext",), ("deliveryContext", "isRedelivery")]

_GOOD_EVENT = {
    "type": "message", "mode": "active", "timestamp": 1767225600000, "replyToken": "0f3779fba3b349968c5d07db31eab56f",
    "source": {"type": "user", "userId": "U4af4980629f7a3c8bd3a1d04b2e9e04e"},
    "deliveryContext": {"isRedelivery": False},
    "message": {"type": "image", "id": "468789577898262530", "quoteToken": "q",
                "contentProvider": {"type": "line"}, "imageSet": {"id": "E005D41A7288F4", "index": 1, "total": 2}},
}


def _put(event, path, value):
    for key in path[:-1]:
        event = event.get(key) if isinstance(event, dict) else None
    if isinstance(event, dict):
        if value is _DELETE:
            event.pop(path[-1], None)
        else:
            event[path[-1]] = value


_DELETE = object()


@st.composite
def _events(draw):
    """A LINE event with a few of its fields changed or removed, or any JSON value at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(_JSON), False
    event = copy.deepcopy(_GOOD_EVENT)
    lines_id = draw(st.booleans())
    event["webhookEventId"] = draw(_LINE_IDS if lines_id else _IDS)
    changes = draw(st.lists(st.tuples(st.sampled_from(_PATHS), st.one_of(st.just(_DELETE), _JSON)), max_size=3))
    for path, value in changes:
        _put(event, path, value)
    return event, lines_id and not changes


@st.composite
def _bodies(draw):
    """A signed body: LINE's shape with such events, now and then something that is not LINE's."""
    kind = draw(st.integers(0, 29))
    if kind == 0:
        return draw(st.sampled_from([b"{not json", b'{"events": {}}', b"[]", b"\xff\xfe", b"null"])), None
    if kind == 1:
        return b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}", "unreadable"
    events = draw(st.lists(_events(), max_size=5))
    return json.dumps({"destination": "Ubot", "events": [event for event, _good in events]}).encode(), events


def _key(event):
    """What tells events apart: their webhookEventId, or without one, all they hold."""
    event_id = event.get("webhookEventId") if isinstance(event, dict) else None
    if isinstance(event_id, str) and event_id:
        return "id", event_id
    return "event", json.dumps(event, sort_keys=True)


@tagged("post_install", "-at_install")
class TestWebhookFuzz(LineHttpCase):

    """Signed bodies of every kind through Odoo's real HTTP stack; derandomized, so that CI runs the
    same examples every time."""

    @settings(max_examples=2000, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_bodies())
    def test_any_signed_body_gets_no_500_and_each_distinct_event_is_stored_once(self, case):
        body, events = case
        channel = self.line_channel
        self.env.cr.execute("DELETE FROM line_event WHERE channel_id = %s", [channel.id])
        self.env.invalidate_all()
        response = self.url_open(channel.webhook_url, data=body, headers={
            "Content-Type": "application/json", "X-Line-Signature": sign(channel.channel_secret, body)})
        stored = self.env["line.event"].search([("channel_id", "=", channel.id)], order="id")
        if events is None:
            self.assertEqual(response.status_code, 400)
            self.assertFalse(stored)
            return
        self.assertEqual(response.status_code, 200)
        if events == "unreadable":
            self.assertEqual(stored.mapped("event_type"), [const.EVENT_TYPE_UNREADABLE])
            return
        keys = {_key(event) for event, _good in events}
        self.assertEqual(len(stored), len(keys), "every distinct event, once")
        self.assertTrue({key for kind, key in keys if kind == "id" and len(key) <= const.WEBHOOK_COLUMN_MAX_CHARS
                         and "\x00" not in key and not any("\ud800" <= c <= "\udfff" for c in key)}
                        <= set(stored.mapped("webhook_event_id")))
        counts = {}
        for event, _good in events:
            counts[_key(event)] = counts.get(_key(event), 0) + 1
        good_ids = {event["webhookEventId"] for event, good in events if good and counts[_key(event)] == 1}
        for event in stored:
            self.assertIn(event.state, ("new", "failed"))
            self.assertEqual(event.attempts, 0)
            self.assertEqual(bool(event.error), event.state == "failed")
            if event.webhook_event_id in good_ids:
                self.assertEqual(event.state, "new", "a good event is not parked")
        # What the Webhook Events list and form show can be read.
        stored.read(["event_date", "payload", "error", "line_user_id"])
