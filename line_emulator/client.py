"""``EmulatorClient``: the control API over HTTP, one method per call (a thin ``requests`` wrapper).

Bytes (images, files...) are sent base64-encoded; every method returns the decoded JSON answer.
Errors raise :class:`EmulatorClientError` with the emulator's ``error`` text.
"""

import base64

import requests

from . import const


class EmulatorClientError(Exception):
    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _b64(data):
    return base64.b64encode(data).decode() if isinstance(data, bytes) else data


class EmulatorClient:
    def __init__(self, base_url, timeout=30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method, path, json=None, params=None):
        response = self.session.request(method, self.base_url + const.CONTROL_PREFIX + path, json=json,
                                        params={k: v for k, v in (params or {}).items() if v is not None},
                                        timeout=self.timeout)
        if response.status_code >= 400:
            try:
                message = response.json().get("error")
            except ValueError:
                message = response.text
            raise EmulatorClientError(response.status_code, message)
        return response.json()

    # -- everything ------------------------------------------------------------------------------

    def reset(self):
        """Forget every channel, user, token, log, fault and rate limit."""
        return self._call("POST", "/reset")

    def info(self):
        return self._call("GET", "")

    def clock(self):
        """:return: dict(now=the emulator's time in epoch seconds, offset=seconds it is ahead of real time)"""
        return self._call("GET", "/clock")

    def advance_clock(self, seconds):
        """Move the emulator's clock forward: tokens, reply tokens, retry keys, the 7-day push window
        and rate-limit windows age at once (webhook redelivery still waits in real time)."""
        return self._call("POST", "/clock", {"seconds": seconds})

    # -- channels ----------------------------------------------------------------------------------

    def create_channel(self, channel_id=None, channel_secret=None, provider_id=const.DEFAULT_PROVIDER,
                       webhook_url=None, **settings):
        """A new channel; ``settings``: see ``const.DEFAULT_CHANNEL_SETTINGS`` (display_name, chat_mode,
        webhook_active, quota, mode, reply_token_ttl, redelivery, redelivery_schedule, webhook_timeout,
        allow_http_media, transcoding_polls, transcoding_seconds...). :return: the channel as a dict"""
        body = dict(settings, channel_id=channel_id, channel_secret=channel_secret, provider_id=provider_id,
                    webhook_url=webhook_url)
        return self._call("POST", "/channels", {k: v for k, v in body.items() if v is not None or k == "quota"})

    def channels(self):
        return self._call("GET", "/channels")

    def channel(self, channel_id):
        return self._call("GET", f"/channels/{channel_id}")

    def update_channel(self, channel_id, **settings):
        """Change settings (``quota=None`` means no limit; ``usage=0`` resets the counter)."""
        return self._call("PATCH", f"/channels/{channel_id}", settings)

    def replace_channel(self, channel_id, provider_id=None, **settings):
        """A new Official Account replacing ``channel_id`` (LINE: a new channel, its own channel ID, secret,
        bot user ID and basic ID), under the same provider unless ``provider_id`` names another.
        :return: the new channel as a dict (``replaces``: the old channel's ID)"""
        body = dict(settings, provider_id=provider_id) if provider_id else settings
        return self._call("POST", f"/channels/{channel_id}/replace", body)

    def issue_long_lived_token(self, channel_id):
        """:return: dict(access_token, token_type, key_id, expires_in=0) as the console would give"""
        return self._call("POST", f"/channels/{channel_id}/tokens")

    def quota(self, channel_id):
        """:return: dict(type, value, usage)"""
        return self._call("GET", f"/channels/{channel_id}/quota")

    def reset_quota(self, channel_id):
        return self._call("POST", f"/channels/{channel_id}/quota/reset")

    def expire_reply_tokens(self, channel_id):
        return self._call("POST", f"/channels/{channel_id}/reply_tokens/expire")

    # -- users ---------------------------------------------------------------------------------------

    def create_user(self, provider_id=const.DEFAULT_PROVIDER, display_name=None, language=const.DEFAULT_LANGUAGE,
                    **fields):
        """A LINE user of ``provider_id`` (fields: picture_url, status_message, user_id, person_id)."""
        return self._call("POST", "/users", dict(fields, provider_id=provider_id, display_name=display_name,
                                                 language=language))

    def users(self, provider_id=None, channel_id=None):
        return self._call("GET", "/users", params={"provider_id": provider_id, "channel_id": channel_id})

    def user(self, user_id):
        return self._call("GET", f"/users/{user_id}")

    def update_user(self, user_id, **fields):
        return self._call("PATCH", f"/users/{user_id}", fields)

    def user_under(self, user_id, provider_id):
        """The same person as ``user_id`` under ``provider_id``: the same user under the same provider,
        another user ID (made on first need) under another provider."""
        return self._call("POST", f"/users/{user_id}/under/{provider_id}")

    # -- users acting: each returns dict(events=[event], delivery={status_code, latency_ms, ...}) ----------

    def act(self, channel_id, user_id, action, sync=True, **params):
        for key in ("data", "preview"):
            if key in params:
                params[key] = _b64(params[key])
        return self._call("POST", f"/channels/{channel_id}/users/{user_id}/{action}", dict(params, sync=sync))

    def follow(self, channel_id, user_id, sync=True):
        return self.act(channel_id, user_id, "follow", sync)

    def unfollow(self, channel_id, user_id, sync=True):
        """The user blocks the account (LINE's unfollow)."""
        return self.act(channel_id, user_id, "unfollow", sync)

    block = unfollow

    def send_text(self, channel_id, user_id, text, sync=True, **extra):
        """``extra``: emojis, mention, quoted_message_id, source (a group/room source), timestamp."""
        return self.act(channel_id, user_id, "text", sync, text=text, **extra)

    def send_sticker(self, channel_id, user_id, package_id="446", sticker_id="1988", sync=True, **extra):
        """``extra``: sticker_resource_type, keywords, text."""
        return self.act(channel_id, user_id, "sticker", sync, package_id=str(package_id),
                        sticker_id=str(sticker_id), **extra)

    def send_image(self, channel_id, user_id, data=None, sync=True, image_set=None, **extra):
        """``image_set``: dict(id, index, total); ``extra``: content_type, content_provider."""
        return self.act(channel_id, user_id, "image", sync, data=data, image_set=image_set, **extra)

    def send_video(self, channel_id, user_id, data, duration=5000, sync=True, preview=None, **extra):
        return self.act(channel_id, user_id, "video", sync, data=data, duration=duration, preview=preview, **extra)

    def send_audio(self, channel_id, user_id, data, duration=5000, sync=True, **extra):
        return self.act(channel_id, user_id, "audio", sync, data=data, duration=duration, **extra)

    def send_file(self, channel_id, user_id, data, file_name, sync=True, **extra):
        return self.act(channel_id, user_id, "file", sync, data=data, file_name=file_name, **extra)

    def send_location(self, channel_id, user_id, title=None, address=None, latitude=35.681236,
                      longitude=139.767125, sync=True, **extra):
        return self.act(channel_id, user_id, "location", sync, title=title, address=address,
                        latitude=latitude, longitude=longitude, **extra)

    def unsend(self, channel_id, user_id, message_id, sync=True, **extra):
        """The user unsends their message: its content answers 410 from now on."""
        return self.act(channel_id, user_id, "unsend", sync, message_id=message_id, **extra)

    def postback(self, channel_id, user_id, data, params=None, sync=True, **extra):
        return self.act(channel_id, user_id, "postback", sync, data=data, params=params, **extra)

    def edit(self, channel_id, user_id, message_id, text, sync=True, **extra):
        """A ``messageEdited`` event for the user's text message."""
        return self.act(channel_id, user_id, "messageEdited", sync, message_id=message_id, text=text, **extra)

    def group_event(self, channel_id, kind, chat_id=None, user_ids=None, sync=True, room=False):
        """``kind``: join, leave, memberJoined, memberLeft; a new chat is a room with ``room`` (an ID
        starting with R is one). :return: dict(events, chat_id, delivery)"""
        return self._call("POST", f"/channels/{channel_id}/groups/{kind}",
                          {"chat_id": chat_id, "user_ids": user_ids or [], "sync": sync, "room": room})

    # -- raw events ---------------------------------------------------------------------------------

    def build_event(self, channel_id, user_id, kind, **params):
        """An event dict as LINE would send it (reply token, content registered), not delivered."""
        for key in ("data", "preview"):
            if isinstance(params.get(key), bytes):
                params[key] = _b64(params[key])
        return self._call("POST", f"/channels/{channel_id}/events/build", dict(params, kind=kind, user_id=user_id))

    def deliver_raw(self, channel_id, events=None, body=None, signature=None, sync=True, redeliver=False):
        """Deliver ``events`` (or a whole ``body``: dict, or bytes sent as is), signed with the channel's
        secret; ``signature="bad"`` signs wrongly, ``"none"`` sends no signature header, any other string
        is sent as the header. :return: the delivery (status_code, latency_ms, error, reason...)"""
        payload = {"events": events, "signature": signature, "sync": sync, "redeliver": redeliver}
        if isinstance(body, bytes):
            payload["body_base64"] = _b64(body)
        else:
            payload["body"] = body
        return self._call("POST", f"/channels/{channel_id}/deliver", payload)

    # -- inspection ---------------------------------------------------------------------------------

    def sent(self, channel_id=None, user_id=None, kind=None, since=None):
        """What bots sent: dicts with id, channel_id, to, user_id, kind (reply|push), messages, retry_key,
        request_id, delivered, reason, free, counted, recipients, sent_messages, media_fetches, timestamp.
        ``since``: only entries with a greater ``id`` (every log's ids increase)."""
        return self._call("GET", "/sent", params={"channel_id": channel_id, "user_id": user_id, "kind": kind,
                                                  "since": since})

    def deliveries(self, channel_id=None, since=None):
        """Webhook deliveries: url, body, status_code, reason, latency_ms, error, attempt, is_redelivery..."""
        return self._call("GET", "/deliveries", params={"channel_id": channel_id, "since": since})

    def calls(self, channel_id=None, endpoint=None, since=None):
        """LINE API calls received: endpoint, method, path, status, request_id, body, headers, response."""
        return self._call("GET", "/calls", params={"channel_id": channel_id, "endpoint": endpoint, "since": since})

    def openapi(self, since=None):
        """Strict mode: ``{strict, directory, violations: [{id, kind, endpoint, method, path, status,
        errors}]}``, the violations after the one with id ``since``."""
        return self._call("GET", "/openapi", params={"since": since})

    def limits(self):
        """:return: dict(limits={logs, records, chat}, dropped={log name: entries forgotten})"""
        return self._call("GET", "/limits")

    def set_limits(self, **limits):
        """Keep at most ``logs`` entries per log, ``records`` tokens/contents of each kind, ``chat``
        entries per conversation; what is over is forgotten, oldest first."""
        return self._call("PATCH", "/limits", limits)

    def chat(self, channel_id, chat_id, since=0):
        """The conversation as the user's phone shows it (both directions)."""
        return self._call("GET", f"/channels/{channel_id}/chats/{chat_id}", params={"since": since})

    # -- faults and rate limits -----------------------------------------------------------------------

    def set_fault(self, endpoint, kind, rate=None, count=None, delay=None, after=None):
        """``kind``: "500" (or another 5xx), "429", "delay", "drop"; ``endpoint``: a LINE endpoint name
        (push, reply, token, content...) or "*". Without ``rate`` or ``count`` it applies to every call."""
        return self._call("POST", "/faults", {"endpoint": endpoint, "kind": str(kind), "rate": rate,
                                              "count": count, "delay": delay, "after": after})

    def faults(self):
        return self._call("GET", "/faults")

    def clear_faults(self):
        return self._call("DELETE", "/faults")

    def set_rate_limit(self, endpoint, per_second=None, limit=None, window=None):
        """At most ``per_second`` calls per second, or ``limit`` calls per ``window`` seconds, per channel
        on ``endpoint`` (``"*"``: all endpoints counted together). Neither removes the limit."""
        return self._call("POST", "/rate_limits", {"endpoint": endpoint, "per_second": per_second,
                                                   "limit": limit, "window": window})
