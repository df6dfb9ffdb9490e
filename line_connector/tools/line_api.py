"""The one module that talks to LINE: a thin adapter over line-bot-sdk v3.

It imports nothing from Odoo, so it can be tested on its own against any HTTP server
that plays LINE. The rest of the addon speaks this module's small vocabulary
(``bot_info``, ``push``, ``reply``, ``download_content``...) and handles its typed
errors; it never sees line-bot-sdk's generated classes.

Every call has an explicit timeout (line-bot-sdk has none by default) and urllib3's
own retries are disabled: retrying is the caller's decision, with LINE's retry key.
"""

import json
import logging
import os
import threading
import time
import uuid

import urllib3
from linebot.v3 import messaging, oauth
from linebot.v3.messaging import exceptions as messaging_exceptions
from linebot.v3.oauth import exceptions as oauth_exceptions

_logger = logging.getLogger(__name__)

STATELESS_TOKEN_LIFETIME = 15 * 60
QUOTA_EXCEEDED_TEXT = "monthly limit"
CONTENT_CHUNK = 64 * 1024
REQUEST_ID_HEADER = "x-line-request-id"
ACCEPTED_REQUEST_ID_HEADER = "x-line-accepted-request-id"
# Seconds a kept connection to LINE may stay unused and still be used again: well under the
# minute after which servers commonly close idle keep-alive connections, so that a request is
# not sent on a connection the server is closing (that would look like a lost answer).
KEPT_CLIENT_IDLE = 10


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

class LineError(Exception):
    """A call to LINE failed. ``retryable`` tells whether the same call may succeed later."""

    retryable = False

    def __init__(self, message, status=None, details=None, request_id=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or []
        self.request_id = request_id

    def __str__(self):
        text = self.message
        if self.details:
            text += " (" + "; ".join(
                f"{d.get('property')}: {d.get('message')}" if d.get("property") else str(d.get("message"))
                for d in self.details
            ) + ")"
        return text


class LineAuthError(LineError):
    """Wrong Channel ID / secret, or an access token LINE does not accept (401)."""


class LineForbiddenError(LineError):
    """The channel may not use this endpoint (403), e.g. a feature of a paid plan."""


class LineInvalidRequestError(LineError):
    """LINE rejected the request (400); ``details`` holds LINE's per-property reasons."""


class LineNotFoundError(LineError):
    """The object does not exist at LINE, or is not visible to this channel (404)."""


class LineConflictError(LineError):
    """A request with this retry key was already accepted (409)."""

    def __init__(self, message, accepted_request_id=None, sent_messages=None, **kw):
        super().__init__(message, **kw)
        self.accepted_request_id = accepted_request_id
        self.sent_messages = sent_messages or []


class LineGoneError(LineError):
    """The content is gone (410), e.g. the user unsent the message."""


class LineRateLimitError(LineError):
    """Too many requests (429): retry later with backoff."""

    retryable = True


class LineQuotaError(LineError):
    """The monthly message quota is spent (429 "You have reached your monthly limit.")."""


class LineServerError(LineError):
    """LINE failed (5xx): retry later."""

    retryable = True


class LineNetworkError(LineError):
    """LINE could not be reached or did not answer in time.

    ``maybe_delivered`` is True when the request was sent and the answer lost (a read
    timeout, a dropped connection): LINE may have acted on it.
    """

    retryable = True

    def __init__(self, message, maybe_delivered=True, **kw):
        super().__init__(message, **kw)
        self.maybe_delivered = maybe_delivered


# ---------------------------------------------------------------------------
# Token cache: stateless tokens are issued per channel and kept in this process's
# memory only, until shortly before they expire. They are never stored in the database.
# ---------------------------------------------------------------------------

_token_cache = {}
_token_lock = threading.Lock()
_picture_pool = urllib3.PoolManager(maxsize=4)


def clear_token_cache():
    with _token_lock:
        _token_cache.clear()


# ---------------------------------------------------------------------------
# Kept connections: the SDK's client (and its urllib3 pool) per host and token, kept in this
# process while it is in use, so that calls in a row reuse one connection (one TCP and TLS
# handshake instead of one per call) and the SDK's configuration is built once (building one
# sets its loggers' levels, which clears the cache of every logger of the process).
# ---------------------------------------------------------------------------

_clients = {}  # (host, token) -> [messaging.ApiClient, time last used]
_clients_lock = threading.Lock()
# A forked process (Odoo's prefork workers) must not share its parent's sockets.
os.register_at_fork(after_in_child=_clients.clear)


def _kept_client(host, token, configure):
    """The kept client for ``host`` and ``token`` (``configure()`` makes a new configuration)."""
    now = time.monotonic()
    with _clients_lock:
        for key, (_client, used) in list(_clients.items()):
            if now - used >= KEPT_CLIENT_IDLE:
                del _clients[key]  # its connections close with it
        entry = _clients.get((host, token))
        if entry is None:
            entry = _clients[(host, token)] = [messaging.ApiClient(configure()), now]
        entry[1] = now
        return entry[0]


def _decode_body(body):
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return {"message": body}


def _header(headers, name):
    if not headers:
        return None
    # urllib3's HTTPHeaderDict is case-insensitive; a plain dict may not be.
    value = headers.get(name)
    if value is None:
        for key, val in headers.items():
            if key.lower() == name:
                return val
    return value


def _error_from_api_exception(exc):
    """Map line-bot-sdk's ApiException (any status) to one of our typed errors."""
    status = exc.status
    body = _decode_body(exc.body)
    headers = exc.headers
    request_id = _header(headers, REQUEST_ID_HEADER)
    # OAuth endpoints answer {"error": ..., "error_description": ...}.
    message = body.get("message") or body.get("error_description") or body.get("error") or exc.reason or ""
    kw = {"status": status, "details": body.get("details"), "request_id": request_id}
    if status == 401 or body.get("error") in ("invalid_client", "invalid_grant"):
        return LineAuthError(message or "Authentication failed", **kw)
    if status == 403:
        return LineForbiddenError(message, **kw)
    if status == 404:
        return LineNotFoundError(message or "Not found", **kw)
    if status == 409:
        return LineConflictError(
            message, accepted_request_id=_header(headers, ACCEPTED_REQUEST_ID_HEADER),
            sent_messages=body.get("sentMessages"), **kw)
    if status == 410:
        return LineGoneError(message or "Gone", **kw)
    if status == 429:
        if QUOTA_EXCEEDED_TEXT in message.lower():
            return LineQuotaError(message, **kw)
        return LineRateLimitError(message or "Too many requests", **kw)
    if status and 500 <= status <= 599:
        return LineServerError(message or f"LINE server error {status}", **kw)
    if status == 0:
        return LineNetworkError(message or "Could not connect to LINE", **kw)
    return LineInvalidRequestError(message or f"LINE rejected the request ({status})", **kw)


_API_EXCEPTIONS = (messaging_exceptions.ApiException, oauth_exceptions.ApiException)


class _Call:
    """Context manager that turns the SDK's and urllib3's exceptions into ours."""

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, _API_EXCEPTIONS):
            raise _error_from_api_exception(exc) from exc
        if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
            reason = getattr(exc, "reason", None) or exc
            not_sent = isinstance(reason, (urllib3.exceptions.NewConnectionError,
                                           urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError))
            raise LineNetworkError(f"LINE did not answer ({self.what}): {reason.__class__.__name__}",
                                   maybe_delivered=not not_sent) from exc
        return False


