import re
from dataclasses import dataclass, field
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import plaintext2html

from .. import const
from ..tools import render

# A personal invitation's code in a customer's text (models/line_invitation.py).
_INVITATION_CODE = re.compile(const.INVITATION_CODE_PATTERN)

# The mark Discuss appends to a message whose content changed (mail.thread._message_update_content).
_EDITED_MARK = re.compile(r"""<span class=["']o-mail-Message-edited["']\s*/?>(</span>)?""")


@dataclass
class Post:
    """What a handler asks to post in the event's conversation.

    ``author``: the LINE customer who wrote it (their message, as them); none: a note of the
    integration about what happened at LINE.
    """

    body: str
    attachment_ids: list = field(default_factory=list)
    author: models.BaseModel = None
    values: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # notes of the integration to post after it


class LineInbound(models.AbstractModel):
    """What each LINE event becomes in Discuss: one small handler per event type.

    ``_handle_<type>(event, data)`` finds the event's conversation and returns the ``Post`` to
    make, or None when it changed an existing message (or there is nothing to show). Message
    kinds have their own ``_message_<kind>(event, message, sender)``; media, which LINE keeps
    until downloaded, are in ``line_inbound_media.py``.
    """

    _name = "line.inbound"
    _description = "LINE Inbound Handlers"

    @api.model
    def _handle(self, event, data):
        name = event.event_type.replace("-", "_")
        handler = getattr(self, f"_handle_{name}", None) if name.isidentifier() and name[0] != "_" else None
        return (handler or self._handle_unknown)(event, data)

    # ------------------------------------------------------------------
    # Who wrote, where
    # ------------------------------------------------------------------

    @api.model
    def _get_conversation(self, event, refresh=False, customer_wrote=False, arrived=False):
        """The event's conversation and sender, created on first contact and routed once.

        A known customer's conversation is found in one query; their identity is looked at only
        to refresh a day-old profile. ``customer_wrote``: a message, which gives an unassigned
        conversation another chance to reach someone. ``arrived``: the customer added the account
        (a new conversation is one arrival too): an account they had to add is ticked off.
        """
        Conversation, channel = self.env["discuss.channel"], event.channel_id
        if not (event.line_chat_id or event.line_user_id):
            return Conversation, self.env["line.identity"]
        if event.line_chat_id:
            sender = self._get_sender(event, refresh) if event.line_user_id else self.env["line.identity"]
            conversation = Conversation._line_find(channel, chat_id=event.line_chat_id)
            if not conversation:
                label = self.env._("LINE group") if event.source_type == "group" else self.env._("LINE chat room")
                conversation = channel._line_open(chat_id=event.line_chat_id, name=f"{label} {event.line_chat_id[-6:]}")
        else:
            conversation = Conversation._line_find(channel, line_user_id=event.line_user_id)
            sender = conversation.line_identity_id
            if not conversation:
                sender = self._get_sender(event, refresh)
                conversation = channel._line_open(identity=sender)
                arrived = True
            else:
                self._touch(event, sender, refresh)
                if customer_wrote and not conversation.line_assignee_id:
                    channel._line_route(conversation, again=True)
            if arrived:
                self.env["line.switch.move"]._line_arrived(conversation)  # had to add it? (line_switch_move.py)
        event.conversation_id = conversation
        if conversation.line_standby != (event.mode == "standby"):
            conversation._line_set_standby(event.mode == "standby")
        return conversation, sender

    @api.model
    def _get_sender(self, event, refresh=False):
        """The identity of the event's LINE user, created on first contact with their profile."""
        identity, created = self.env["line.identity"]._get_or_create(event.channel_id.provider_name,
                                                                    event.line_user_id)
        self._touch(event, identity, refresh or created)
        return identity

    @api.model
    def _touch(self, event, identity, refresh):
        """The customer was heard from: their profile is refreshed daily, their last contact kept."""
        now = fields.Datetime.now()
        if refresh or self._profile_is_stale(identity):
            identity._refresh_profile(event.channel_id, **self._chat_of(event))
        if not identity.last_contact_date or now - identity.last_contact_date > timedelta(minutes=1):
            identity.last_contact_date = now  # to the minute: not a write for every message of a chat

    @api.model
    def _profile_is_stale(self, identity):
        limit = fields.Datetime.now() - timedelta(hours=const.PROFILE_REFRESH_HOURS)
        return not identity.profile_date or identity.profile_date < limit

    @api.model
    def _chat_of(self, event):
        """How LINE is asked for a profile: as a member of the event's group or room, or directly."""
        key = {"group": "group_id", "room": "room_id"}.get(event.source_type)
        return {key: event.line_chat_id} if key and event.line_chat_id else {}

    # ------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------

    @api.model
    def _handle_message(self, event, data):
        message = data.get("message") or {}
        if event.content_pending and event.message_id:
            return self._finish_content(event, message)
        conversation, sender = self._get_conversation(event, customer_wrote=True)
        if not conversation:
            return None
        kind = message.get("type") or ""
        related = event._related_events()
        edit = self.env["line.event"]
        if related.filtered(lambda e: e.event_type == "unsend"):
            # Unsent before this event could be processed (it waited, or failed and was retried):
            # its place is kept, its content is not fetched, its words not kept.
            post = Post(render.unsent(self.env))
            self.env["line.privacy"]._scrub_unsent(event.channel_id, event.line_message_id)
        else:
            handler = getattr(self, f"_message_{kind}", None) if kind.isidentifier() else None
            if not handler:
                post = Post(render.note(self.env._("Unsupported LINE message %s", kind)))
            elif (post := handler(event, message, sender)) is None:
                return None  # an image set member already posted with its set
            edit = related.filtered(lambda e: e.event_type == "messageEdited")[:1] if kind == "text" else edit
            if edit:  # edited before this event was processed: the latest edit is what LINE shows
                post.body = self._text_body(edit._data().get("message") or {})
        post.author = sender
        post.values.update({
            "line_message_id": message.get("id"),
            "line_mark_as_read_token": message.get("markAsReadToken"),
            "line_event_timestamp": edit.event_timestamp if edit else event.event_timestamp,
        })
        return post

    @api.model
    def _text_body(self, message):
        # LINE emoji arrive as their alternative text ("(love)") inside the text: kept as is.
        return plaintext2html(message.get("text") or "")

    @api.model
    def _message_text(self, event, message, sender):
        post = Post(self._text_body(message))
        if found := _INVITATION_CODE.search(message.get("text") or ""):
            post.notes = self.env["line.invitation"]._on_code(event, sender, found[1] + found[2])
        return post

    @api.model
    def _message_sticker(self, event, message, sender):
        label = ", ".join(message.get("keywords") or []) or message.get("text") or self.env._("Sticker")
        return Post(render.sticker(self.env, message.get("stickerId"), label))

    @api.model
    def _message_location(self, event, message, sender):
        return Post(render.location(self.env, message.get("latitude"), message.get("longitude"),
                                    message.get("title"), message.get("address")))

    @api.model
    def _find_line_message(self, line_message_id):
        return self.env["mail.message"].search([
            ("line_message_id", "=", line_message_id), ("model", "=", "discuss.channel")], limit=1)

    @api.model
    def _update_message(self, message, body, attachment_ids=None, edit=False):
        """Change a customer's posted message as LINE says. Discuss marks it edited; only the
        customer's own edit is one (an unsend, a file LINE prepared late are not)."""
        conversation = self.env["discuss.channel"].browse(message.res_id)
        # sudo: mail.message - the customer's own message is changed on LINE's request
        conversation.sudo()._message_update_content(message.sudo(), body, attachment_ids=attachment_ids, strict=False)
        if not edit and _EDITED_MARK.search(message.body or ""):
            message.sudo().body = Markup(_EDITED_MARK.sub("", message.body))
            message._bus_send_store(message, {"body": message.body})

    @api.model
    def _handle_unsend(self, event, data):
        """LINE asks that an unsent message be hidden or deleted: its text and files go."""
        message = self._find_line_message((data.get("unsend") or {}).get("messageId"))
        if not message:
            return None  # never stored, or its event not posted yet: that event sees this unsend
        self.env["line.privacy"]._scrub_unsent(event.channel_id, message.line_message_id)
        # An empty attachment list deletes its files.
        self._update_message(message, render.unsent(self.env), attachment_ids=[])
        event.write({"message_id": message.id, "conversation_id": message.res_id})
        return None

    @api.model
    def _handle_messageEdited(self, event, data):
        """Several edits may arrive out of order: the latest (by LINE's timestamp) wins."""
        edited = data.get("message") or {}
        message = self._find_line_message(edited.get("id"))
        if not message or (message.line_event_timestamp or 0) > event.event_timestamp:
            return None  # not posted yet (its event then takes the latest edit), or a later edit is shown
        self._update_message(message, self._text_body(edited), edit=True)
        message.sudo().line_event_timestamp = event.event_timestamp
        event.message_id = message
        return None

    # ------------------------------------------------------------------
    # Friends, taps and group life: notes of the integration
    # ------------------------------------------------------------------

    @api.model
    def _handle_follow(self, event, data):
        conversation, sender = self._get_conversation(event, refresh=True, arrived=True)
        was_blocked = sender.friend_state == "blocked"
        sender.friend_state = "friend"
        if was_blocked:
            conversation._line_send_store()  # the composer's "blocked" notice goes (nothing else changed)
        if (data.get("follow") or {}).get("isUnblocked"):
            body = self.env._("%s unblocked the account and is a friend again.", sender.name)
        else:
            body = self.env._("%s added the account as a friend.", sender.name)
        event.message_id = self.env["line.notice"]._friend_arrived(conversation, body)
        return None

    @api.model
    def _handle_unfollow(self, event, data):
        conversation, sender = self._get_conversation(event)
        sender.friend_state = "blocked"
        conversation._line_send_store()
        return Post(self.env._("%s blocked the account: LINE delivers nothing to them until they unblock it.",
                               sender.name))

    @api.model
    def _handle_postback(self, event, data):
        _conversation, sender = self._get_conversation(event)
        return Post(self.env._("%(name)s chose an option (postback: %(data)s)",
                               name=sender.name or self.env._("A LINE user"),
                               data=(data.get("postback") or {}).get("data")))

    @api.model
    def _handle_join(self, event, data):
        self._get_conversation(event)
        return Post(self.env._("The account joined this LINE chat."))

    @api.model
    def _handle_leave(self, event, data):
        self._get_conversation(event)
        return Post(self.env._("The account left this LINE chat (or was removed)."))

    @api.model
    def _handle_memberJoined(self, event, data):
        self._get_conversation(event)
        return Post(self.env._("%s joined the LINE chat.", self._member_names(event, data, "joined")))

    @api.model
    def _handle_memberLeft(self, event, data):
        self._get_conversation(event)
        return Post(self.env._("%s left the LINE chat.", self._member_names(event, data, "left")))

    @api.model
    def _member_names(self, event, data, key):
        names = []
        for member in (data.get(key) or {}).get("members") or []:
            identity, _created = self.env["line.identity"]._get_or_create(
                event.channel_id.provider_name, member.get("userId"))
            if key == "joined" and self._profile_is_stale(identity):
                # LINE names group members while they are in it
                identity._refresh_profile(event.channel_id, **self._chat_of(event))
            names.append(identity.name)
        return ", ".join(names) or self.env._("Someone")

    @api.model
    def _handle_accountLink(self, event, data):
        """LINE tells how the customer's account link went (``link.result``, ``link.nonce``)."""
        _conversation, sender = self._get_conversation(event)
        link = data.get("link") if isinstance(data.get("link"), dict) else {}
        return self.env["line.account.link"]._on_event(event, sender, link.get("result"),
                                                       link.get("nonce")) if sender else None

    @api.model
    def _handle_unknown(self, event, data):
        """Types LINE may add at any time: kept raw, and said where they belong."""
        conversation, _sender = self._get_conversation(event)
        return Post(self.env._("Unsupported LINE event %s", event.event_type)) if conversation else None
