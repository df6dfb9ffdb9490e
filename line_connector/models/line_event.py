import hashlib
import json
import logging
import mimetypes
import tempfile
from datetime import datetime, timedelta

from markupsafe import Markup
from psycopg2.errors import SerializationFailure

from odoo import _, api, fields, models
from odoo.tools import SQL, plaintext2html

from odoo.addons.line_connector import const
from odoo.addons.line_connector.models.line_identity import LineIdentityRace
from odoo.addons.line_connector.tools import line_api

_logger = logging.getLogger(__name__)


class LineContentNotReady(Exception):
    """LINE is still preparing the content (202): try the event again in a moment."""

    def __str__(self):
        return f"LINE has not finished preparing the content of message {self.args[0]}"


class LineEventDeferred(Exception):
    """The event waits for others (the rest of an image set): try again in a moment."""


class LineEvent(models.Model):
    """Every event LINE delivered, stored once, raw, and processed asynchronously.

    The webhook only verifies and stores (LINE wants an answer within 2 seconds and
    redelivers what it does not get); a cron job woken at once turns events into
    Discuss messages, one transaction per event, oldest first.
    """

    _name = "line.event"
    _inherit = ["line.queue.mixin"]
    _description = "LINE Webhook Event"
    _queue_order = "event_timestamp, id"
    _queue_batch = const.EVENT_BATCH
    _queue_crons = const.EVENT_CRONS
    _order = "event_timestamp desc, id desc"
    _rec_name = "webhook_event_id"

    channel_id = fields.Many2one("line.channel", "LINE Channel", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="channel_id.company_id")
    webhook_event_id = fields.Char("Webhook Event ID", required=True, readonly=True)
    event_type = fields.Char("Type", required=True, readonly=True)
    message_type = fields.Char(readonly=True)
    mode = fields.Char(readonly=True, help="'standby': another module holds the chat; never answered.")
    source_type = fields.Char(readonly=True)
    line_user_id = fields.Char("LINE User ID", readonly=True, index=True)
    line_chat_id = fields.Char("LINE Group ID", readonly=True)
    line_message_id = fields.Char(
        "LINE Message ID", readonly=True, index="btree_not_null",
        help="The LINE message the event is about: the message itself, or the one unsent or edited.")
    event_timestamp = fields.Float("LINE Timestamp (ms)", digits=(16, 0), readonly=True)
    event_date = fields.Datetime("Sent At", compute="_compute_event_date")
    is_redelivery = fields.Boolean(readonly=True)
    reply_token = fields.Char(readonly=True, copy=False)
    reply_token_used = fields.Boolean(readonly=True, copy=False)
    payload = fields.Text(readonly=True)
    state = fields.Selection(const.EVENT_STATES, default="new", required=True, index=True, readonly=True)
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    conversation_id = fields.Many2one("discuss.channel", "Conversation", readonly=True, ondelete="set null")
    message_id = fields.Many2one("mail.message", "Message", readonly=True, ondelete="set null")
    content_pending = fields.Boolean(
        readonly=True, help="Posted while LINE still prepared its video or audio: the file is added when ready.")

    _sql_constraints = [
        # LINE redelivers with the same webhookEventId: the database keeps exactly one.
        ("webhook_event_id_unique", "UNIQUE(webhook_event_id)", "LINE events are stored once."),
    ]

    @api.depends("event_timestamp")
    def _compute_event_date(self):
        for event in self:
            event.event_date = (datetime.utcfromtimestamp(event.event_timestamp / 1000)
                                if event.event_timestamp else False)

    # ------------------------------------------------------------------
    # Storing (the webhook's hot path: a few queries, no ORM records)
    # ------------------------------------------------------------------

    @api.model
    def _store(self, channel, events):
        """Store the events of one webhook body, each at most once, and wake the processor.

        :return: the number of events that were new
        """
        if not events:
            return 0
        rows = [self._prepare_row(channel, event) for event in events]
        now = fields.Datetime.now()
        uid = self.env.uid
        values = SQL(", ").join(
            SQL("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'new', 0, %s, %s, %s, %s)",
                *row, uid, now, uid, now)
            for row in rows
        )
        self.env.cr.execute(SQL("""
            INSERT INTO line_event (channel_id, webhook_event_id, event_type, message_type, mode, source_type,
                                    line_user_id, line_chat_id, line_message_id, event_timestamp, is_redelivery,
                                    reply_token, payload, next_attempt, state, attempts,
                                    create_uid, create_date, write_uid, write_date)
                 VALUES %s
            ON CONFLICT (webhook_event_id) DO NOTHING
              RETURNING id
        """, values))
        new_ids = [event_id for (event_id,) in self.env.cr.fetchall()]
        stored = len(new_ids)
        self.browse(new_ids)._queue_wake()
        if stored < len(rows):
            _logger.info("LINE channel %s: %d duplicate event(s) ignored", channel.id, len(rows) - stored)
        return stored

    @api.model
    def _prepare_row(self, channel, event):
        source, message, delivery = (
            value if isinstance(value, dict) else {}
            for value in (event.get("source"), event.get("message"), event.get("deliveryContext")))
        raw = json.dumps(event, ensure_ascii=False, sort_keys=True)
        event_id = event.get("webhookEventId") or "sha256:" + hashlib.sha256(
            f"{channel.id}:{raw}".encode()).hexdigest()
        standby = event.get("mode") == "standby"
        unsend = event.get("unsend") if isinstance(event.get("unsend"), dict) else {}
        return (
            channel.id, event_id, event["type"], message.get("type"), event.get("mode"), source.get("type"),
            source.get("userId"), source.get("groupId") or source.get("roomId"),
            message.get("id") or unsend.get("messageId"),
            float(event.get("timestamp") or 0), bool(delivery.get("isRedelivery")),
            # A standby event must never be answered: its reply token is not kept.
            None if standby else event.get("replyToken"),
            raw, None,
        )

    # ------------------------------------------------------------------
    # Processing (cron)
    # ------------------------------------------------------------------

    @api.model
    def _cron_process_events(self):
        self._cron_process_queue()

    def _queue_sequence(self):
        # A customer's (or a group's) events are shown in the order they were sent.
        return (self.channel_id.id, self.line_chat_id or self.line_user_id) if self.line_user_id or \
            self.line_chat_id else None

    def _queue_waiting(self):
        # Waiting for the rest of an image set, or for another transaction's new identity; a video
        # LINE is still preparing is already posted in its place and holds nothing back.
        return self.state == "new" and not self.error and not self.content_pending

    def _queue_process_one(self):
        """Process one event; one bad event cannot block the others."""
        now = fields.Datetime.now()
        # The event itself was stored durably by the webhook, and its outcome (message, state) is
        # committed together: if PostgreSQL loses this commit in a crash, both are lost and the
        # event is processed again. No need to wait for the disk after each event.
        self.env.cr.execute("SET LOCAL synchronous_commit TO OFF")
        try:
            with self.env.cr.savepoint():
                self._process()
                if self.content_pending:  # posted in its place, in order; its file comes later
                    self._wait_for_content(now, LineContentNotReady(self.message_id.line_message_id))
                else:
                    self.write({"state": "done", "error": False, "attempts": self.attempts + 1,
                                "next_attempt": False})
        except LineContentNotReady as not_ready:
            self._wait_for_content(now, not_ready)
        except LineEventDeferred:
            self.write({"next_attempt": now + timedelta(seconds=1)})
        except (LineIdentityRace, SerializationFailure) as race:
            # Another transaction created the same identity/conversation, or moved the same
            # assignment pointer: its work is visible to the next transaction.
            races = self.attempts + 1
            if races >= const.EVENT_MAX_ATTEMPTS:
                self._record_failure(race)
            else:
                self.write({"next_attempt": now, "attempts": races})
        except Exception as error:
            self._record_failure(error)

    def _wait_for_content(self, now, not_ready):
        if (now - self.create_date).total_seconds() > const.CONTENT_READY_TIMEOUT:
            self._record_failure(not_ready)
        else:
            self.write({"next_attempt": now + timedelta(seconds=const.CONTENT_NOT_READY_DELAY)})

    def _record_failure(self, error):
        attempts = self.attempts + 1
        parked = attempts >= const.EVENT_MAX_ATTEMPTS
        delays = const.EVENT_RETRY_DELAYS
        self.write({
            "attempts": attempts,
            "error": f"{error.__class__.__name__}: {error}",
            "state": "failed" if parked else "new",
            "next_attempt": False if parked else fields.Datetime.now() + timedelta(
                seconds=delays[min(attempts - 1, len(delays) - 1)]),
        })
        _logger.warning("LINE event %s (%s) failed (attempt %d%s): %s", self.webhook_event_id, self.event_type,
                        attempts, ", parked" if parked else "", error, exc_info=parked)

    def action_reprocess(self):
        """Try failed events again (LINE managers, from the list of webhook events)."""
        self.write({"state": "new", "attempts": 0, "next_attempt": False, "error": False})
        self._queue_wake()

    # ------------------------------------------------------------------
    # Dispatch
    # ------------------------------------------------------------------

    def _data(self):
        return json.loads(self.payload)

    def _process(self):
        data = self._data()
        handler = getattr(self, "_process_" + self.event_type.replace("-", "_"), None)
        if handler is None or self.event_type.startswith("_"):
            handler = self._process_unsupported
        handler(data)

    def _get_identity(self, refresh=False):
        """The sender's identity (created on first contact, with its LINE profile)."""
        if not self.line_user_id:
            return self.env["line.identity"]
        channel = self.channel_id
        identity, created = self.env["line.identity"]._get_or_create(channel.provider_name, self.line_user_id)
        if created or refresh or identity._needs_profile():
            chat = {"group_id": self.line_chat_id} if self.source_type == "group" else (
                {"room_id": self.line_chat_id} if self.source_type == "room" else {})
            identity._refresh_profile(channel, **chat)
        now = fields.Datetime.now()
        if not identity.last_contact_date or now - identity.last_contact_date > timedelta(minutes=1):
            identity.last_contact_date = now  # to the minute: not a write for every message of a chat
        return identity

    def _get_conversation(self, identity):
        Channel = self.env["discuss.channel"]
        if self.line_chat_id:
            label = _("LINE group") if self.source_type == "group" else _("LINE chat room")
            conversation, _created = Channel._line_get_or_create(
                self.channel_id, identity, chat_id=self.line_chat_id, name=f"{label} {self.line_chat_id[-6:]}")
        elif identity:
            conversation, _created = Channel._line_get_or_create(self.channel_id, identity)
        else:
            return Channel
        self.conversation_id = conversation
        standby = self.mode == "standby"
        if conversation.line_standby != standby:
            # sudo: discuss.channel - LINE says who may answer the customer now
            conversation.sudo().line_standby = standby
            conversation._bus_send_store(conversation, conversation._line_store_values())
        return conversation

    # ------------------------------------------------------------------
    # Event types
    # ------------------------------------------------------------------

    def _process_message(self, data):
        message = data.get("message") or {}
        if self.content_pending and self.message_id:
            return self._finish_content(message)
        identity = self._get_identity()
        conversation = self._get_conversation(identity)
        if not conversation:
            return
        handler = getattr(self, "_prepare_message_" + (message.get("type") or ""), None)
        related = self._related_events()
        unsent = bool(related.filtered(lambda e: e.event_type == "unsend"))
        if unsent:
            # Unsent before this event could be processed (it waited, or failed and was retried):
            # its place is kept, its content is not fetched.
            post_values = {"body": Markup("<i>%s</i>") % _("message unsent")}
        elif handler:
            post_values = handler(message)
        else:
            post_values = {"body": Markup("<i>%s</i>") % _("Unsupported LINE message %s", message.get("type"))}
        if post_values is None:  # an image set member already posted with its set
            return
        edit = related.filtered(lambda e: e.event_type == "messageEdited")[:1] \
            if message.get("type") == "text" and not unsent else None
        if edit:
            # Edited before this event was processed: the latest edit is what the customer shows.
            post_values["body"] = self._prepare_message_text(edit._data().get("message") or {})["body"]
        post_values.update({
            "line_message_id": message.get("id"),
            "line_mark_as_read_token": message.get("markAsReadToken"),
            "line_event_timestamp": edit.event_timestamp if edit else self.event_timestamp,
        })
        if identity:
            self.message_id = conversation._line_post(identity, **post_values)
        else:
            self.message_id = conversation._line_notify(post_values.get("body"), post_values.get("attachment_ids", ()))

    def _related_events(self):
        """The events about this event's LINE message (its unsend, its edits), latest first."""
        if not self.line_message_id:
            return self.browse()
        # Once per message: a plain query on the indexed message ID.
        self.flush_model(["channel_id", "line_message_id", "event_type", "event_timestamp"])
        self.env.cr.execute(SQL("""
            SELECT id FROM line_event
             WHERE channel_id = %s AND line_message_id = %s AND event_type IN ('unsend', 'messageEdited')
          ORDER BY event_timestamp DESC, id DESC
        """, self.channel_id.id, self.line_message_id))
        return self.browse(event_id for (event_id,) in self.env.cr.fetchall())

    def _prepare_message_text(self, message):
        # LINE emoji arrive as their alternative text ("(love)") inside the text: kept as is.
        return {"body": plaintext2html(message.get("text") or "")}

    def _prepare_message_sticker(self, message):
        keywords = ", ".join(message.get("keywords") or []) or message.get("text") or _("Sticker")
        url = const.STICKER_IMAGE_URL.format(sticker_id=message.get("stickerId"))
        # The image comes from LINE's public sticker CDN; without network its alt text still says what it was.
        return {"body": Markup('<img class="o_line_sticker" src="%s" alt="%s" title="%s" '
                               'style="max-width: 120px; max-height: 120px;"/>') % (
            url, _("[Sticker: %s]", keywords), keywords)}

    def _prepare_message_location(self, message):
        url = const.MAP_URL.format(latitude=message.get("latitude"), longitude=message.get("longitude"))
        title = message.get("title") or _("Location")
        address = message.get("address") or ""
        return {"body": Markup('<p>📍 <a href="%s" target="_blank" rel="noreferrer noopener">%s</a><br/>%s</p>') % (
            url, title, address)}

    def _prepare_message_image(self, message):
        image_set = message.get("imageSet")
        if image_set and image_set.get("total", 1) > 1:
            return self._prepare_image_set(message, image_set)
        return self._prepare_content(message)

    def _prepare_message_video(self, message):
        return self._prepare_content(message)

    def _prepare_message_audio(self, message):
        return self._prepare_content(message)

    def _prepare_message_file(self, message):
        return self._prepare_content(message)

    def _prepare_content(self, message, messages=None):
        """Download the content of one or several media messages into attachments.

        A video or audio LINE is still preparing is posted at once, in its place among the
        customer's messages, saying so; its file is added to that message when ready.
        """
        attachments = self.env["ir.attachment"]
        links = []
        for item in messages or [message]:
            provider = item.get("contentProvider") or {}
            if provider.get("type") == "external":
                links.append(provider.get("originalContentUrl"))
                continue
            try:
                attachments |= self._download_attachment(item)
            except LineContentNotReady:
                if messages:  # an image set: images are never prepared, wait for all of them
                    raise
                self.content_pending = True
                what = {"video": _("video"), "audio": _("audio message")}.get(item.get("type"), _("file"))
                return {"body": Markup("<i>%s</i>") % _(
                    "LINE is still preparing this %s: it appears here when ready.", what)}
        body = Markup("")
        if not attachments and not links:
            # LINE no longer has it (410): the customer unsent it before it could be fetched.
            body = Markup("<i>%s</i>") % _("message unsent")
        if links:
            body = Markup("<br/>").join(
                Markup('<a href="%s" target="_blank" rel="noreferrer noopener">%s</a>') % (url, url)
                for url in links if url)
        return {"body": body, "attachment_ids": attachments.ids}

    def _finish_content(self, message):
        """The file LINE has now prepared joins the message posted in its place."""
        attachment = self._download_attachment(message)
        posted = self.message_id.sudo()
        body = Markup("") if attachment else Markup("<i>%s</i>") % _("message unsent")
        # sudo: discuss.channel - the integration completes the customer's own message
        self.conversation_id.sudo()._message_update_content(
            posted, body, attachment_ids=(posted.attachment_ids | attachment).ids, strict=False)
        self.content_pending = False

    def _download_attachment(self, message):
        """Stream a message's content from LINE into an attachment on the conversation."""
        client = self.channel_id._line_client()
        with tempfile.TemporaryFile() as buffer:
            try:
                meta = client.download_content(message["id"], buffer, max_bytes=const.MAX_CONTENT_BYTES)
            except line_api.LineGoneError:
                return self.env["ir.attachment"]  # unsent before we could fetch it: nothing to keep
            if meta is None:
                raise LineContentNotReady(message["id"])
            buffer.seek(0)
            data = buffer.read()
        mimetype = (meta.get("content_type") or "application/octet-stream").split(";")[0].strip()
        name = message.get("fileName") or self._content_name(message, mimetype)
        # sudo: ir.attachment - the cron stores the customer's file on the conversation they wrote in
        return self.env["ir.attachment"].sudo().create({
            "name": name,
            "raw": data,
            "mimetype": mimetype,
            "res_model": "discuss.channel",
            "res_id": self.conversation_id.id,
        })

    @staticmethod
    def _content_name(message, mimetype):
        default = const.DEFAULT_CONTENT_NAMES.get(message.get("type"), "file")
        extension = mimetypes.guess_extension(mimetype) or ""
        stem = default.rsplit(".", 1)[0]
        return f"{stem}-{message['id']}{extension}" if extension else f"{default}-{message['id']}"

    def _prepare_image_set(self, message, image_set):
        """Post the images a customer sent together as one message, in the order they chose.

        LINE delivers each image of a set as its own event, in any order: the set is posted
        when all its events are stored (or after a short wait, with those that came).
        """
        siblings = self.search([
            ("channel_id", "=", self.channel_id.id), ("line_user_id", "=", self.line_user_id),
            ("event_type", "=", "message"), ("message_type", "=", "image"),
            ("payload", "like", f'%"id": "{image_set["id"]}"%'),
        ])
        members = sorted(((s, s._data()["message"]) for s in siblings),
                         key=lambda pair: (pair[1].get("imageSet") or {}).get("index", 0))
        posted = siblings.filtered(lambda s: s.state == "done" and s.message_id)[:1]
        if posted:
            return self._add_to_posted_set(message, posted)
        if any(s.state == "done" for s, _m in members):
            return None  # posted with an earlier member of the set
        waited = (fields.Datetime.now() - min(s.create_date for s, _m in members)).total_seconds()
        if len(members) < image_set.get("total", 1) and waited < const.IMAGE_SET_WAIT:
            raise LineEventDeferred(image_set["id"])
        values = self._prepare_content(message, messages=[m for _s, m in members])
        (siblings - self).write({"state": "done", "conversation_id": self.conversation_id.id, "error": False})
        return values


    def _add_to_posted_set(self, message, posted):
        """An image of a set that came after the set was posted (LINE was late): added to it."""
        attachment = self._download_attachment(message)
        if attachment:
            mail_message = posted.message_id.sudo()
            # sudo: discuss.channel - the integration completes the customer's own message
            self.conversation_id.sudo()._message_update_content(
                mail_message, mail_message.body, attachment_ids=(mail_message.attachment_ids | attachment).ids,
                strict=False)
        self.message_id = posted.message_id
        return None

    def _process_follow(self, data):
        identity = self._get_identity(refresh=True)
        identity.friend_state = "friend"
        conversation = self._get_conversation(identity)
        if (data.get("follow") or {}).get("isUnblocked"):
            note = _("%s unblocked the account and is a friend again.", identity.name)
        else:
            note = _("%s added the account as a friend.", identity.name)
        self.message_id = conversation._line_notify(note)
        conversation._bus_send_store(conversation, conversation._line_store_values())

    def _process_unfollow(self, data):
        identity = self._get_identity()
        identity.friend_state = "blocked"
        conversation = self._get_conversation(identity)
        self.message_id = conversation._line_notify(
            _("%s blocked the account: LINE delivers nothing to them until they unblock it.", identity.name))
        conversation._bus_send_store(conversation, conversation._line_store_values())

    def _find_line_message(self, line_message_id):
        return self.env["mail.message"].search([
            ("line_message_id", "=", line_message_id), ("model", "=", "discuss.channel")], limit=1)

    def _process_unsend(self, data):
        """LINE asks that an unsent message be hidden or deleted: its text and files go."""
        line_message_id = (data.get("unsend") or {}).get("messageId")
        message = self._find_line_message(line_message_id)
        if not message:
            # Never stored, or its event not posted yet: that event sees this unsend when it is.
            return
        conversation = self.env["discuss.channel"].browse(message.res_id)
        # sudo: mail.message - the customer's own message is changed on LINE's request; an empty
        # attachment list deletes its files
        conversation.sudo()._message_update_content(message.sudo(), Markup("<i>%s</i>") % _("message unsent"),
                                                    attachment_ids=[])
        self.message_id = message
        self.conversation_id = conversation

    def _process_messageEdited(self, data):
        """Several edits may arrive out of order: the latest (by LINE's timestamp) wins."""
        edited = data.get("message") or {}
        message = self._find_line_message(edited.get("id"))
        if not message or (message.line_event_timestamp or 0) > self.event_timestamp:
            # Not posted yet (its event then takes the latest edit), or a later edit is shown.
            return
        conversation = self.env["discuss.channel"].browse(message.res_id)
        body = self._prepare_message_text(edited)["body"]
        # sudo: mail.message - the customer's own message is changed on LINE's request
        conversation.sudo()._message_update_content(message.sudo(), body)
        message.sudo().line_event_timestamp = self.event_timestamp
        self.message_id = message

    def _process_postback(self, data):
        identity = self._get_identity()
        conversation = self._get_conversation(identity)
        postback = data.get("postback") or {}
        self.message_id = conversation._line_notify(
            _("%(name)s chose an option (postback: %(data)s)", name=identity.name or _("A LINE user"),
              data=postback.get("data")))

    def _process_join(self, data):
        conversation = self._get_conversation(self.env["line.identity"])
        self.message_id = conversation._line_notify(_("The account joined this LINE chat."))

    def _process_leave(self, data):
        conversation = self._get_conversation(self.env["line.identity"])
        self.message_id = conversation._line_notify(_("The account left this LINE chat (or was removed)."))

    def _member_names(self, data, key):
        channel = self.channel_id
        names = []
        chat = {"group_id": self.line_chat_id} if self.source_type == "group" else {"room_id": self.line_chat_id}
        for member in (data.get(key) or {}).get("members") or []:
            identity, _created = self.env["line.identity"]._get_or_create(channel.provider_name, member.get("userId"))
            if key == "joined" and identity._needs_profile():
                identity._refresh_profile(channel, **chat)  # LINE names group members while they are in it
            names.append(identity.name)
        return ", ".join(names) or _("Someone")

    def _process_memberJoined(self, data):
        conversation = self._get_conversation(self.env["line.identity"])
        self.message_id = conversation._line_notify(
            _("%s joined the LINE chat.", self._member_names(data, "joined")))

    def _process_memberLeft(self, data):
        conversation = self._get_conversation(self.env["line.identity"])
        self.message_id = conversation._line_notify(
            _("%s left the LINE chat.", self._member_names(data, "left")))

    def _process_unsupported(self, data):
        """Types LINE may add at any time: kept raw, and said where they belong."""
        identity = self._get_identity() if self.line_user_id else self.env["line.identity"]
        conversation = self._get_conversation(identity) if (identity or self.line_chat_id) else None
        if conversation:
            self.message_id = conversation._line_notify(_("Unsupported LINE event %s", self.event_type))
