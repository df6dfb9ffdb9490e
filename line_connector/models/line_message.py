import json
import logging
import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models

from odoo.addons.mail.tools.discuss import Store

from .. import const, utils
from ..tools import line_api
from ..tools.line_text import html_to_line_text
from .line_channel_check import quota_used

_logger = logging.getLogger(__name__)


class LineMessage(models.Model):
    """The ledger of what Odoo sends to LINE: one row per part of a Discuss message (at most 5
    LINE messages), sent alone or with the rows posted right after it (line_message_send.py).

    A row is created when an operator posts in a LINE conversation and sent by a cron job
    woken at once, so that the operator never waits on LINE. Its retry key is made before
    the first attempt and reused on every retry, so LINE delivers it once at most.
    """

    _name = "line.message"
    _inherit = ["line.queue.mixin"]
    _description = "LINE Outgoing Message"
    _queue_state = "queued"
    _queue_batch = const.SEND_BATCH
    _queue_cron_xmlid = "line_connector.ir_cron_send_messages"
    _queue_max_attempts = const.SEND_MAX_ATTEMPTS
    _queue_retry_delays = const.SEND_RETRY_DELAYS
    _queue_done_state = "sent"
    _order = "id desc"

    conversation_id = fields.Many2one("discuss.channel", required=True, index=True,
                                      ondelete="cascade")
    channel_id = fields.Many2one("line.channel", "LINE Channel", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="channel_id.company_id")
    mail_message_id = fields.Many2one("mail.message", "Discuss Message", index=True, ondelete="cascade")
    # Indexed: the marks shown with every message look their row up by it (mail_notification.py).
    notification_id = fields.Many2one("mail.notification", index="btree_not_null", ondelete="set null")
    recipient = fields.Char("To", required=True, help="LINE user, group or room ID.")
    payload = fields.Text("LINE Messages", required=True, help="The message objects sent, as JSON.")
    state = fields.Selection(const.OUTBOUND_STATES, default="queued", required=True, index=True)
    method = fields.Selection(const.SEND_METHODS, readonly=True)
    retry_key = fields.Char(required=True, readonly=True, copy=False, default=lambda self: str(uuid.uuid4()))
    retry_key_date = fields.Datetime(default=fields.Datetime.now, readonly=True, copy=False)
    retry_key_used = fields.Boolean(
        readonly=True, copy=False, help="A request went to LINE with this retry key: a resend sends the same rows.")
    request_id = fields.Char("LINE Request ID", readonly=True, copy=False)
    sent_message_ids = fields.Char("LINE Message IDs", readonly=True, copy=False)
    sent_date = fields.Datetime(readonly=True, copy=False)
    failure_type = fields.Selection(const.FAILURE_TYPES, readonly=True)
    reply_event_id = fields.Many2one(
        "line.event", "Reply To", readonly=True, ondelete="set null",
        help="The event whose reply token this message used or tried.")

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    def _enqueue(self, conversation, message):
        """Queue what an operator posted in a LINE conversation; refuse at once what LINE would refuse."""
        chunks = self._prepare_line_messages(message)
        if not chunks:
            return self
        recipient = conversation.line_chat_id or conversation.line_identity_id.line_user_id
        parts = list(utils.chunks(chunks, const.MAX_MESSAGES_PER_REQUEST))
        notifications = self._create_notifications(conversation, message, len(parts))
        vals_list = [{
            "conversation_id": conversation.id,
            "channel_id": conversation.line_channel_id.id,
            "mail_message_id": message.id,
            "notification_id": notification.id,
            "recipient": recipient,
            "payload": json.dumps(chunk, ensure_ascii=False),
        } for chunk, notification in zip(parts, notifications, strict=True)]
        # sudo: line.message - the ledger is the integration's, operators only see it through messages
        records = self.sudo().create(vals_list)
        problem = records[:1]._precheck()
        if problem:
            for record in records:
                record._fail(*problem, notify=False)
        else:
            records._queue_wake()
        return records

    @api.model
    def _create_notifications(self, conversation, message, count):
        """A LINE notification per request on the Discuss message: it carries the sent/failed mark."""
        # sudo: mail.notification - the marks are the integration's
        return self.env["mail.notification"].sudo().create([{
            "mail_message_id": message.id,
            "notification_type": "line",
            "notification_status": "ready",
            "res_partner_id": conversation.line_identity_id.partner_id.id,
            "author_id": message.author_id.id,
        }] * count)

    def _precheck(self):
        """Reasons LINE would refuse, known without asking: (failure_type, text) or None.

        Checked when the message is queued, again right before it is sent and on Resend: LINE
        answers 200 to a push to a customer who blocked the account, and delivers nothing.
        """
        refusal = self.conversation_id._line_get_refusal()
        if refusal:
            return refusal
        channel = self.channel_id
        if channel.quota_type == "limited" and channel.quota_limit:
            used = quota_used(channel)
            if used >= channel.quota_limit and not self._free_reply_event():
                return "line_quota", self.env._(
                    "This month's LINE message quota is spent (%(used)s of %(limit)s): LINE accepts no push "
                    "message until next month. Replies within a minute of the customer's message are free.",
                    used=used, limit=channel.quota_limit)
        return None

    # ------------------------------------------------------------------
    # What an Odoo message becomes on LINE
    # ------------------------------------------------------------------

    @api.model
    def _prepare_line_messages(self, message):
        """LINE message objects for a Discuss message: text (split under LINE's limit), images
        as images, other files as links (bots cannot send files)."""
        if message.line_sticker:
            package_id, sticker_id = message.line_sticker.split(":")
            return [{"type": "sticker", "packageId": package_id, "stickerId": sticker_id}]
        objects = []
        text = html_to_line_text(message.body or "", message.get_base_url())
        links = []
        for attachment in message.attachment_ids.sorted("id"):
            line_object = self._prepare_attachment(attachment)
            if line_object:
                objects.append(line_object)
            else:
                links.append(f"{attachment.name}: {self._attachment_url(attachment, download=True)}")
        if links:
            text = "\n".join(filter(None, [text, *links]))
        texts = [{"type": "text", "text": part} for part in utils.split_text(text, const.MAX_TEXT_UTF16_UNITS)]
        return texts + objects

    @api.model
    def _attachment_url(self, attachment, download=False, size=None):
        # sudo: ir.attachment - the access token is what lets LINE fetch the file without a session
        token = attachment.sudo().generate_access_token()[0]
        base = attachment.get_base_url()
        if size:
            return f"{base}/web/image/{attachment.id}/{size}x{size}?access_token={token}"
        suffix = "&download=true" if download else ""
        return f"{base}/web/content/{attachment.id}?access_token={token}{suffix}"

    @api.model
    def _prepare_attachment(self, attachment):
        """The LINE message for an attachment LINE takes as an image, a video or an audio, or
        None: it goes as a download link (bots cannot send files, LINE takes only JPEG/PNG images
        up to 10 MB, mp4 videos and m4a/mp3 audio up to 200 MB)."""
        kind = attachment._line_media_type()
        if kind == "image":
            # Odoo scales the preview down to PREVIEW_SIZE px, well under LINE's 1 MB.
            return {
                "type": "image",
                "originalContentUrl": self._attachment_url(attachment),
                "previewImageUrl": self._attachment_url(attachment, size=const.PREVIEW_SIZE),
            }
        if kind == "video":
            # LINE shows a preview image before the video plays; Odoo has no frame of it to offer.
            return {
                "type": "video",
                "originalContentUrl": self._attachment_url(attachment),
                "previewImageUrl": f"{attachment.get_base_url()}{const.VIDEO_PREVIEW_PATH}",
            }
        if kind == "audio":
            return {
                "type": "audio",
                "originalContentUrl": self._attachment_url(attachment),
                "duration": attachment._line_audio_duration(),
            }
        return None

    # ------------------------------------------------------------------
    # Sending (cron)
    # ------------------------------------------------------------------

    @api.model
    def _cron_send(self):
        self._cron_process_queue()

    def _queue_sequence(self):
        # A conversation's messages reach LINE in the order they were posted.
        return self.conversation_id.id

    def _queue_waiting(self):
        # Unlike an event, a message waiting for its retry holds back the later messages of its
        # conversation (a message's second part too): LINE shows them in the order it gets them.
        return self.state == self._queue_state

    def _fail(self, failure_type, reason, notify=True, request_id=None):
        """Mark failed with a reason a person understands (and LINE's request ID, when LINE answered)."""
        vals = {"failure_type": failure_type}
        if request_id:
            vals["request_id"] = request_id
        self._queue_park(reason, **vals)
        self._forget_reply_token()
        self.notification_id.sudo().write({
            "notification_status": "exception", "failure_type": failure_type, "failure_reason": reason})
        if notify:
            self._notify_marks()

    @api.model
    def _explain(self, error):
        """LINE's refusal in words an operator understands: (failure_type, text)."""
        if isinstance(error, line_api.LineQuotaError):
            return "line_quota", self.env._("This month's LINE message quota is spent: LINE accepts no push message "
                                   "until next month (or a plan change in LINE Official Account Manager).")
        if isinstance(error, line_api.LineAuthError):
            return "line_auth", self.env._("LINE refused the channel's credentials: a LINE manager must check the "
                                  "channel (Discuss > Configuration > LINE Channels).")
        if isinstance(error, line_api.LineInvalidRequestError):
            return "line_invalid", self.env._("LINE refused the message: %s", error)
        if error.retryable:
            return "line_error", self.env._("LINE could not be reached after %(attempts)s attempts: %(error)s",
                                   attempts=self.attempts, error=error)
        return "line_invalid", self.env._("LINE refused the message: %s", error)

    def _notify_marks(self):
        """Tell the authors of these rows' messages, and the user acting, that their LINE marks
        changed (sent, failed), in one bus notification each: the marks that turned sent, and the
        messages that failed with their marks.

        Odoo's ``_notify_message_notification_update`` builds the marks again for each person it
        tells, and tells the current user: in the sending job, OdooBot, whom nobody reads.
        """
        messages = self.mail_message_id
        self.notification_id.mapped("line_sent_date")  # computed at once for all (a store adds them one by one)
        by_partner = {}
        for message in messages:
            by_partner.setdefault(message.author_id, self.env["mail.message"])
            by_partner[message.author_id] |= message
        if self.env.uid != SUPERUSER_ID:  # a person acting (Disconnect) sees the marks change too
            by_partner[self.env.user.partner_id] = messages.filtered(
                lambda message: self.env[message.model].browse(message.res_id).has_access("read"))
        failures = self.filtered(lambda row: row.state == "failed").mail_message_id
        for partner, partner_messages in by_partner.items():
            if partner:
                store = Store()
                # A failure shows in the messaging menu too: the whole message, as Odoo sends it.
                failed = partner_messages & failures
                failed._message_notifications_to_store(store)
                # A mark turning sent changes nothing else: the mark alone (the message is on screen).
                store.add(self.notification_id & (partner_messages - failed).notification_ids)
                partner._bus_send_store(store)

    @api.model
    def _resend_in(self, conversation, message_id):
        """Resend a Discuss message of ``conversation`` that LINE did not take (its members may)."""
        # sudo: line.message - the ledger is the integration's; a member may resend in their conversation
        ledger = self.sudo().search([
            ("conversation_id", "=", conversation.id), ("mail_message_id", "=", message_id), ("state", "=", "failed")])
        ledger.action_resend()
        ledger.mail_message_id._notify_message_notification_update()
        return bool(ledger)

    def action_resend(self):
        """Send failed messages again; the retry key is kept while LINE still honours it (24 h).

        A reply token once tried is not tried again: the message is pushed with its retry key.
        What LINE would refuse (the customer blocked the account since...) fails again at once.
        """
        expired = fields.Datetime.now() - timedelta(hours=const.RETRY_KEY_TTL_HOURS)
        # The rows sent together are sent again together (they share the retry key).
        bundles = self.search([("retry_key", "in", self.mapped("retry_key")), ("state", "=", "failed")])
        for record in (self | bundles).filtered(lambda r: r.state == "failed").sorted("id"):
            problem = record._precheck()
            if problem:
                record._fail(*problem, notify=False)
                continue
            vals = {"failure_type": False, "reply_event_id": False}
            if record.retry_key_date < expired:
                vals.update(retry_key=str(uuid.uuid4()), retry_key_date=fields.Datetime.now(), retry_key_used=False)
            record._queue_requeue(**vals)
            record.notification_id.sudo().write({"notification_status": "ready", "failure_type": False,
                                                 "failure_reason": False})