def _to_dict(model):
    return model.to_dict() if model is not None else {}


# ---------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------

class LineClient:
    """Talks to one LINE Messaging API channel.

    :param channel_id: the channel's ID (used to issue stateless tokens)
    :param channel_secret: the channel's secret
    :param access_token: a long-lived token from the LINE Developers Console, if any;
        without one, stateless tokens are issued from ID + secret and cached
    :param api_url: base URL of api.line.me (or of an emulator)
    :param data_url: base URL of api-data.line.me (or of an emulator)
    :param timeout: (connect, read) seconds for every call
    """

    def __init__(self, channel_id, channel_secret, access_token=None,
                 api_url="https://api.line.me", data_url="https://api-data.line.me",
                 timeout=(3.05, 10), content_timeout=(3.05, 30), token_margin=60):
        self.channel_id = channel_id
        self.channel_secret = channel_secret
        self.access_token = access_token
        self.api_url = api_url.rstrip("/")
        self.data_url = data_url.rstrip("/")
        self.timeout = timeout
        self.content_timeout = content_timeout
        self.token_margin = token_margin

    # -- tokens -------------------------------------------------------------

    def _configuration(self, host, token=None):
        config = messaging.Configuration(host=host, access_token=token or "-")
        # No hidden retries: a retried POST must carry the same retry key, which is our job.
        config.retries = urllib3.Retry(total=0, redirect=0, raise_on_status=False)
        return config

    def issue_stateless_token(self):
        """Issue a stateless channel access token (15 minutes) from Channel ID + secret.

        :return: (token, expires_in seconds)
        :raise LineAuthError: when LINE does not accept the ID/secret pair
        """
        config = oauth.Configuration(host=self.api_url)
        config.retries = urllib3.Retry(total=0, redirect=0, raise_on_status=False)
        with oauth.ApiClient(config) as client, _Call("issue token"):
            response = oauth.ChannelAccessToken(client).issue_stateless_channel_token_by_client_secret(
                client_id=str(self.channel_id), client_secret=self.channel_secret,
                _request_timeout=self.timeout)
        return response.access_token, response.expires_in or STATELESS_TOKEN_LIFETIME

    def token(self):
        """The token to call LINE with: the long-lived one, or a cached stateless one."""
        if self.access_token:
            return self.access_token
        key = (self.api_url, str(self.channel_id), self.channel_secret)
        now = time.monotonic()
        with _token_lock:
            cached = _token_cache.get(key)
            if cached and cached[1] > now:
                return cached[0]
        token, expires_in = self.issue_stateless_token()
        # Renewed ``token_margin`` seconds before LINE's expiry; a token that expires sooner
        # than that is used for this call only.
        fresh_for = expires_in - self.token_margin
        if fresh_for > 0:
            with _token_lock:
                _token_cache[key] = (token, now + fresh_for)
        return token

    def forget_token(self, token=None):
        """Drop the cached token (only if it is still ``token``, when given)."""
        key = (self.api_url, str(self.channel_id), self.channel_secret)
        with _token_lock:
            cached = _token_cache.get(key)
            if cached and (token is None or cached[0] == token):
                del _token_cache[key]

    def _call(self, what, call, data=False):
        """Run ``call(api_client)`` against the API (or content) host and raise our errors.

        A stateless token LINE accepted may be refused before its expiry (LINE restarted or
        revoked it; the emulator forgets its tokens when restarted): on that 401 the cached
        token is dropped and the call is made exactly once more with a new one. A long-lived
        token given by the admin is never replaced: its 401 is for the admin to fix.
        """
        host = self.data_url if data else self.api_url
        token = self.token()
        try:
            return self._call_with(what, call, host, token)
        except LineAuthError as error:
            if self.access_token or error.status != 401:
                raise
            _logger.info("LINE refused the cached access token of channel %s (%s, request %s): issuing a new one",
                         self.channel_id, what, error.request_id)
            self.forget_token(token)
        return self._call_with(what, call, host, self.token())

    def _call_with(self, what, call, host, token):
        client = _kept_client(host, token, lambda: self._configuration(host, token))
        with _Call(what):
            return call(client)

    # -- channel ------------------------------------------------------------

    def bot_info(self):
        """:return: dict with userId, basicId, premiumId, displayName, pictureUrl, chatMode, markAsReadMode"""
        return self._call("bot info", lambda client: _to_dict(
            messaging.MessagingApi(client).get_bot_info(_request_timeout=self.timeout)))

    def get_webhook_endpoint(self):
        """:return: dict(endpoint, active), or None when no endpoint is set at LINE"""
        try:
            info = self._call("get webhook endpoint", lambda client: messaging.MessagingApi(
                client).get_webhook_endpoint(_request_timeout=self.timeout))
        except LineNotFoundError:
            return None
        return _to_dict(info)

    def set_webhook_endpoint(self, url):
        self._call("set webhook endpoint", lambda client: messaging.MessagingApi(client).set_webhook_endpoint(
            messaging.SetWebhookEndpointRequest(endpoint=url), _request_timeout=self.timeout))

    def test_webhook_endpoint(self, url=None):
        """Ask LINE to send an empty, signed webhook to the endpoint.

        :return: dict(success, timestamp, statusCode, reason, detail)
        """
        request = messaging.TestWebhookEndpointRequest(endpoint=url) if url else None
        return self._call("test webhook endpoint", lambda client: _to_dict(
            messaging.MessagingApi(client).test_webhook_endpoint(
                request, _request_timeout=(self.timeout[0], self.timeout[1] + 10))))

    def quota(self):
        """:return: dict(type='none'|'limited', value=int|None, used=int)"""
        def call(client):
            api = messaging.MessagingApi(client)
            return (api.get_message_quota(_request_timeout=self.timeout),
                    api.get_message_quota_consumption(_request_timeout=self.timeout))

        quota, used = self._call("quota", call)
        return {"type": quota.type.value if hasattr(quota.type, "value") else quota.type,
                "value": quota.value, "used": used.total_usage}

    def profile(self, user_id, group_id=None, room_id=None):
        """A user's profile; in a group or room chat, the member profile LINE gives there.

        :return: dict(userId, displayName, pictureUrl, statusMessage, language)
        :raise LineNotFoundError: the user is not a friend, blocked the account, or gave no consent
        """
        def call(client):
            api = messaging.MessagingApi(client)
            if group_id:
                return api.get_group_member_profile(group_id, user_id, _request_timeout=self.timeout)
            if room_id:
                return api.get_room_member_profile(room_id, user_id, _request_timeout=self.timeout)
            return api.get_profile(user_id, _request_timeout=self.timeout)

        return _to_dict(self._call("profile", call))

    def fetch_picture(self, url, max_bytes=5 * 1024 * 1024):
        """Download a public picture (a profile picture on LINE's CDN); None when it cannot be had."""
        try:
            response = _picture_pool.request("GET", url, preload_content=False, timeout=urllib3.Timeout(
                connect=self.timeout[0], read=self.timeout[1]), retries=False)
        except (urllib3.exceptions.HTTPError, OSError, ValueError):
            return None
        try:
            if response.status != 200:
                return None
            data = b""
            for chunk in response.stream(CONTENT_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    return None
            return data
        finally:
            response.release_conn()

    # -- content --------------------------------------------------------------

    def download_content(self, message_id, fileobj, max_bytes=200 * 1024 * 1024, preview=False):
        """Stream a user's image/video/audio/file to ``fileobj`` without holding it in memory.

        :return: dict(content_type, size) or None while LINE is still preparing the
            content (202: video and audio are transcoded before they can be downloaded)
        :raise LineGoneError: the user unsent the message
        :raise LineInvalidRequestError: the content is larger than ``max_bytes``
        """
        path = f"/v2/bot/message/{message_id}/content" + ("/preview" if preview else "")

        def call(client):
            # The SDK reads whole bodies into memory; its REST client streams when asked to.
            response = client.rest_client.request(
                "GET", self.data_url + path,
                headers={"Authorization": f"Bearer {client.configuration.access_token}"},
                _preload_content=False, _request_timeout=self.content_timeout)
            try:
                if response.status == 202:
                    return None
                size = 0
                for chunk in response.stream(CONTENT_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise LineInvalidRequestError(
                            f"Content of message {message_id} is larger than {max_bytes} bytes", status=413)
                    fileobj.write(chunk)
                return {"content_type": response.headers.get("Content-Type"), "size": size,
                        "request_id": response.headers.get(REQUEST_ID_HEADER)}
            finally:
                response.release_conn()

        return self._call("download content", call, data=True)

    # -- sending --------------------------------------------------------------

    @staticmethod
    def _messages(messages):
        return [messaging.Message.from_dict(m) for m in messages]

    @staticmethod
    def _sent(response):
        data = response.data
        return {
            "sent_messages": [_to_dict(m) for m in (data.sent_messages or [])] if data else [],
            "request_id": _header(response.headers, REQUEST_ID_HEADER),
        }

    def reply(self, reply_token, messages):
        """Reply with a reply token (free, single use, about one minute after the event).

        :param messages: list of LINE message objects as dicts (at most 5)
        :return: dict(sent_messages, request_id)
        """
        request = messaging.ReplyMessageRequest(reply_token=reply_token, messages=self._messages(messages))
        return self._sent(self._call("reply", lambda client: messaging.MessagingApi(
            client).reply_message_with_http_info(request, _request_timeout=self.timeout)))

    def push(self, to, messages, retry_key=None):
        """Push messages (counted against the monthly quota).

        ``retry_key`` (a UUID, generated before the first attempt) makes the call
        idempotent for 24 hours: LINE answers 409 to a resend of an accepted request,
        which is reported here as success with ``already_accepted``.

        :return: dict(sent_messages, request_id, retry_key, already_accepted)
        """
        retry_key = retry_key or str(uuid.uuid4())
        request = messaging.PushMessageRequest(to=to, messages=self._messages(messages))
        try:
            response = self._call("push", lambda client: messaging.MessagingApi(client).push_message_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self.timeout))
        except LineConflictError as conflict:
            return {"sent_messages": conflict.sent_messages, "request_id": conflict.accepted_request_id,
                    "retry_key": retry_key, "already_accepted": True}
        return dict(self._sent(response), retry_key=retry_key, already_accepted=False)

    def show_loading(self, chat_id, seconds=20):
        """Show the loading animation to a user (1:1 chats only)."""
        self._call("loading indicator", lambda client: messaging.MessagingApi(client).show_loading_animation(
            messaging.ShowLoadingAnimationRequest(chat_id=chat_id, loading_seconds=seconds),
            _request_timeout=self.timeout))

    def mark_as_read(self, mark_as_read_token):
        """Mark a user's message, and all before it, as read (meaningful with Chat on)."""
        self._call("mark as read", lambda client: messaging.MessagingApi(client).mark_messages_as_read_by_token(
            messaging.MarkMessagesAsReadByTokenRequest(mark_as_read_token=mark_as_read_token),
            _request_timeout=self.timeout))

    # -- account link ---------------------------------------------------------------------------

    def issue_link_token(self, user_id):
        """A link token for the account link of ``user_id`` (valid 10 minutes, single use at LINE).

        :raise LineInvalidRequestError: the user is not a friend of the account
        """
        return self._call("link token", lambda client: messaging.MessagingApi(client).issue_link_token(
            user_id, _request_timeout=self.timeout)).link_token
