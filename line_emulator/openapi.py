"""LINE's OpenAPI descriptions (shared/line-openapi) as a check of the emulator's requests and answers.

:class:`OpenApi` loads LINE's YAML files, resolves ``$ref`` within and across them, and validates a
request body against its operation's ``requestBody`` schema and an answer against the schema of its
status code. OpenAPI's ``discriminator`` (``Message`` → ``TextMessage`` by ``type``...) and
``nullable`` are not JSON Schema: they are rewritten into it once, at load time.

:class:`StrictMode` is the emulator's strict mode: every LINE API call is checked and what breaks
the spec is recorded (``violations``), never refused: a request the emulator answers with an error
is the test's own doing; an accepted one (2xx) the spec rejects, or an answer that breaks the
documented schema, is the emulator being unfaithful.
"""

import copy
import datetime
import functools
import itertools
import json
import logging
import os
import re
import threading
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import const

_logger = logging.getLogger(__name__)

# shared/line-openapi beside the repository (in CI a copy of shared/ sits beside the clone)
DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "line-openapi"
DIR_ENV = "LINE_OPENAPI_DIR"
FILES = ("messaging-api.yml", "channel-access-token.yml", "webhook.yml")
JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded",)
# Answers LINE's documentation describes but its OpenAPI files do not list: content that is still
# being prepared answers 202 (https://developers.line.biz/en/reference/messaging-api/#get-content-response).
UNLISTED_ANSWERS = {
    ("GET", "/v2/bot/message/{}/content", 202),
    ("GET", "/v2/bot/message/{}/content/preview", 202),
}
MAX_ERRORS = 10  # per body: enough to read, not a flood


# jsonschema checks "uri" and "date-time" only with optional packages (rfc3987, rfc3339-validator):
# the emulator checks them itself, loosely (an absolute URL; an ISO 8601 time with its offset).
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri", raises=ValueError)
def _uri(value):
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.scheme in ("mailto", "tel", "line")))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    if not isinstance(value, str):
        return True
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


class SpecMissing(RuntimeError):
    pass


def spec_dir():
    return Path(os.environ.get(DIR_ENV) or DEFAULT_DIR)


def missing_message(directory=None):
    directory = directory or spec_dir()
    return (f"LINE's OpenAPI files ({', '.join(FILES)}) are not in {directory}: copy them from "
            f"https://github.com/line/line-openapi there (shared/line-openapi beside the repository), "
            f"or point {DIR_ENV} at them")


def available(directory=None):
    directory = Path(directory or spec_dir())
    return all((directory / name).is_file() for name in FILES)


@functools.cache
def _shared(directory):
    return OpenApi(directory)


def shared():
    """The spec in ``spec_dir()``, loaded once per process; None when its files are not there."""
    directory = spec_dir().resolve()
    return _shared(directory) if available(directory) else None


def template(path):
    """``/v2/bot/profile/<user_id>`` and ``/v2/bot/profile/{userId}`` alike: ``/v2/bot/profile/{}``."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def _pointer(*parts):
    return "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _media_key(content, mimetype):
    """The key of ``content`` (an OpenAPI content map) that ``mimetype`` falls under, else None."""
    mimetype = (mimetype or "").split(";")[0].strip().lower()
    for key in content:
        if key == mimetype or key == "*/*" or (key.endswith("/*") and mimetype.startswith(key[:-1])):
            return key
    return None


def _nullable(node):
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema: ``null`` is one more allowed type."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        for value in node.values():
            _nullable(value)
    elif isinstance(node, list):
        for value in node:
            _nullable(value)


def _discriminators(document):
    """OpenAPI's ``discriminator`` as JSON Schema: a schema ``S`` with a mapping becomes ``S`` plus
    ``if type == k then <mapped schema>``; the mapped schemas' ``allOf: [S]`` point at ``S__base`` (``S``
    without the mapping) so that a subtype does not dispatch to itself. A value the mapping does not
    name is checked against ``S`` only (OpenAPI then maps by schema name, which LINE does not use)."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in list(schemas.items()):
        discriminator = schema.get("discriminator") or {}
        mapping, prop = discriminator.get("mapping"), discriminator.get("propertyName")
        if not mapping or not prop:
            continue
        base_name, own_ref = f"{name}__base", f"#/components/schemas/{name}"
        schemas[base_name] = {k: v for k, v in schema.items() if k != "discriminator"}
        for target in mapping.values():
            sub = schemas.get(target.rsplit("/", 1)[1]) if target.startswith("#/components/schemas/") else None
            for part in (sub or {}).get("allOf", ()):
                if part.get("$ref") == own_ref:
                    part["$ref"] = f"#/components/schemas/{base_name}"
        conditions = [{"if": {"properties": {prop: {"const": value}}, "required": [prop]}, "then": {"$ref": target}}
                      for value, target in mapping.items()]
        schemas[name] = {"allOf": [{"$ref": f"#/components/schemas/{base_name}"}, *conditions],
                         "x-discriminated": {"property": prop, "values": list(mapping)}}


