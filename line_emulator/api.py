"""LINE's API as the addon calls it: tokens, sending, profiles, the webhook endpoint, content.

Each handler takes the werkzeug request (with ``request.channel`` set for bot APIs and
``request.request_id``) and returns a :class:`Reply`; errors are raised as :class:`ApiError`.
"""

import json

from . import const, ids, media, validation

QUOTABLE_TYPES = ("text", "textV2", "sticker", "image", "video")


class Reply:
    def __init__(self, body=None, status=200, headers=None, content_type=const.JSON):
        self.body = {} if body is None else body
        self.status = status
        self.headers = headers or {}
        self.content_type = content_type


class ApiError(Exception):
    def __init__(self, status, message=None, details=None, body=None, headers=None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.body = body if body is not None else {"message": message}
        if details:
            self.body["details"] = details


def oauth_error(error, description):
    return ApiError(400, body={"error": error, "error_description": description})


def json_body(request):
    raw = request.get_data()
    if len(raw) > const.MAX_REQUEST_BODY:
        raise ApiError(413, const.ERR_BODY_TOO_LARGE)
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        line, column = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise ApiError(400, const.ERR_BAD_JSON % (line, column)) from exc
    if not isinstance(body, dict):  # every body of LINE's API is an object
        raise ApiError(400, body=validation.error_body([{"message": const.DETAIL_INVALID}]))
    return body


def refuse_invalid(request, body, details=()):
    """400 with LINE's details for what the emulator found (``details``) and what LINE's OpenAPI schema
    of the operation finds besides."""
    details = [*details, *validation.spec_details(request, body, details)]
    if details:
        raise ApiError(400, body=validation.error_body(details))


class LineApi:
    def __init__(self, state, deliverer):
        self.state = state
        self.deliverer = deliverer

    # -- channel access tokens (form-encoded, OAuth-shaped errors) --------------------------------

    def _client(self, request):
        form = request.form
        if form.get("grant_type") != "client_credentials":
            raise oauth_error(const.OAUTH_UNSUPPORTED_GRANT, "unsupported grant_type")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not client_id or not secret:
            raise oauth_error(const.OAUTH_INVALID_REQUEST, "client_id and client_secret are required")
        channel = self.state.channels.get(client_id)
        if not channel or channel.channel_secret != secret:
            raise oauth_error(const.OAUTH_INVALID_CLIENT, "invalid client_id or client_secret")
        return channel

    def stateless_token(self, request):
        channel = self._client(request)
        token, _record = self.state.issue_token(channel, "stateless", const.STATELESS_TOKEN_LIFETIME)
        return Reply({"token_type": "Bearer", "access_token": token, "expires_in": const.STATELESS_TOKEN_LIFETIME})

    def short_lived_token(self, request):
        channel = self._client(request)
        token, _record = self.state.issue_token(channel, "short-lived", const.SHORT_LIVED_TOKEN_LIFETIME)
        return Reply({"access_token": token, "expires_in": const.SHORT_LIVED_TOKEN_LIFETIME, "token_type": "Bearer"})

    def jwt_token(self, request):
        # Channel access tokens v2.1 need a JWT signed with a key registered in the console: the
        # emulator has no key registration, so it refuses them the way LINE refuses an unknown key.
        raise oauth_error(const.OAUTH_INVALID_CLIENT, "JWT assertions are not supported by the emulator; "
                                                      "use /oauth2/v3/token or /v2/oauth/accessToken")

    def revoke_token(self, request):
        self.state.revoke_token(request.form.get("access_token", ""))
        return Reply(b"", content_type="text/plain")

    def verify_token(self, request):
        token = request.form.get("access_token") or request.args.get("access_token", "")
        record = self.state.tokens.get(token)
        if not record or (record["expires_at"] and record["expires_at"] < self.state.now()):
            raise oauth_error(const.OAUTH_INVALID_REQUEST, "access token expired")
        expires_in = int(record["expires_at"] - self.state.now()) if record["expires_at"] else 0
        return Reply({"client_id": record["channel_id"], "expires_in": expires_in, "scope": "P CM"})

    # -- sending ------------------------------------------------------------------------------------

    def reply(self, request):
        if request.headers.get(const.RETRY_KEY_HEADER):
            raise ApiError(400, const.ERR_RETRY_KEY_NOT_ALLOWED)
        channel = request.channel
        body = json_body(request)
        details = ([] if body.get("replyToken") else [{"message": const.DETAIL_REQUIRED, "property": "replyToken"}])
        details += validation.messages_details(body.get("messages"), channel.allow_http_media)
        refuse_invalid(request, body, details)
        record = self.state.use_reply_token(channel, body["replyToken"])
        if not record:
            raise ApiError(400, const.ERR_REPLY_TOKEN)
        sent = self._send(request, channel, record["chat_id"], "reply", body["messages"], delivered=True,
                          reason=None, counted=False)
        return Reply({"sentMessages": sent})

    def push(self, request):
        channel = request.channel
        key = request.headers.get(const.RETRY_KEY_HEADER)
        if key is not None and not ids.is_uuid(key):
            raise ApiError(400, const.ERR_RETRY_KEY_INVALID)
        body = json_body(request)
        if not key:
            return Reply(self._push(request, channel, body, key))
        # The key is claimed before anything is sent, so that two requests with the same key at the
        # same time cannot both deliver: the second one waits and gets the 409.
        holder = self.state.reserve_retry_key(channel, key, request.request_id)
        if holder:
            raise ApiError(409, body={"message": const.ERR_RETRY_KEY_ACCEPTED, **(holder["response"] or {})},
                           headers={const.ACCEPTED_REQUEST_ID_HEADER: holder["request_id"]})
        try:
            response = self._push(request, channel, body, key)
        except BaseException:
            self.state.release_retry_key(channel, key, request.request_id)
            raise
        self.state.accept_retry_key(channel, key, request.request_id, response)
        return Reply(response)

    def _push(self, request, channel, body, key):
        to = body.get("to")
        details = validation.messages_details(body.get("messages"), channel.allow_http_media)
        if not to:
            details.insert(0, {"message": const.DETAIL_REQUIRED, "property": "to"})
        refuse_invalid(request, body, details)
        if not ids.is_chat_id(to):
            raise ApiError(400, const.ERR_INVALID_PROPERTY % "to")
        delivered, reason, recipients = self._audience(channel, to)
        if channel.quota is not None and channel.usage >= channel.quota:
            raise ApiError(429, const.ERR_MONTHLY_LIMIT)
        # LINE counts a push once per recipient it reaches, whatever the number of message objects;
        # in a group or room every member is a recipient (the account itself is not).
        if delivered and not self.state.consume_quota(channel, recipients):
            raise ApiError(429, const.ERR_MONTHLY_LIMIT)
        sent = self._send(request, channel, to, "push", body["messages"], delivered=delivered, reason=reason,
                          counted=bool(delivered and recipients), retry_key=key,
                          recipients=recipients if delivered else 0)
        return {"sentMessages": sent}

    def _audience(self, channel, to):
        """Whom a push reaches: (delivered, reason, number of recipients counted in the quota)."""
        if to.startswith("U"):
            if not self.state.visible_user(channel, to):
                # Unknown user IDs and IDs of another provider are refused alike.
                raise ApiError(400, const.ERR_FAILED_TO_SEND)
            delivered, reason = self.state.push_audience(channel, to)
            return delivered, reason, 1
        members = self.state.group_members(channel.channel_id, to)
        if members is None:
            raise ApiError(400, const.ERR_FAILED_TO_SEND)
        return True, None, len(members)

    def _send(self, request, channel, to, kind, messages, delivered, reason, counted, retry_key=None,
              recipients=0):
        """Record what the bot sent, fetch its media as LINE would, show it on the phone."""
        sent = []
        for message in messages:
            item = {"id": ids.message_id()}
            if message.get("type") in QUOTABLE_TYPES:
                item["quoteToken"] = ids.token(16)
            sent.append(item)
        fetches = [media.fetch(message[field]) for message in messages
                   for field in const.MEDIA_URL_FIELDS.get(message.get("type"), ()) if message.get(field)]
        self.state.log("sent", {
            "channel_id": channel.channel_id, "to": to, "user_id": to if to.startswith("U") else None,
            "kind": kind, "messages": messages, "retry_key": retry_key, "request_id": request.request_id,
            "delivered": delivered, "reason": reason, "free": kind == "reply", "counted": counted,
            "recipients": recipients,
            "sent_messages": sent, "media_fetches": fetches, "timestamp": int(self.state.now() * 1000)})
        if delivered:
            for message, item in zip(messages, sent, strict=False):
                self.state.add_chat(channel.channel_id, to, {
                    "direction": "bot", "kind": kind, "message_id": item["id"], "message": message,
                    "request_id": request.request_id})
        return sent

    def validate(self, request):
        """``/v2/bot/message/validate/{push,reply}``: the same checks, nothing sent."""
        body = json_body(request)
        refuse_invalid(request, body, validation.messages_details(body.get("messages"),
                                                                  request.channel.allow_http_media))
        return Reply({})

    # -- users, bot, webhook endpoint --------------------------------------------------------------------

    def profile(self, request, user_id):
        channel = request.channel
        user = self.state.visible_user(channel, user_id)
        if not user or self.state.friendship(channel.channel_id, user_id)["state"] != "friend":
            raise ApiError(404, const.ERR_NOT_FOUND)
        return Reply(user.profile())

    def member_profile(self, request, chat_id, user_id):
        channel = request.channel
        user = self.state.visible_user(channel, user_id)
        members = self.state.group_members(channel.channel_id, chat_id)
        if not user or members is None or user_id not in members:
            raise ApiError(404, const.ERR_NOT_FOUND)
        return Reply({k: v for k, v in user.profile().items() if k != "statusMessage" and k != "language"})

    def bot_info(self, request):
        channel = request.channel
        info = {"userId": channel.bot_user_id, "basicId": channel.basic_id, "premiumId": channel.premium_id,
                "displayName": channel.display_name,
                "pictureUrl": channel.picture_url or self.state.avatar_url(channel.bot_user_id),
                "chatMode": channel.chat_mode,
                "markAsReadMode": "auto" if channel.chat_mode == "bot" else channel.mark_as_read_mode}
        return Reply({k: v for k, v in info.items() if v is not None})

    def get_webhook_endpoint(self, request):
        channel = request.channel
        if not channel.webhook_url:
            raise ApiError(404, const.ERR_NOT_FOUND)
        return Reply({"endpoint": channel.webhook_url, "active": bool(channel.webhook_active)})

    def set_webhook_endpoint(self, request):
        body = json_body(request)
        endpoint = body.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            details = [{"message": const.DETAIL_REQUIRED if not endpoint else const.DETAIL_INVALID,
                        "property": "endpoint"}]
            raise ApiError(400, body=validation.error_body(details))
        refuse_invalid(request, body)
        self.state.update_channel(request.channel.channel_id, webhook_url=endpoint)
        return Reply({})

    def test_webhook_endpoint(self, request):
        body = json_body(request)
        refuse_invalid(request, body)
        channel = request.channel
        url = body.get("endpoint") or channel.webhook_url
        if not url:
            raise ApiError(400, "The webhook endpoint is not set")
        return Reply(self.deliverer.test_endpoint(channel, url))

    def quota(self, request):
        channel = request.channel
        if channel.quota is None:
            return Reply({"type": const.QUOTA_NONE})
        return Reply({"type": const.QUOTA_LIMITED, "value": channel.quota})

    def quota_consumption(self, request):
        return Reply({"totalUsage": request.channel.usage})

    # -- chat -----------------------------------------------------------------------------------------

    def loading(self, request):
        body = json_body(request)
        chat_id, seconds = body.get("chatId"), body.get("loadingSeconds", 20)
        details = []
        if not chat_id or not str(chat_id).startswith("U"):
            details.append({"message": const.DETAIL_INVALID, "property": "chatId"})
        if not isinstance(seconds, int) or seconds % 5 or not (
                const.LOADING_SECONDS_MIN <= seconds <= const.LOADING_SECONDS_MAX):
            details.append({"message": "Must be a multiple of 5 between 5 and 60", "property": "loadingSeconds"})
        refuse_invalid(request, body, details)
        if not self.state.visible_user(request.channel, chat_id):
            raise ApiError(400, const.ERR_INVALID_PROPERTY % "chatId")
        self.state.log("loading", {"channel_id": request.channel.channel_id, "chat_id": chat_id,
                                   "seconds": seconds, "until": self.state.now() + seconds})
        return Reply({}, status=202)

    def mark_as_read_by_token(self, request):
        body = json_body(request)
        refuse_invalid(request, body)
        record = self.state.read_tokens.get(body.get("markAsReadToken") or "")
        if not record or record["channel_id"] != request.channel.channel_id:
            raise ApiError(400, const.ERR_INVALID_TOKEN_KIND)
        self.state.mark_read_until(record["channel_id"], record["chat_id"], record["message_id"])
        return Reply({})

    def mark_as_read_by_chat(self, request):
        body = json_body(request)
        refuse_invalid(request, body)
        chat_id = (body.get("chat") or {}).get("userId")
        if not chat_id or not self.state.visible_user(request.channel, chat_id):
            raise ApiError(400, const.ERR_INVALID_PROPERTY % "chat.userId")
        self.state.mark_read_until(request.channel.channel_id, chat_id, None)
        return Reply({})

    # -- content (api-data) --------------------------------------------------------------------------

    def _content(self, request, message_id):
        record = self.state.content(request.channel, message_id)
        if not record:
            raise ApiError(404, const.ERR_NOT_FOUND)
        if record["unsent"]:
            raise ApiError(410, const.ERR_GONE)
        return record

    def content(self, request, message_id):
        record = self._content(request, message_id)
        if not self.state.content_ready(record):
            return Reply({}, status=202)
        return Reply(record["data"], content_type=record["content_type"])

    def content_preview(self, request, message_id):
        record = self._content(request, message_id)
        if record["type"] not in ("image", "video"):
            raise ApiError(404, const.ERR_NOT_FOUND)
        if record["type"] == "video" and not self.state.content_ready(record, poll=False):
            return Reply({}, status=202)
        data = record["preview"] or (record["data"] if record["type"] == "image" else media.placeholder_preview())
        return Reply(data, content_type=media.sniff(data, "image"))

    def transcoding(self, request, message_id):
        record = self._content(request, message_id)
        if record["type"] not in const.TRANSCODED_TYPES:
            raise ApiError(400, "The content is not a video or audio")
        if record["failed"]:
            return Reply({"status": "failed"})
        return Reply({"status": "succeeded" if self.state.content_ready(record) else "processing"})

    # -- account link -----------------------------------------------------------------------------

    def issue_link_token(self, request, user_id):
        """``POST /v2/bot/user/{userId}/linkToken``: for a friend of the account only (LINE's rule);
        the token lives 10 minutes and opens the account-link dialog once (``accountlink.py``)."""
        channel = request.channel
        if not self.state.visible_user(channel, user_id):
            raise ApiError(400, const.ERR_LINK_USER)
        if self.state.friendship(channel.channel_id, user_id)["state"] != "friend":
            raise ApiError(400, const.ERR_LINK_NOT_FRIEND)
        return Reply({"linkToken": self.state.issue_link_token(channel, user_id)})
