"""Validation of the message objects a bot sends, with LINE's ``details[].property`` paths.

Structure is checked with line-bot-sdk's own models (generated from LINE's OpenAPI); the limits the
models do not carry (text length in UTF-16 units, HTTPS media URLs, at most 5 objects...) are
checked here. When LINE's OpenAPI files are there (``openapi.spec_dir()``), the whole request body is
checked against its operation's schema instead of the models: it also finds what the models let
through (a ``notificationDisabled`` that is not a boolean, an ``iconUrl`` that is not a URL, an
endpoint over 500 characters...) and names nested properties right.
"""

from linebot.v3.messaging import models as sdk_models

from . import const, openapi


def _detail(message, prop):
    return {"message": message, "property": prop}


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def _path(prefix, loc):
    path = prefix
    for part in loc:
        if part == "__root__":
            continue
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _model_details(message, prefix):
    """line-bot-sdk's model validation, as LINE-style details."""
    try:
        sdk_models.Message.from_dict(message)
    except (TypeError, AttributeError, KeyError):
        # The generated models index into what they are given (a substitution that is not an object...).
        return [_detail(const.DETAIL_INVALID, prefix)]
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        errors = getattr(exc, "errors", None)
        if not callable(errors):
            return [_detail(const.DETAIL_INVALID, prefix)]
        return [_detail(const.DETAIL_REQUIRED if error["type"].endswith(("missing", "none.not_allowed"))
                        else const.DETAIL_INVALID, _path(prefix, error["loc"])) for error in errors()]
    return []


def _url_details(message, prefix, allow_http):
    details = []
    for field in const.MEDIA_URL_FIELDS.get(message.get("type"), ()):
        url = message.get(field)
        if not isinstance(url, str):
            continue
        scheme_ok = url.startswith("https://") or (allow_http and url.startswith("http://"))
        if not scheme_ok:
            details.append(_detail(const.DETAIL_HTTPS, f"{prefix}.{field}"))
        elif len(url) > const.MAX_URL_LENGTH:
            details.append(_detail(const.DETAIL_URL_LENGTH % const.MAX_URL_LENGTH, f"{prefix}.{field}"))
    return details


def _limit_details(message, prefix):
    details = []
    text = message.get("text")
    if message.get("type") in ("text", "textV2") and isinstance(text, str) \
            and utf16_length(text) > const.MAX_TEXT_UTF16:
        details.append(_detail(const.DETAIL_TEXT_LENGTH % const.MAX_TEXT_UTF16, f"{prefix}.text"))
    sender = message.get("sender") or {}
    if isinstance(sender, dict) and isinstance(sender.get("name"), str) and len(sender["name"]) > const.MAX_SENDER_NAME:
        details.append(_detail(const.DETAIL_TEXT_LENGTH % const.MAX_SENDER_NAME, f"{prefix}.sender.name"))
    quick = message.get("quickReply") or {}
    if isinstance(quick, dict) and len(quick.get("items") or []) > const.MAX_QUICK_REPLY_ITEMS:
        details.append(_detail(const.DETAIL_SIZE % const.MAX_QUICK_REPLY_ITEMS, f"{prefix}.quickReply.items"))
    for index, item in enumerate(quick.get("items") or [] if isinstance(quick, dict) else []):
        label = (item.get("action") or {}).get("label") if isinstance(item, dict) else None
        if isinstance(label, str) and len(label) > const.MAX_QUICK_REPLY_LABEL:
            details.append(_detail(const.DETAIL_TEXT_LENGTH % const.MAX_QUICK_REPLY_LABEL,
                                   f"{prefix}.quickReply.items[{index}].action.label"))
    alt = message.get("altText")
    if isinstance(alt, str) and len(alt) > const.MAX_ALT_TEXT:
        details.append(_detail(const.DETAIL_TEXT_LENGTH % const.MAX_ALT_TEXT, f"{prefix}.altText"))
    return details


def message_details(message, prefix, allow_http):
    if not isinstance(message, dict):
        return [_detail(const.DETAIL_INVALID, prefix)]
    message_type = message.get("type")
    if not message_type:
        return [_detail(const.DETAIL_REQUIRED, f"{prefix}.type")]
    if message_type not in const.SENDABLE_TYPES:
        return [_detail(const.DETAIL_TYPE % ", ".join(const.SENDABLE_TYPES), f"{prefix}.type")]
    # With LINE's OpenAPI files, the request's schema checks the structure (``spec_details``): the
    # models it was generated from lose the path of nested errors (``messages[0].name`` for a bad
    # ``sender.name``) and index into what they are given.
    details = _model_details(message, prefix) if openapi.shared() is None else []
    return details + _limit_details(message, prefix) + _url_details(message, prefix, allow_http)


def messages_details(messages, allow_http=True):
    """Everything wrong with a request's ``messages``: a list of {message, property}."""
    if messages is None:
        return [_detail(const.DETAIL_REQUIRED, "messages")]
    if not isinstance(messages, list) or not 1 <= len(messages) <= const.MAX_MESSAGES_PER_REQUEST:
        return [_detail(const.DETAIL_SIZE % const.MAX_MESSAGES_PER_REQUEST, "messages")]
    details = []
    for index, message in enumerate(messages):
        details.extend(message_details(message, f"messages[{index}]", allow_http))
    return details


def _overlaps(prop, other):
    return prop == other or prop.startswith((other + ".", other + "[")) or other.startswith((prop + ".", prop + "["))


def spec_details(request, body, details=()):
    """What LINE's OpenAPI schema of the called operation finds wrong in ``body`` beyond ``details``
    (the emulator's own findings, which word it better): a list, empty without the files."""
    spec = openapi.shared()
    if spec is None:
        return []
    known = [d.get("property", "") for d in details]
    return [d for d in spec.request_details(request.method, request.path, body)
            if not any(_overlaps(d.get("property", ""), prop) for prop in known)]


def error_body(details):
    return {"message": const.ERR_BODY_ERRORS % len(details), "details": details}
