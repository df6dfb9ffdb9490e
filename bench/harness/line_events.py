"""LINE webhook bodies as the platform sends them: one text message event per request."""

import json
import os
import secrets
import time

from .load import Request

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid():
    """26 Crockford base32 characters, time-ordered: the shape of LINE's webhookEventId."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def text_event(user_id, text):
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": ulid(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": secrets.token_hex(16),
        "message": {
            "type": "text",
            "id": str(secrets.randbelow(9 * 10**17) + 10**17),
            "quoteToken": secrets.token_urlsafe(32),
            "markAsReadToken": secrets.token_urlsafe(24),
            "text": text,
        },
    }


class WebhookSender:
    """Builds signed webhook requests for one LINE channel (the body is built when it is sent)."""

    def __init__(self, path, secret, destination, sign):
        self.path = path
        self.secret = secret
        self.destination = destination
        self.sign = sign              # line_emulator.webhook.sign(secret, body)

    def request(self, event):
        body = json.dumps({"destination": self.destination, "events": [event]}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "LineBotWebhook/2.0",
                   "X-Line-Signature": self.sign(self.secret, body)}
        return Request(self.path, body, headers, tag=event["webhookEventId"])

    def texts(self, user_id, count, label):
        """``count`` text messages from ``user_id``, each event built (timestamp, id) just before sending."""
        for index in range(count):
            yield self.request(text_event(user_id, f"{label} message {index + 1} from {user_id[-6:]}"))

    def endless_texts(self, user_id, label):
        index = 0
        while True:
            index += 1
            yield self.request(text_event(user_id, f"{label} message {index} from {user_id[-6:]}"))
