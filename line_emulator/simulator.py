"""Simulated LINE users acting: each action changes the world and becomes a signed webhook event."""

import base64

from . import const, ids, media, webhook
from .state import EmulatorError

MESSAGE_KINDS = ("text", "sticker", "image", "video", "audio", "file", "location")
DEFAULT_DURATION_MS = 5000


def _bytes(data):
    if data is None or isinstance(data, bytes):
        return data
    return base64.b64decode(data)


class Simulator:
    def __init__(self, state, deliverer):
        self.state = state
        self.deliverer = deliverer

    # -- building events ------------------------------------------------------------------------

    def build(self, channel_id, user_id, kind, source=None, timestamp=None, mode=None, **params):
        """One event of ``kind`` by ``user_id`` on the channel, with its reply token, content and
        mark-as-read token registered, but neither delivered nor shown on the phone."""
        channel = self.state.channel(channel_id)
        user = self.state.user(user_id) if user_id else None
        if user and user.provider_id != channel.provider_id:
            raise EmulatorError(f"User {user_id} belongs to provider {user.provider_id}, "
                                f"channel {channel.channel_id} to {channel.provider_id}")
        source = dict(source) if source else webhook.user_source(user_id)
        timestamp = int(self.state.now() * 1000) if timestamp is None else int(timestamp)
        mode = mode or channel.mode
        chat_id = webhook.chat_id_of(source)
        if source["type"] != "user":
            self.state.touch_group(channel.channel_id, chat_id, user_id)
        reply_token = None
        if mode == const.MODE_ACTIVE and kind not in ("unfollow", "unsend", "leave", "memberLeft"):
            reply_token = self.state.issue_reply_token(channel, chat_id, timestamp)
        common = {"reply_token": reply_token, "mode": mode, "timestamp": timestamp}
        if kind in MESSAGE_KINDS:
            message = self._message(channel, chat_id, kind, params)
            if user_id:
                self.state.wrote(channel.channel_id, user_id)
            return webhook.message_event(source, message, **common)
        return self._other_event(channel, source, kind, params, common)

    def _other_event(self, channel, source, kind, params, common):
        builders = {
            "follow": lambda: webhook.follow_event(source, params.get("is_unblocked", False), **common),
            "unfollow": lambda: webhook.unfollow_event(source, **common),
            "unsend": lambda: webhook.unsend_event(source, str(params["message_id"]), **common),
            "postback": lambda: webhook.postback_event(source, params.get("data", ""), params.get("params"),
                                                       **common),
            "messageEdited": lambda: webhook.message_edited_event(source, webhook.text_message(
                params.get("text", ""), message_id=str(params["message_id"])), **common),
            "join": lambda: webhook.join_event(source, **common),
            "leave": lambda: webhook.leave_event(source, **common),
            "memberJoined": lambda: webhook.member_joined_event(source, params.get("user_ids") or [], **common),
            "memberLeft": lambda: webhook.member_left_event(source, params.get("user_ids") or [], **common),
            # LINE sends a reply token with a successful account link only.
            "accountLink": lambda: webhook.event("accountLink", source, link={
                "result": params.get("result", "ok"), "nonce": params["nonce"]},
                **dict(common, reply_token=common["reply_token"] if params.get("result", "ok") == "ok" else None)),
        }
        if kind not in builders:
            raise EmulatorError(f"Unknown event kind {kind!r}")
        try:
            return builders[kind]()
        except KeyError as exc:
            raise EmulatorError(f"{kind} needs {exc.args[0]}") from exc

    def _read_token(self, channel, chat_id, message_id):
        token = ids.token(24)
        self.state.remember_read_token(token, {"channel_id": channel.channel_id, "chat_id": chat_id,
                                               "message_id": message_id})
        return token

    def _message(self, channel, chat_id, kind, params):
        message_id = str(params.get("message_id") or ids.message_id())
        read_token = self._read_token(channel, chat_id, message_id)
        if kind == "text":
            mention = params.get("mention")
            if isinstance(mention, list):
                mention = {"mentionees": mention}
            return webhook.text_message(params.get("text", ""), message_id, emojis=params.get("emojis"),
                                        mention=mention, quoted_message_id=params.get("quoted_message_id"),
                                        mark_as_read_token=read_token)
        if kind == "sticker":
            return webhook.sticker_message(
                params.get("package_id", "446"), params.get("sticker_id", "1988"), message_id,
                sticker_resource_type=params.get("sticker_resource_type", "STATIC"),
                keywords=params.get("keywords"), text=params.get("text"),
                quoted_message_id=params.get("quoted_message_id"), mark_as_read_token=read_token)
        if kind == "location":
            return webhook.location_message(params.get("latitude", 35.681236), params.get("longitude", 139.767125),
                                            params.get("title"), params.get("address"), message_id,
                                            mark_as_read_token=read_token)
        return self._media_message(channel, kind, message_id, params, read_token)

    def _media_message(self, channel, kind, message_id, params, read_token):
        provider = params.get("content_provider")
        if isinstance(provider, str):
            provider = {"type": provider}
        external = bool(provider and provider.get("type") == "external")
        if not external:
            data = _bytes(params.get("data"))
            if params.get("generated_size") is not None:  # a large content made as it is downloaded
                data = media.GeneratedContent(params["generated_size"])
            if data is None:
                data = media.png(32, 32, (200, 200, 200)) if kind == "image" else b""
            if kind == "file" and not params.get("file_name"):
                raise EmulatorError("A file needs file_name")
            preview = _bytes(params.get("preview"))
            content_type = params.get("content_type") or media.sniff(data, kind)
            self.state.store_content(channel, message_id, kind, data, content_type, preview=preview,
                                     file_name=params.get("file_name"), polls=params.get("transcoding_polls"),
                                     seconds=params.get("transcoding_seconds"))
        provider = webhook.content_provider(
            "external" if external else "line", (provider or {}).get("originalContentUrl"),
            (provider or {}).get("previewImageUrl"))
        duration = params.get("duration") or DEFAULT_DURATION_MS
        if kind == "image":
            return webhook.image_message(message_id, provider, params.get("image_set"), mark_as_read_token=read_token)
        if kind == "video":
            return webhook.video_message(duration, message_id, provider, mark_as_read_token=read_token)
        if kind == "audio":
            return webhook.audio_message(duration, message_id, provider, mark_as_read_token=read_token)
        return webhook.file_message(params["file_name"], len(data), message_id, mark_as_read_token=read_token)

    # -- acting ---------------------------------------------------------------------------------------

    def act(self, channel_id, user_id, kind, sync=True, **params):
        """The user does ``kind``: the world changes, the phone shows it, LINE sends the webhook.

        :return: dict(events=[event], delivery=delivery result)
        """
        channel = self.state.channel(channel_id)
        self.state.user(user_id)
        if kind == "follow":
            previous = self.state.set_friend_state(channel.channel_id, user_id, "friend")
            params["is_unblocked"] = previous == "blocked"
        elif kind in ("unfollow", "block"):
            kind = "unfollow"
            self.state.set_friend_state(channel.channel_id, user_id, "blocked")
        elif kind == "unsend":
            self._unsend(channel, user_id, str(params.get("message_id")), params.get("source"))
        event = self.build(channel_id, user_id, kind, **params)
        self._show(channel, user_id, kind, event, params)
        return {"events": [event], "delivery": self.deliverer.deliver(channel, [event], sync=sync, check=True)}

    def _unsend(self, channel, user_id, message_id, source):
        with self.state.lock:
            record = self.state.contents.get(message_id)
            if record and record["channel_id"] == channel.channel_id:
                record["unsent"] = True
        chat_id = webhook.chat_id_of(source) if source else user_id
        if not self.state.mark_chat(channel.channel_id, chat_id, message_id, unsent=True):
            raise EmulatorError(f"No message {message_id} from {user_id} on channel {channel.channel_id}", 404)

    def _show(self, channel, user_id, kind, event, params):
        """Record the user's action in the chat the phone page shows."""
        chat_id = webhook.chat_id_of(event["source"])
        if kind in MESSAGE_KINDS:
            message = dict(event["message"])
            if message.get("contentProvider", {}).get("type") == "line":
                message["url"] = f"/_emulator/content/{message['id']}"
            if kind == "file":
                message["fileName"] = params.get("file_name")
            self.state.add_chat(channel.channel_id, chat_id, {
                "direction": "user", "user_id": user_id, "kind": "message", "message_id": message["id"],
                "message": message, "timestamp": event["timestamp"], "unsent": False, "read": False})
        elif kind == "messageEdited":
            self.state.mark_chat(channel.channel_id, chat_id, event["message"]["id"],
                                 message=dict(event["message"]), edited=True)
        elif kind in ("follow", "unfollow", "postback"):
            follow = "unblocked the account" if params.get("is_unblocked") else "added the account as a friend"
            label = {"follow": follow, "unfollow": "blocked the account",
                     "postback": f"postback: {params.get('data', '')}"}[kind]
            self.state.add_chat(channel.channel_id, chat_id, {
                "direction": "system", "user_id": user_id, "kind": kind, "text": label,
                "timestamp": event["timestamp"]})

    def deliver_raw(self, channel_id, events=None, body=None, signature=None, sync=True, redeliver=False):
        """Deliver arbitrary events (or a whole body, dict or bytes) signed with the channel's secret."""
        channel = self.state.channel(channel_id)
        if body is None and events is None:
            raise EmulatorError("Give events or body")
        return self.deliverer.deliver(channel, events=events, body=body, signature=signature, sync=sync,
                                      redeliver=redeliver)

    def group_act(self, channel_id, kind, chat_id=None, user_ids=None, sync=True, room=False):
        """The account joins or leaves a group/room (``join``, ``leave``), or users join or leave it
        (``memberJoined``, ``memberLeft``). A new group ID (room ID with ``room``) is made when none is
        given; an ID starting with R is a room."""
        channel = self.state.channel(channel_id)
        chat_id = chat_id or (ids.room_id() if room else ids.group_id())
        source = webhook.room_source(chat_id) if chat_id.startswith("R") else webhook.group_source(chat_id)
        user_ids = list(user_ids or [])
        event = self.build(channel_id, None, kind, source=source, user_ids=user_ids)
        for user_id in user_ids:
            self.state.touch_group(channel.channel_id, chat_id, user_id, left=kind == "memberLeft")
        if kind == "leave":
            with self.state.lock:
                self.state.groups.get(channel.channel_id, {}).pop(chat_id, None)
        return {"events": [event], "chat_id": chat_id,
                "delivery": self.deliverer.deliver(channel, [event], sync=sync, check=True)}
