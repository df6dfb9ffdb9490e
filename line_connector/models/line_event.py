import hashlib
import json
import logging
import random
from datetime import datetime

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL

from .. import const
from ..exceptions import LineContentNotReady, LineCreateRace, LineEventWaits

_logger = logging.getLogger(__name__)

# The columns a webhook event is stored in, in the order of ``_prepare_row``.
_COLUMNS = ("channel_id", "webhook_event_id", "event_type", "message_type", "mode", "source_type", "line_user_id",
            "line_chat_id", "line_message_id", "image_set_id", "image_set_index", "image_set_total",
            "event_timestamp", "is_redelivery", "reply_token", "payload")


class LineEvent(models.Model):
    """Every event LINE delivered, stored once, raw, and processed asynchronously.

    The webhook only verifies and stores (LINE wants an answer within 2 seconds and
    redelivers what it does not get); a cron job woken at once hands each event to its
    handler (``line.inbound``), one transaction per event, oldest first.
    """

    _name = "line.event"
    _inherit = ["line.queue.mixin"]
    _description = "LINE Webhook Event"
    _queue_order = "event_timestamp, id"
    _queue_batch = const.EVENT_BATCH
    _queue_cron_xmlid = "line_connector.ir_cron_process_events"
    _queue_max_attempts = const.EVENT_MAX_ATTEMPTS
    _queue_retry_delays = const.EVENT_RETRY_DELAYS
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
    line_chat_id = fields.Char("LINE Group or Room ID", readonly=True)
    line_message_id = fields.Char(
        "LINE Message ID", readonly=True, index="btree_not_null",
        help="The LINE message the event is about: the message itself, or the one unsent or edited.")
    image_set_id = fields.Char(
        readonly=True, index="btree_not_null", help="Images a customer sent together share it.")
    image_set_index = fields.Integer(readonly=True, help="The image's place in its set, from 1.")
    image_set_total = fields.Integer(readonly=True, help="How many images the set has.")
    event_timestamp = fields.Float("LINE Timestamp (ms)", digits=(16, 0), readonly=True)
    event_date = fields.Datetime("Sent At", compute="_compute_event_date")
    is_redelivery = fields.Boolean(readonly=True)
    reply_token = fields.Char(readonly=True, copy=False)
    reply_token_used = fields.Boolean(readonly=True, copy=False)
    payload = fields.Text(readonly=True)
    state = fields.Selection(const.EVENT_STATES, default="new", required=True, index=True, readonly=True)
    conversation_id = fields.Many2one("discuss.channel", readonly=True, ondelete="set null")
    message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null")
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
        placeholders = ", ".join(["%s"] * len(_COLUMNS))
        values = SQL(", ").join(
            SQL("(%s, NULL, 'new', 0, %s, %s, %s, %s)", SQL(placeholders, *row), uid, now, uid, now)
            for row in rows
        )
        self.env.cr.execute(SQL("""
            INSERT INTO line_event (%s, next_attempt, state, attempts, create_uid, create_date, write_uid, write_date)
                 VALUES %s
            ON CONFLICT (webhook_event_id) DO NOTHING
              RETURNING id
        """, SQL(", ".join(_COLUMNS)), values))
        new_ids = [event_id for (event_id,) in self.env.cr.fetchall()]
        self.browse(new_ids)._queue_wake()
        if len(new_ids) < len(rows):
            _logger.info("LINE channel %s: %d duplicate event(s) ignored", channel.id, len(rows) - len(new_ids))
        return len(new_ids)

    @api.model
    def _prepare_row(self, channel, event):
        """The stored columns of one event, in the order of ``_COLUMNS``."""
        source, message, delivery = (
            value if isinstance(value, dict) else {}
            for value in (event.get("source"), event.get("message"), event.get("deliveryContext")))
        unsend = event.get("unsend") if isinstance(event.get("unsend"), dict) else {}
        image_set = message.get("imageSet") if isinstance(message.get("imageSet"), dict) else {}
        raw = json.dumps(event, ensure_ascii=False, sort_keys=True)
        event_id = event.get("webhookEventId") or "sha256:" + hashlib.sha256(
            f"{channel.id}:{raw}".encode()).hexdigest()
        standby = event.get("mode") == "standby"
        return (
            channel.id, event_id, event["type"], message.get("type"), event.get("mode"), source.get("type"),
            source.get("userId"), source.get("groupId") or source.get("roomId"),
            message.get("id") or unsend.get("messageId"),
            _text_or_none(image_set.get("id")), _int_or_zero(image_set.get("index")),
            _int_or_zero(image_set.get("total")),
            float(event.get("timestamp") or 0), bool(delivery.get("isRedelivery")),
            # A standby event must never be answered: its reply token is not kept.
            None if standby else event.get("replyToken"),
            raw,
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
        # Waiting for the rest of an image set, another transaction's new identity, or a retry after
        # a failure (until it is parked): the customer's later events wait for it, in order. A video
        # LINE is still preparing is already posted in its place and holds nothing back.
        return self.state == "new" and not self.content_pending

    def _queue_process_one(self):
        """Process one event; one bad event cannot block the others."""
        # The event itself was stored durably by the webhook, and its outcome (message, state) is
        # committed together: if PostgreSQL loses this commit in a crash, both are lost and the
        # event is processed again. No need to wait for the disk after each event.
        self.env.cr.execute("SET LOCAL synchronous_commit TO OFF")
        try:
            with self.env.cr.savepoint():
                self._process()
                if self.content_pending:  # posted in its place, in order; its file comes later
                    self._wait_for_content(LineContentNotReady(self.line_message_id))
                else:
                    self._queue_done()
        except LineContentNotReady as not_ready:
            self._wait_for_content(not_ready)
        except LineEventWaits:
            self._queue_wait(1)
        except (LineCreateRace, SerializationFailure):
            # Another transaction created the same identity or conversation, or changed a row this
            # one read: its work is visible to the next transaction. A lost race is no failure of
            # the event: tried again shortly (with jitter, so that racing jobs part), not counted.
            self._queue_wait(random.randint(*const.RACE_RETRY_SECONDS))
        except Exception as error:
            # Any failure is recorded on the event, retried, then parked: never raised.
            self._queue_retry(error)

    def _data(self):
        """The event as LINE sent it."""
        return json.loads(self.payload)

    def _wait_for_content(self, not_ready):
        """LINE is preparing a video or audio: look again soon, for a while, then count failures."""
        if (fields.Datetime.now() - self.create_date).total_seconds() > const.CONTENT_READY_TIMEOUT:
            self._queue_retry(not_ready)
        else:
            self._queue_wait(const.CONTENT_NOT_READY_DELAY)

    def _process(self):
        """Hand the event to its handler, and post what it says to post."""
        # Notes are written in the language of the channel's company, whatever the job's own.
        event = self.with_context(lang=self.channel_id._line_lang())
        post = event.env["line.inbound"]._handle(event, event._data())
        if post:
            self.message_id = event.conversation_id._line_apply_post(post)

    def action_reprocess(self):
        """Try failed events again (LINE managers, from the list of webhook events)."""
        self._queue_requeue()

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

    def _image_set_members(self):
        """The stored events of this event's image set, in the order the customer chose."""
        return self.search([("channel_id", "=", self.channel_id.id), ("image_set_id", "=", self.image_set_id),
                            ("line_user_id", "=", self.line_user_id)], order="image_set_index, id")


def _text_or_none(value):
    return value if isinstance(value, str) else None


def _int_or_zero(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# ----------------------------------------------------------------------
# Webhook bodies
# ----------------------------------------------------------------------

def parse_webhook_body(body):
    """Parse a webhook body tolerantly: LINE adds event types and fields without notice.

    :return: dict with ``destination`` and ``events`` (a list of dicts)
    :raise ValueError: the body is not JSON, or not shaped like LINE's webhook body
    """
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError("The body is not valid JSON") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ValueError("The body is not a LINE webhook: 'events' must be a list")
    for index, event in enumerate(payload["events"]):
        problem = _event_shape_problem(event)
        if problem:
            raise ValueError(f"events[{index}]: {problem}")
    return payload


def _event_shape_problem(event):
    """What makes ``event`` unstorable, or None. Only the fields stored in their own columns are
    checked; the rest is kept raw and read tolerantly when the event is processed."""
    if not isinstance(event, dict) or not isinstance(event.get("type"), str) or not event["type"]:
        return "every LINE event must be an object with a 'type'"
    for key in ("webhookEventId", "mode", "replyToken"):
        if event.get(key) is not None and not isinstance(event[key], str):
            return f"'{key}' must be a string"
    timestamp = event.get("timestamp")
    if timestamp is not None and (isinstance(timestamp, bool) or not isinstance(timestamp, (int, float))):
        return "'timestamp' must be a number of milliseconds"
    for key, names in (("source", ("type", "userId", "groupId", "roomId")), ("message", ("id", "type")),
                       ("unsend", ("messageId",)), ("deliveryContext", ())):
        value = event.get(key)
        if value is None or (key == "message" and not isinstance(value, dict)):
            continue  # a message that is no object is stored, and fails visibly when processed
        if not isinstance(value, dict):
            return f"'{key}' must be an object"
        for name in names:
            if value.get(name) is not None and not isinstance(value[name], str):
                return f"'{key}.{name}' must be a string"
    return None