def _allof_parts(document):
    """Names of the component schemas some ``allOf`` builds on (bases: they are open by nature)."""
    names = set()

    def walk(node):
        if isinstance(node, dict):
            for part in node.get("allOf", ()):
                if isinstance(part, dict) and part.get("$ref", "").startswith("#/components/schemas/"):
                    names.add(part["$ref"].rsplit("/", 1)[1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return names


def _closed(document):
    """A copy where an object may carry only the properties its schema documents
    (``unevaluatedProperties: false``), for what the emulator itself writes: an answer or a webhook
    with a property LINE does not document is an invention. Bases of an ``allOf`` and the parts of a
    composition stay open: the schema that composes them is closed instead."""
    document = copy.deepcopy(document)
    bases = _allof_parts(document)

    def close(node, part=False):
        if isinstance(node, list):
            for value in node:
                close(value, part)
            return
        if not isinstance(node, dict):
            return
        composed = any(k in node for k in ("allOf", "properties"))
        if composed and not part and node.get("type", "object") == "object" \
                and "additionalProperties" not in node and "unevaluatedProperties" not in node:
            node["unevaluatedProperties"] = False
        for key, value in node.items():
            if key in ("allOf", "anyOf", "oneOf"):
                close(value, part=True)
            elif key in ("if", "then", "else"):
                close(value, part=True)
            elif key == "properties":
                for schema in value.values():
                    close(schema)
            elif key in ("items", "additionalProperties"):
                close(value)

    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        close(schema, part=name in bases or name.endswith("__base"))
        discriminated = schema.pop("x-discriminated", None)
        if discriminated:
            # A value the spec does not map (an event type newer than the files, such as
            # messageEdited) has no documented properties to close over: only its base is checked.
            prop = discriminated["property"]
            schemas[name] = {"if": {"properties": {prop: {"enum": discriminated["values"]}}, "required": [prop]},
                             "then": schema, "else": {"$ref": f"#/components/schemas/{name}__base"}}
    return document


class OpenApi:
    """LINE's OpenAPI files, loaded once; operations looked up by (method, path template)."""

    def __init__(self, directory=None):
        self.directory = Path(directory or spec_dir()).resolve()
        if not available(self.directory):
            raise SpecMissing(missing_message(self.directory))
        self.documents, resources, self.operations = {}, [], {}
        for name in FILES:
            document = yaml.safe_load((self.directory / name).read_text(encoding="utf-8"))
            _nullable(document)
            _discriminators(document)
            uri = (self.directory / name).as_uri()
            self.documents[uri] = document
            resources.append((uri, Resource(contents=document, specification=DRAFT202012)))
            resources.append((_closed_uri(uri), Resource(contents=_closed(document), specification=DRAFT202012)))
            for path, item in (document.get("paths") or {}).items():
                for method, operation in item.items():
                    if method in ("get", "put", "post", "delete", "patch"):
                        self.operations[(method.upper(), template(path))] = (uri, path, method, operation)
        self.registry = Registry().with_resources(resources)
        self._validators = {}

    def operation(self, method, path):
        """The operation for ``method`` and a path template (``<name>`` or ``{name}`` placeholders)."""
        return self.operations.get((method.upper(), template(path)))

    def _errors(self, uri, pointer, instance, closed=False):
        uri = _closed_uri(uri) if closed else uri
        validator = self._validators.get((uri, pointer))
        if validator is None:
            validator = jsonschema.Draft202012Validator({"$ref": f"{uri}#/{pointer}"}, registry=self.registry,
                                                        format_checker=FORMATS)
            self._validators[(uri, pointer)] = validator
        errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
        messages = dict.fromkeys(f"{_json_path(e.absolute_path)}: {e.message[:300]}" for e in errors)
        return list(messages)[:MAX_ERRORS]

    def _error_schema(self, uri):
        """LINE answers errors of every bot API with ``ErrorResponse`` (``message``, ``details``)
        (https://developers.line.biz/en/reference/messaging-api/#error-responses); the token API with
        its own ``ErrorResponse`` (``error``, ``error_description``)."""
        if "ErrorResponse" in self.documents[uri].get("components", {}).get("schemas", {}):
            return _pointer("components", "schemas", "ErrorResponse")
        return None

    def check_request(self, method, path, content_type, body):
        """What is wrong with a request body (bytes, or a dict for a form) for the operation: a list."""
        found = self.operation(method, path)
        if not found:
            return []
        uri, spec_path, spec_method, operation = found
        request_body = operation.get("requestBody")
        if not request_body:
            return []
        content = request_body.get("content") or {}
        if not body:
            return ["(body): the spec requires a request body"] if request_body.get("required") else []
        key = _media_key(content, content_type)
        if key is None:
            return [f"(Content-Type): {content_type!r} is not one of {sorted(content)}"]
        schema = content[key].get("schema")
        if schema is None or key not in JSON_TYPES + FORM_TYPES:
            return []
        if key in JSON_TYPES:
            try:
                body = json.loads(body)
            except ValueError as exc:
                return [f"(body): not JSON ({exc})"]
        return self._errors(uri, _pointer("paths", spec_path, spec_method, "requestBody", "content", key, "schema"),
                            body)

    def request_details(self, method, path, body):
        """A parsed JSON request body against the operation's schema, as LINE words a refusal: a list
        of ``{"message", "property"}`` (``property`` as LINE writes it: ``messages[0].sender.iconUrl``)."""
        found = self.operation(method, path)
        content = ((found[3].get("requestBody") or {}).get("content") or {}) if found else {}
        if "application/json" not in content or content["application/json"].get("schema") is None:
            return []
        uri, spec_path, spec_method, _operation = found
        pointer = _pointer("paths", spec_path, spec_method, "requestBody", "content", "application/json", "schema")
        self._errors(uri, pointer, None)  # builds the validator once
        validator = self._validators[(uri, pointer)]
        details = []
        for error in sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]):
            path_parts, schema = list(error.absolute_path), error.schema if isinstance(error.schema, dict) else {}
            message = const.DETAIL_INVALID
            if error.validator == "required":
                missing = re.match(r"'(.*)' is a required property", error.message)
                path_parts += [missing.group(1)] if missing else []
                message = const.DETAIL_REQUIRED
            elif error.validator in ("maxLength", "minLength") and "maxLength" in schema:
                message = const.DETAIL_TEXT_LENGTH % schema["maxLength"]
            elif error.validator in ("maxItems", "minItems") and "maxItems" in schema:
                message = const.DETAIL_SIZE % schema["maxItems"]
            elif error.validator == "enum":
                message = const.DETAIL_TYPE % ", ".join(map(str, error.validator_value))
            detail = {"message": message, "property": _json_path(path_parts)}
            if detail["property"] == "(root)":
                detail.pop("property")
            if detail not in details:
                details.append(detail)
        return details

    def check_response(self, method, path, status, content_type, body):
        """What is wrong with an answer (status, Content-Type, body bytes) for the operation: a list."""
        found = self.operation(method, path)
        if not found:
            return []
        uri, spec_path, spec_method, operation = found
        responses = operation.get("responses") or {}
        code = next((c for c in (str(status), f"{status // 100}XX", "default") if c in responses), None)
        if code is None:
            if status >= 400 and self._error_schema(uri):
                return self._json_errors(uri, self._error_schema(uri), content_type, body)
            if (method.upper(), template(path), status) in UNLISTED_ANSWERS:
                return []
            return [f"(status): {status} is not documented for {method.upper()} {spec_path} "
                    f"(documented: {', '.join(sorted(responses))})"]
        content = responses[code].get("content") or {}
        if not content:
            # LINE answers these with an empty JSON object; anything else is not what it documents.
            if body and body.strip() not in (b"{}",):
                return [f"(body): the spec documents no body for {status}, got {body[:80]!r}"]
            return []
        key = _media_key(content, content_type)
        if key is None:
            return [f"(Content-Type): {content_type!r} is not one of {sorted(content)} for {status}"]
        if key not in JSON_TYPES or content[key].get("schema") is None:
            return []
        return self._json_errors(uri, _pointer("paths", spec_path, spec_method, "responses", code, "content", key,
                                               "schema"), content_type, body)

    def _json_errors(self, uri, pointer, content_type, body):
        if _media_key({const.JSON: None}, content_type) is None:
            return [f"(Content-Type): {content_type!r} is not {const.JSON}"]
        try:
            instance = json.loads(body)
        except ValueError as exc:
            return [f"(body): not JSON ({exc})"]
        return self._errors(uri, pointer, instance, closed=True)

    def check_schema(self, name, instance, document="messaging-api.yml", closed=True):
        """``instance`` against ``components/schemas/<name>`` of one of the files: a list of errors.
        ``closed``: a property the schema does not document is an error too (what the emulator writes)."""
        return self._errors((self.directory / document).as_uri(), _pointer("components", "schemas", name), instance,
                            closed=closed)


