"""The emulator's WSGI application: LINE's API, the control API and the phone page, on one port."""

import json
import logging
import pathlib
import socket
import threading
import time
from dataclasses import dataclass

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from . import accountlink, const, ids, media, openapi
from .api import ApiError, LineApi, Reply
from .control import Control
from .delivery import Deliverer
from .faults import Faults
from .openapi import OpenApi, StrictMode
from .simulator import Simulator
from .state import EmulatorError, State

_logger = logging.getLogger(__name__)
STATIC = pathlib.Path(__file__).parent / "static"
CALL_LOG_HEADERS = ("X-Line-Retry-Key", "Content-Type")


@dataclass(frozen=True)
class LineRoute:
    path: str
    methods: tuple
    name: str  # the endpoint name used by faults, rate limits and the call log
    handler: str
    auth: bool = True


LINE_ROUTES = (
    LineRoute("/oauth2/v3/token", ("POST",), "token", "stateless_token", auth=False),
    LineRoute("/v2/oauth/accessToken", ("POST",), "accessToken", "short_lived_token", auth=False),
    LineRoute("/oauth2/v2.1/token", ("POST",), "jwtToken", "jwt_token", auth=False),
    LineRoute("/v2/oauth/revoke", ("POST",), "revoke", "revoke_token", auth=False),
    LineRoute("/v2/oauth/verify", ("POST",), "verify", "verify_token", auth=False),
    LineRoute("/oauth2/v2.1/verify", ("GET",), "verify", "verify_token", auth=False),
    LineRoute("/v2/bot/message/reply", ("POST",), "reply", "reply"),
    LineRoute("/v2/bot/message/push", ("POST",), "push", "push"),
    LineRoute("/v2/bot/message/validate/push", ("POST",), "validate", "validate"),
    LineRoute("/v2/bot/message/validate/reply", ("POST",), "validate", "validate"),
    LineRoute("/v2/bot/profile/<user_id>", ("GET",), "profile", "profile"),
    LineRoute("/v2/bot/group/<chat_id>/member/<user_id>", ("GET",), "memberProfile", "member_profile"),
    LineRoute("/v2/bot/room/<chat_id>/member/<user_id>", ("GET",), "memberProfile", "member_profile"),
    LineRoute("/v2/bot/info", ("GET",), "info", "bot_info"),
    LineRoute("/v2/bot/channel/webhook/endpoint", ("GET",), "webhookEndpoint", "get_webhook_endpoint"),
    LineRoute("/v2/bot/channel/webhook/endpoint", ("PUT",), "webhookEndpoint", "set_webhook_endpoint"),
    LineRoute("/v2/bot/channel/webhook/test", ("POST",), "webhookTest", "test_webhook_endpoint"),
    LineRoute("/v2/bot/message/quota", ("GET",), "quota", "quota"),
    LineRoute("/v2/bot/message/quota/consumption", ("GET",), "quotaConsumption", "quota_consumption"),
    LineRoute("/v2/bot/chat/loading/start", ("POST",), "loading", "loading"),
    LineRoute("/v2/bot/chat/markAsRead", ("POST",), "markAsRead", "mark_as_read_by_token"),
    LineRoute("/v2/bot/message/markAsRead", ("POST",), "markAsRead", "mark_as_read_by_chat"),
    LineRoute("/v2/bot/message/<message_id>/content", ("GET",), "content", "content"),
    LineRoute("/v2/bot/message/<message_id>/content/preview", ("GET",), "contentPreview", "content_preview"),
    LineRoute("/v2/bot/message/<message_id>/content/transcoding", ("GET",), "transcoding", "transcoding"),
    LineRoute("/v2/bot/user/<user_id>/linkToken", ("POST",), "linkToken", "issue_link_token"),
)

