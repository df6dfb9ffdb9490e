"""Webhook bodies as LINE builds them, and their signature. Pure functions: no state, no I/O.

Shapes follow LINE's webhook OpenAPI (``line-openapi/webhook.yml``): every event has ``type``,
``timestamp`` (ms), ``mode``, ``webhookEventId`` (a ULID) and ``deliveryContext``; ``source`` is a
user, group or room; standby events carry no reply token.
"""

import base64
import hashlib
import hmac
import json
import time

from . import const, ids


def sign(secret, body):
    """``x-line-signature``: Base64(HMAC-SHA256(channel secret, raw body bytes))."""
    if isinstance(body, str):
        body = body.encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def encode(body):
    """The bytes LINE sends: compact JSON, UTF-8, non-ASCII as is."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def callback_body(destination, events):
    return {"destination": destination, "events": list(events)}


# -- sources ---------------------------------------------------------------------------------

def user_source(user_id):
    return {"type": "user", "userId": user_id}


def group_source(group_id, user_id=None):
    source = {"type": "group", "groupId": group_id}
    if user_id:
        source["userId"] = user_id
    return source


def room_source(room_id, user_id=None):
    source = {"type": "room", "roomId": room_id}
    if user_id:
        source["userId"] = user_id
    return source


def chat_id_of(source):
    """The ID a bot would push to for this source."""
    return source.get("groupId") or source.get("roomId") or source.get("userId")


# -- events ----------------------------------------------------------------------------------

def event(event_type, source, reply_token=None, mode=const.MODE_ACTIVE, timestamp=None, webhook_event_id=None,
          is_redelivery=False, **fields):
    """One webhook event; ``fields`` are the type's own properties (``message``, ``follow``...)."""
    timestamp = int(time.time() * 1000) if timestamp is None else int(timestamp)
    data = {"type": event_type, "mode": mode, "timestamp": timestamp, "source": source,
            "webhookEventId": webhook_event_id or ids.ulid(timestamp),
            "deliveryContext": {"isRedelivery": bool(is_redelivery)}}
    if reply_token and mode == const.MODE_ACTIVE:
        data["replyToken"] = reply_token
    data.update(fields)
    return data


def redelivered(event_data):
    """The same event (same ID, same reply token) marked as a redelivery."""
    return dict(event_data, deliveryContext={"isRedelivery": True})


def message_event(source, message, **kw):
    return event("message", source, message=message, **kw)


def follow_event(source, is_unblocked=False, **kw):
    return event("follow", source, follow={"isUnblocked": bool(is_unblocked)}, **kw)


def unfollow_event(source, **kw):
    kw.pop("reply_token", None)
    return event("unfollow", source, **kw)


def unsend_event(source, message_id, **kw):
    kw.pop("reply_token", None)
    return event("unsend", source, unsend={"messageId": message_id}, **kw)


def postback_event(source, data, params=None, **kw):
    postback = {"data": data}
    if params:
        postback["params"] = params
    return event("postback", source, postback=postback, **kw)


def message_edited_event(source, message, **kw):
    return event("messageEdited", source, message=message, **kw)


def join_event(source, **kw):
    return event("join", source, **kw)


def leave_event(source, **kw):
    kw.pop("reply_token", None)
    return event("leave", source, **kw)


def member_joined_event(source, user_ids, **kw):
    return event("memberJoined", source, joined={"members": [user_source(u) for u in user_ids]}, **kw)


def member_left_event(source, user_ids, **kw):
    kw.pop("reply_token", None)
    return event("memberLeft", source, left={"members": [user_source(u) for u in user_ids]}, **kw)


# -- message contents (what a user sends) ----------------------------------------------------------

def _message(message_type, message_id=None, **fields):
    data = {"id": message_id or ids.message_id(), "type": message_type}
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


def text_message(text, message_id=None, emojis=None, mention=None, quote_token=None, quoted_message_id=None,
                 mark_as_read_token=None):
    return _message("text", message_id, text=text, emojis=emojis or None, mention=mention,
                    quoteToken=quote_token or ids.token(16), quotedMessageId=quoted_message_id,
                    markAsReadToken=mark_as_read_token)


def sticker_message(package_id, sticker_id, message_id=None, sticker_resource_type="STATIC", keywords=None,
                    text=None, quote_token=None, quoted_message_id=None, mark_as_read_token=None):
    return _message("sticker", message_id, packageId=str(package_id), stickerId=str(sticker_id),
                    stickerResourceType=sticker_resource_type, keywords=keywords, text=text,
                    quoteToken=quote_token or ids.token(16), quotedMessageId=quoted_message_id,
                    markAsReadToken=mark_as_read_token)


def content_provider(provider_type="line", original_content_url=None, preview_image_url=None):
    data = {"type": provider_type}
    if provider_type == "external":
        data.update({k: v for k, v in (("originalContentUrl", original_content_url),
                                       ("previewImageUrl", preview_image_url)) if v})
    return data


def image_message(message_id=None, provider=None, image_set=None, quote_token=None, mark_as_read_token=None):
    return _message("image", message_id, contentProvider=provider or content_provider(), imageSet=image_set,
                    quoteToken=quote_token or ids.token(16), markAsReadToken=mark_as_read_token)


def video_message(duration, message_id=None, provider=None, quote_token=None, mark_as_read_token=None):
    return _message("video", message_id, duration=int(duration), contentProvider=provider or content_provider(),
                    quoteToken=quote_token or ids.token(16), markAsReadToken=mark_as_read_token)


def audio_message(duration, message_id=None, provider=None, mark_as_read_token=None):
    return _message("audio", message_id, duration=int(duration), contentProvider=provider or content_provider(),
                    markAsReadToken=mark_as_read_token)


def file_message(file_name, file_size, message_id=None, mark_as_read_token=None):
    return _message("file", message_id, fileName=file_name, fileSize=int(file_size),
                    markAsReadToken=mark_as_read_token)


def location_message(latitude, longitude, title=None, address=None, message_id=None, mark_as_read_token=None):
    return _message("location", message_id, title=title, address=address, latitude=float(latitude),
                    longitude=float(longitude), markAsReadToken=mark_as_read_token)
