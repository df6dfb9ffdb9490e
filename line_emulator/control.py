"""The control API under ``/_emulator``: set up channels and users, make users act, inspect logs.

Every handler takes the werkzeug request and returns a JSON-able value (or a Reply for bytes).
Errors are :class:`~line_emulator.state.EmulatorError` (answered ``{"error": message}``).
"""

import base64
import json

from . import const, media
from .api import Reply
from .simulator import MESSAGE_KINDS
from .state import EmulatorError

USER_ACTIONS = MESSAGE_KINDS + ("follow", "unfollow", "block", "unsend", "postback", "messageEdited", "edit")
GROUP_ACTIONS = ("join", "leave", "memberJoined", "memberLeft")


def body_of(request):
    """JSON body, or a multipart form whose ``file`` part becomes ``data`` (base64) and ``file_name``."""
    if request.mimetype == "multipart/form-data":
        data = dict(request.form.items())
        for key, convert in (("latitude", float), ("longitude", float), ("duration", int)):
            if key in data:
                data[key] = convert(data[key])
        if "sync" in data:
            data["sync"] = data["sync"].lower() in ("1", "true", "yes")
        upload = request.files.get("file")
        if upload:
            data["data"] = base64.b64encode(upload.read()).decode()
            data.setdefault("file_name", upload.filename)
            if upload.mimetype and upload.mimetype != "application/octet-stream":
                data.setdefault("content_type", upload.mimetype)
        return data
    raw = request.get_data()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise EmulatorError(f"Invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise EmulatorError("The body must be a JSON object")
    return data


def _since(request):
    since = request.args.get("since")
    return int(since) if since else None


def _filters(request, *names):
    return {name: request.args.get(name) or None for name in names}


class Control:
    def __init__(self, state, deliverer, simulator, faults):
        self.state = state
        self.deliverer = deliverer
        self.simulator = simulator
        self.faults = faults

    # -- everything --------------------------------------------------------------------------------

    def reset(self, request):
        self.deliverer.clear()
        self.faults.reset()
        self.state.reset()
        return {"reset": True}

    def info(self, request):
        with self.state.lock:
            kept = {name: len(getattr(self.state, name)) for name in const.LOGS}
        return {"base_url": self.state.base_url, "channels": len(self.state.channels), "users": len(self.state.users),
                "stickers": list(const.PHONE_STICKERS), "sticker_cdn": const.STICKER_CDN, "logs": kept,
                "dropped": dict(self.state.dropped)}

    def clock(self, request):
        return {"now": self.state.now(), "offset": self.state.clock_offset}

    def advance_clock(self, request):
        seconds = body_of(request).get("seconds")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise EmulatorError("seconds (a number >= 0) is required: the clock only moves forward")
        self.state.advance_clock(seconds)
        return self.clock(request)

    # -- channels ------------------------------------------------------------------------------------

    def channels(self, request):
        with self.state.lock:
            return [c.to_dict() for c in self.state.channels.values()]

    def create_channel(self, request):
        return self.state.create_channel(**body_of(request)).to_dict()

    def get_channel(self, request, channel_id):
        return self.state.channel(channel_id).to_dict()

    def update_channel(self, request, channel_id):
        return self.state.update_channel(channel_id, **body_of(request)).to_dict()

    def replace_channel(self, request, channel_id):
        return self.state.replace_channel(channel_id, **body_of(request)).to_dict()

    def issue_long_lived_token(self, request, channel_id):
        channel = self.state.channel(channel_id)
        token, record = self.state.issue_token(channel, "long-lived", const.LONG_LIVED_TOKEN_LIFETIME)
        return {"access_token": token, "token_type": "Bearer", "key_id": record["key_id"], "expires_in": 0}

    def quota(self, request, channel_id):
        channel = self.state.channel(channel_id)
        return {"type": channel.quota_type, "value": channel.quota, "usage": channel.usage}

    def reset_quota(self, request, channel_id):
        self.state.update_channel(channel_id, usage=0)
        return self.quota(request, channel_id)

    def expire_reply_tokens(self, request, channel_id):
        self.state.channel(channel_id)
        self.state.expire_reply_tokens(channel_id)
        return {"expired": True}

    # -- users -----------------------------------------------------------------------------------------

    def users(self, request):
        provider = request.args.get("provider_id")
        channel_id = request.args.get("channel_id")
        if channel_id:
            provider = self.state.channel(channel_id).provider_id
        with self.state.lock:
            users = [u.to_dict() for u in self.state.users.values() if not provider or u.provider_id == provider]
            if channel_id:
                for user in users:
                    user["friend_state"] = self.state.friendship(channel_id, user["user_id"])["state"]
        return users

    def create_user(self, request):
        return self.state.create_user(**body_of(request)).to_dict()

    def get_user(self, request, user_id):
        return self.state.user(user_id).to_dict()

    def update_user(self, request, user_id):
        return self.state.update_user(user_id, **body_of(request)).to_dict()

    def user_under(self, request, user_id, provider_id):
        return self.state.user_under(user_id, provider_id).to_dict()

    def avatar(self, request, user_id):
        return Reply(media.avatar(user_id), content_type="image/png")

    # -- acting ------------------------------------------------------------------------------------------

    def act(self, request, channel_id, user_id, action):
        if action not in USER_ACTIONS:
            raise EmulatorError(f"Unknown action {action!r}; one of {', '.join(USER_ACTIONS)}", 404)
        params = body_of(request)
        sync = params.pop("sync", True)
        action = {"edit": "messageEdited", "block": "unfollow"}.get(action, action)
        return self.simulator.act(channel_id, user_id, action, sync=sync, **params)

    def group_act(self, request, channel_id, action):
        if action not in GROUP_ACTIONS:
            raise EmulatorError(f"Unknown group action {action!r}; one of {', '.join(GROUP_ACTIONS)}", 404)
        params = body_of(request)
        return self.simulator.group_act(channel_id, action, chat_id=params.get("chat_id"),
                                        user_ids=params.get("user_ids"), sync=params.get("sync", True),
                                        room=bool(params.get("room")))

    def build_event(self, request, channel_id):
        params = body_of(request)
        kind = params.pop("kind", None) or params.pop("type", None)
        if not kind:
            raise EmulatorError("kind is required")
        return self.simulator.build(channel_id, params.pop("user_id", None), kind, **params)

    def deliver(self, request, channel_id):
        params = body_of(request)
        body = params.get("body")
        if params.get("body_base64"):
            body = base64.b64decode(params["body_base64"])
        return self.simulator.deliver_raw(channel_id, events=params.get("events"), body=body,
                                          signature=params.get("signature"), sync=params.get("sync", True),
                                          redeliver=params.get("redeliver", False))

    def chat(self, request, channel_id, chat_id):
        self.state.channel(channel_id)
        since = int(request.args.get("since") or 0)
        return self.state.chat(channel_id, chat_id, since)

    def content(self, request, message_id):
        with self.state.lock:
            record = self.state.contents.get(message_id)
        if not record or record["unsent"]:
            raise EmulatorError("No such content", 404)
        headers = {}
        if record["file_name"]:
            headers["Content-Disposition"] = f'inline; filename="{record["file_name"]}"'
        return Reply(record["data"], content_type=record["content_type"], headers=headers)

    # -- inspection ----------------------------------------------------------------------------------------

    def sent(self, request):
        return self.state.query("sent", since=_since(request), **_filters(request, "channel_id", "user_id", "kind"))

    def deliveries(self, request):
        return self.state.query("deliveries", since=_since(request), **_filters(request, "channel_id"))

    def calls(self, request):
        return self.state.query("calls", since=_since(request), **_filters(request, "channel_id", "endpoint"))

    def limits(self, request):
        with self.state.lock:
            return {"limits": dict(self.state.limits), "dropped": dict(self.state.dropped)}

    def set_limits(self, request):
        self.state.set_limits(**body_of(request))
        return self.limits(request)

    # -- faults and rate limits ----------------------------------------------------------------------------

    def faults_list(self, request):
        return {"faults": self.faults.list(), "rate_limits": self.faults.limits_dict(),
                "rate_limit_windows": self.faults.limit_windows()}

    def add_fault(self, request):
        params = body_of(request)
        if not params.get("endpoint") or not params.get("kind"):
            raise EmulatorError("endpoint and kind are required")
        return self.faults.add(params["endpoint"], params["kind"], rate=params.get("rate"),
                               count=params.get("count"), delay=params.get("delay"), after=params.get("after"))

    def clear_faults(self, request):
        self.faults.clear()
        return {"faults": []}

    def set_rate_limit(self, request):
        params = body_of(request)
        if not params.get("endpoint"):
            raise EmulatorError("endpoint is required")
        if params.get("limit") is not None:
            self.faults.set_limit(params["endpoint"], params["limit"], params.get("window") or 1.0)
        else:
            self.faults.set_limit(params["endpoint"], params.get("per_second"))
        return {"rate_limits": self.faults.limits_dict(), "rate_limit_windows": self.faults.limit_windows()}