P = const.CONTROL_PREFIX
CONTROL_ROUTES = (
    (f"{P}", ("GET",), "info"),
    (f"{P}/reset", ("POST",), "reset"),
    (f"{P}/clock", ("GET",), "clock"),
    (f"{P}/clock", ("POST",), "advance_clock"),
    (f"{P}/channels", ("GET",), "channels"),
    (f"{P}/channels", ("POST",), "create_channel"),
    (f"{P}/channels/<channel_id>", ("GET",), "get_channel"),
    (f"{P}/channels/<channel_id>", ("PATCH", "POST"), "update_channel"),
    (f"{P}/channels/<channel_id>/tokens", ("POST",), "issue_long_lived_token"),
    (f"{P}/channels/<channel_id>/replace", ("POST",), "replace_channel"),
    (f"{P}/channels/<channel_id>/quota", ("GET",), "quota"),
    (f"{P}/channels/<channel_id>/quota/reset", ("POST",), "reset_quota"),
    (f"{P}/channels/<channel_id>/reply_tokens/expire", ("POST",), "expire_reply_tokens"),
    (f"{P}/channels/<channel_id>/users/<user_id>/<action>", ("POST",), "act"),
    (f"{P}/channels/<channel_id>/groups/<action>", ("POST",), "group_act"),
    (f"{P}/channels/<channel_id>/events/build", ("POST",), "build_event"),
    (f"{P}/channels/<channel_id>/deliver", ("POST",), "deliver"),
    (f"{P}/channels/<channel_id>/chats/<chat_id>", ("GET",), "chat"),
    (f"{P}/users", ("GET",), "users"),
    (f"{P}/users", ("POST",), "create_user"),
    (f"{P}/users/<user_id>", ("GET",), "get_user"),
    (f"{P}/users/<user_id>", ("PATCH", "POST"), "update_user"),
    (f"{P}/users/<user_id>/under/<provider_id>", ("GET", "POST"), "user_under"),
    (f"{P}/avatars/<user_id>.png", ("GET",), "avatar"),
    (f"{P}/content/<message_id>", ("GET",), "content"),
    (f"{P}/sent", ("GET",), "sent"),
    (f"{P}/deliveries", ("GET",), "deliveries"),
    (f"{P}/calls", ("GET",), "calls"),
    (f"{P}/faults", ("GET",), "faults_list"),
    (f"{P}/faults", ("POST",), "add_fault"),
    (f"{P}/faults", ("DELETE",), "clear_faults"),
    (f"{P}/rate_limits", ("POST",), "set_rate_limit"),
    (f"{P}/limits", ("GET",), "limits"),
    (f"{P}/limits", ("PATCH", "POST"), "set_limits"),
)


def _json_response(body, status=200, headers=None):
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type=const.JSON + "; charset=utf-8")


def _reply_response(reply):
    if isinstance(reply.body, media.GeneratedContent):  # streamed as it is made, with its length
        headers = dict(reply.headers or {}, **{"Content-Length": str(len(reply.body))})
        return Response(reply.body.chunks(), status=reply.status, headers=headers, content_type=reply.content_type,
                        direct_passthrough=True)
    if isinstance(reply.body, bytes):
        return Response(reply.body, status=reply.status, headers=reply.headers, content_type=reply.content_type)
    return _json_response(reply.body, reply.status, reply.headers)


class Dropped(ConnectionAbortedError):
    """Raised after closing the client's socket: werkzeug's server then drops the request quietly."""