def _closed_uri(uri):
    """Where the closed copy of a file lives: beside it, in a ``closed/`` folder no one reads."""
    head, _sep, name = uri.rpartition("/")
    return f"{head}/closed/{name}"


def _json_path(path):
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return text.lstrip(".") or "(root)"


class StrictMode:
    """Checks every LINE API call of the emulator against the spec and records what breaks it.

    ``violations`` (the last ``keep``) are dicts ``{id, kind, endpoint, method, path, status, errors}``;
    ``kind`` is ``request`` (an accepted request the spec rejects), ``response`` (an answer that breaks
    its documented status, Content-Type or schema, or carries a property the schema does not have),
    ``operation`` (a route LINE does not have), ``webhook`` (a webhook body the emulator built) or
    ``crash`` (the emulator failed: 500). ``id`` increases, so a reader can ask for the ones after the
    last it saw.
    They outlive ``/_emulator/reset``: a test resets the emulator, then asks what it broke.
    """

    def __init__(self, spec=None, keep=const.DEFAULT_LIMITS["logs"]):
        self.spec = spec or OpenApi()
        self.violations = deque(maxlen=keep)
        self.lock = threading.Lock()
        self.ids = itertools.count(1)

    def check_call(self, method, path, request_type, request_body, status, response_type, response_body,
                   endpoint=None, url_path=None):
        """The violations of one call (also recorded). A request the emulator refused is not one.

        ``path`` is the route's template (``/v2/bot/profile/<user_id>``), ``url_path`` the path called.
        """
        if self.spec.operation(method, path) is None:
            return [self._record({"kind": "operation", "endpoint": endpoint, "method": method,
                                  "path": url_path or path, "status": status,
                                  "errors": [f"{method} {template(path)} is not an operation of LINE's API"]})]
        found = []
        if 200 <= status < 300:
            found += [("request", e) for e in self.spec.check_request(method, path, request_type, request_body)]
        found += [("response", e) for e in self.spec.check_response(method, path, status, response_type,
                                                                     response_body)]
        recorded = []
        for kind in ("request", "response"):
            errors = [e for k, e in found if k == kind]
            if errors:
                recorded.append(self._record({"kind": kind, "endpoint": endpoint, "method": method,
                                              "path": url_path or path, "status": status, "errors": errors}))
        return recorded

    def check_body(self, what, schema, instance, document="webhook.yml"):
        """A body the emulator sends (a webhook) against a schema of the spec; recorded when it breaks it."""
        errors = self.spec.check_schema(schema, instance, document)
        if not errors:
            return []
        return [self._record({"kind": what, "endpoint": None, "method": None, "path": schema, "status": None,
                              "errors": errors})]

    def record_crash(self, method, path, endpoint, exc):
        """The emulator failed on a call (a bug, answered 500): recorded, since LINE would have answered."""
        return self._record({"kind": "crash", "endpoint": endpoint, "method": method, "path": path, "status": 500,
                             "errors": [f"{exc.__class__.__name__}: {exc}"]})

    def _record(self, violation):
        with self.lock:
            violation = {"id": next(self.ids), **violation}
            self.violations.append(violation)
        _logger.warning("Not as LINE's OpenAPI says (%s of %s %s, %s): %s", violation["kind"], violation["method"],
                        violation["path"], violation["status"], "; ".join(violation["errors"]))
        return violation

    def since(self, last_id=0):
        with self.lock:
            return [v for v in self.violations if v["id"] > last_id]