class EmulatorApp:
    """The WSGI application. ``state``, ``faults``, ``deliverer`` are public for in-process use."""

    def __init__(self, state=None, limits=None, strict_openapi=False, openapi_dir=None):
        """:param limits: how much the emulator keeps (``const.DEFAULT_LIMITS``: logs, records, chat)
        :param strict_openapi: check every LINE API call and webhook body against LINE's OpenAPI files
            (``openapi_dir``, else ``openapi.spec_dir()``) and record what breaks them (``self.strict``)
        """
        self.state = state or State(limits=limits)
        self.strict = StrictMode(OpenApi(openapi_dir)) if strict_openapi else None
        self.stopping = threading.Event()
        self.faults = Faults(default_limits={
            r.name: const.RATE_LIMITS.get(r.name, const.RATE_LIMIT_DEFAULT) for r in LINE_ROUTES if r.auth},
            clock=self.state.now)
        self.deliverer = Deliverer(self.state)
        self.deliverer.strict = self.strict
        self.simulator = Simulator(self.state, self.deliverer)
        self.api = LineApi(self.state, self.deliverer)
        self.control = Control(self.state, self.deliverer, self.simulator, self.faults)
        rules = [Rule(r.path, methods=r.methods, endpoint=("line", r)) for r in LINE_ROUTES]
        rules += [Rule(path, methods=methods, endpoint=("control", name)) for path, methods, name in CONTROL_ROUTES]
        rules += [Rule(f"{P}/openapi", methods=("GET",), endpoint=("openapi", None))]
        rules += [Rule("/", endpoint=("page", "phone.html")), Rule("/phone", endpoint=("page", "phone.html")),
                  Rule("/static/<path:filename>", endpoint=("static", None)),
                  Rule(const.ACCOUNT_LINK_PATH, methods=("GET",), endpoint=("dialog", None))]
        self.url_map = Map(rules, strict_slashes=False)

    def stop(self):
        self.stopping.set()
        self.deliverer.stop()

    def __call__(self, environ, start_response):
        request = Request(environ)
        request.request_id = ids.request_id()
        response = self.dispatch(request)
        response.headers[const.REQUEST_ID_HEADER] = request.request_id
        return response(environ, start_response)

    def dispatch(self, request):
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            (kind, target), kwargs = adapter.match()
        except HTTPException as exc:
            if request.path.startswith(P):
                return _json_response({"error": exc.description}, exc.code or 404)
            return _json_response({"message": const.ERR_NOT_FOUND}, exc.code or 404)
        if kind == "line":
            return self.line_call(request, target, kwargs)
        if kind == "control":
            return self.control_call(request, target, kwargs)
        if kind == "openapi":
            return self.openapi_violations(request)
        if kind == "dialog":
            return accountlink.dialog(self, request)
        return self.static(request, target or kwargs["filename"])

    # -- LINE's API ---------------------------------------------------------------------------------------

    def line_call(self, request, route, kwargs):
        fault = self.faults.pick(route.name)
        if fault and not fault["after"]:
            early = self._fault_before(request, fault)
            if early is not None:
                self._log_call(request, route, None, early.status_code)
                self._check_call(request, route, early)
                return early
        started = time.monotonic()
        channel = None
        try:
            if route.auth:
                channel = self._authenticate(request)
                request.channel = channel
            if self.faults.over_limit(route.name, channel.channel_id if channel else None):
                raise ApiError(429, const.ERR_TOO_MANY)
            reply = getattr(self.api, route.handler)(request, **kwargs)
        except ApiError as exc:
            reply = Reply(exc.body, exc.status, exc.headers)
        except EmulatorError as exc:
            reply = Reply({"message": exc.message}, exc.status)
        except Exception as exc:  # a bug of the emulator: answered as LINE answers its own failures
            _logger.exception("The emulator failed on %s %s", request.method, request.path)
            if self.strict is not None:
                self.strict.record_crash(request.method, request.path, route.name, exc)
            reply = Reply({"message": const.ERR_INTERNAL}, 500)
        response = _reply_response(reply)
        self._log_call(request, route, channel, response.status_code, reply, time.monotonic() - started)
        self._check_call(request, route, response)
        if fault and fault["after"]:
            self._fault_after(request, fault)
        return response

    def _authenticate(self, request):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        channel = self.state.channel_for_token(token)
        if not channel:
            raise ApiError(401, const.ERR_AUTH)
        return channel

    def _fault_before(self, request, fault):
        kind = fault["kind"]
        if kind.isdigit():
            message = const.ERR_TOO_MANY if kind == "429" else const.ERR_INTERNAL
            return _json_response({"message": message}, int(kind))
        if kind == "drop":
            self._drop(request, fault["delay"])
        self.stopping.wait(fault["delay"])
        return None

    def _fault_after(self, request, fault):
        if fault["kind"] == "drop":
            self._drop(request, fault["delay"])
        self.stopping.wait(fault["delay"])

    def _drop(self, request, delay):
        """Close the connection without an answer (after ``delay`` seconds)."""
        self.stopping.wait(delay)
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        raise Dropped("connection dropped by a fault")

    def _check_call(self, request, route, response):
        if self.strict is None:
            return
        body = request.form.to_dict() if request.mimetype in openapi.FORM_TYPES else request.get_data()
        # A streamed content is checked by its type only: reading it here would send nothing.
        answer = b"" if response.is_streamed else response.get_data()
        self.strict.check_call(request.method, route.path, request.content_type, body, response.status_code,
                               response.content_type, answer, endpoint=route.name, url_path=request.path)

    def _log_call(self, request, route, channel, status, reply=None, elapsed=0.0):
        body = None
        if request.mimetype == const.JSON:
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError:
                body = request.get_data(as_text=True)
        self.state.log("calls", {
            "endpoint": route.name, "method": request.method, "path": request.path,
            "channel_id": channel.channel_id if channel else None, "status": status,
            "request_id": request.request_id, "body": body,
            "headers": {h: request.headers[h] for h in CALL_LOG_HEADERS if h in request.headers},
            "response": reply.body if reply is not None and not isinstance(reply.body, (bytes, media.GeneratedContent))
            else None,
            "latency_ms": int(elapsed * 1000), "timestamp": int(self.state.now() * 1000)})

    # -- control API and page ----------------------------------------------------------------------------

    def control_call(self, request, name, kwargs):
        try:
            result = getattr(self.control, name)(request, **kwargs)
        except EmulatorError as exc:
            return _json_response({"error": exc.message}, exc.status)
        except (TypeError, ValueError, KeyError) as exc:
            return _json_response({"error": f"{exc.__class__.__name__}: {exc}"}, 400)
        if isinstance(result, Reply):
            return _reply_response(result)
        return _json_response(result)

    def openapi_violations(self, request):
        """``GET /_emulator/openapi?since=<id>``: strict mode's findings."""
        if self.strict is None:
            return _json_response({"strict": False, "directory": None, "violations": []})
        since = int(request.args.get("since") or 0)
        return _json_response({"strict": True, "directory": str(self.strict.spec.directory),
                               "violations": self.strict.since(since)})

    def static(self, request, filename):
        path = (STATIC / filename).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file():
            return _json_response({"error": "not found"}, 404)
        return send_file(path, request.environ, max_age=0)
