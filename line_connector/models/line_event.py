import json
import logging
import random
from datetime import datetime

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from .. import const
from ..exceptions import LineContentNotReady, LineCreateRace, LineEventWaits
from ..tools import webhook_body

_logger = logging.getLogger(__name__)

# The columns a webhook event is stored in, in the order of ``_prepare_row``.
_COLUMNS = ("channel_id", "webhook_event_id", "event_type", "message_type", "mode", "source_type", "line_user_id",
            "line_chat_id", "line_message_id", "image_set_id", "image_set_index", "image_set_total",
            "event_timestamp", "is_redelivery", "reply_token", "payload", "state", "error")
_KEY = _COLUMNS.index("webhook_event_id")


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
    # Indexed: the queue and Webhook Events are ordered by it (the first page stays one index scan).
    event_timestamp = fields.Float("LINE Timestamp (ms)", digits=(16, 0), readonly=True, index=True)
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
    def _store_webhook(self, channel, body):
        """Store what a signed webhook body holds. The webhook's transaction has only read so far.

        Odoo runs REPEATABLE READ: an insert meeting an event another transaction committed after
        this one's snapshot (the same event, delivered twice at once) fails. The body is then
        stored again at once, in a new snapshot that sees that event: LINE gets its answer now,
        not after Odoo's own retries.

        :return: the number of new events
        :raise webhook_body.NotLineBody: the body is not LINE's
        """
        for _attempt in range(const.WEBHOOK_STORE_TRIES - 1):
            try:
                with mute_logger("odoo.sql_db"):
                    return self._store_body(channel, body)
            except SerializationFailure:
                self.env.cr.rollback()
        return self._store_body(channel, body)

    @api.model
    def _store_body(self, channel, body):
        try:
            events = webhook_body.parse(body)
        except webhook_body.UnreadableBody as unreadable:
            # Stored raw as one event of its own, parked: a person can look at it.
            values = webhook_body.unreadable_body_columns(body, channel.id)
            return self._insert_rows(channel, [self._row(channel, values, self._unreadable_text(unreadable.reason))])
        return self._store(channel, events)

    @api.model
    def _store(self, channel, events):
        """Store the events of one webhook body, each at most once, and wake the processor.

        Whatever an event holds, it is stored: one Odoo cannot understand is made storable and
        parked at once with the reason, as are the events of a disconnected (archived) channel;
        the others of the body go on.

        :return: the number of events that were new
        """
        if not events:
            return 0
        return self._insert_rows(channel, [self._prepare_row(channel, event) for event in events])

    @api.model
    def _insert_rows(self, channel, rows):
        # A redelivery of a stored event is left alone: inserting it again would wait for the
        # transaction processing the event, and fail after it (see _store_webhook).
        self.flush_model(["webhook_event_id"])
        self.env.cr.execute(SQL("SELECT webhook_event_id FROM line_event WHERE webhook_event_id = ANY(%s)",
                                [row[_KEY] for row in rows]))
        stored = {key for (key,) in self.env.cr.fetchall()}
        new_rows, new = [row for row in rows if row[_KEY] not in stored], []
        if new_rows:
            now, uid = fields.Datetime.now(), self.env.uid
            placeholders = ", ".join(["%s"] * len(_COLUMNS))
            values = SQL(", ").join(SQL("(%s, NULL, 0, %s, %s, %s, %s)", SQL(placeholders, *row), uid, now, uid, now)
                                    for row in new_rows)
            # The processing jobs' triggers are written by the same query (see _queue_trigger_query).
            queued_ids = SQL("SELECT id FROM inserted WHERE state = %s", self._queue_state)
            self.env.cr.execute(SQL("""
                WITH inserted AS (
                    INSERT INTO line_event (%s, next_attempt, attempts, create_uid, create_date, write_uid, write_date)
                         VALUES %s
                    ON CONFLICT (webhook_event_id) DO NOTHING
                      RETURNING id, state
                ), woken AS (%s)
                SELECT id, state FROM inserted
            """, SQL(", ".join(_COLUMNS)), values, self._queue_trigger_query(queued_ids)))
            new = self.env.cr.fetchall()
        queued = sum(1 for _event_id, state in new if state == self._queue_state)
        if queued:
            self._queue_notify()
        if queued < len(new):
            _logger.info("LINE channel %s: %d event(s) parked on arrival (not understood, or the channel is "
                         "disconnected)", channel.id, len(new) - queued)
        if len(new) < len(rows):
            _logger.info("LINE channel %s: %d duplicate event(s) ignored", channel.id, len(rows) - len(new))
        return len(new)

    @api.model
    def _prepare_row(self, channel, event):
        """The stored columns of one event, in the order of ``_COLUMNS``."""
        values, problems = webhook_body.read_event(event, channel.id)
        return self._row(channel, values, self._problems_text(problems) if problems else None)

    @api.model
    def _row(self, channel, values, error):
        """A row to store: parked at once (state failed, attempts 0) when there is an error."""
        error = error or (None if channel.active else const.EVENT_DISCONNECTED_REASON)
        values = dict(values, channel_id=channel.id, state=self._queue_failed_state if error else self._queue_state,
                      error=error)
        return tuple(values[column] for column in _COLUMNS)

    @api.model
    def _problems_text(self, problems):
        """What made an event impossible to understand, in words (``webhook_body.event_problems``)."""
        texts = {
            "not_event": lambda _field: self.env._("it is not an object with a type"),
            "type": lambda field: self.env._("'%s' is not of the type LINE sends", field),
            "characters": lambda field: self.env._(
                "'%s' holds characters LINE never sends (NUL, lone surrogates), replaced by U+FFFD", field),
            "too_long": lambda field: self.env._(
                "'%(field)s' is longer than %(max)s characters (its column keeps the start)",
                field=field, max=const.WEBHOOK_COLUMN_MAX_CHARS),
            "range": lambda field: self.env._(
                "'%s' is not a number Odoo can store (NaN, Infinity or out of range)", field),
            "depth": lambda _field: self.env._(
                "it is nested %s levels deep or more (what is deeper is not kept)", const.WEBHOOK_MAX_DEPTH),
        }
        return self.env._("Not processed: Odoo cannot understand this event as LINE sent it: %s.",
                          "; ".join(texts[kind](field) for kind, field in problems))

    @api.model
    def _unreadable_text(self, reason):
        if reason == "depth":
            return self.env._(
                "Not processed: Odoo cannot read this webhook body, nested deeper than Python reads. It is "
                "kept as LINE sent it, up to %s characters.", const.WEBHOOK_UNREADABLE_MAX_CHARS)
        return self.env._(
            "Not processed: Odoo cannot read this webhook body, which holds a number of more digits than "
            "Python reads. It is kept as LINE sent it, up to %s characters.", const.WEBHOOK_UNREADABLE_MAX_CHARS)

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
        event = self.with_context(lang=self._notes_lang())
        post = event.env["line.inbound"]._handle(event, event._data())
        if post:
            self.message_id = event.conversation_id._line_apply_post(post)
            for note in post.notes:
                event.conversation_id._line_notify(note)

    def _notes_lang(self):
        """The language of the channel's company (a shared channel's: the company of its new customers)."""
        channel = self.channel_id
        lang = (channel.company_id or channel.default_company_id or self.env.company).partner_id.lang
        return lang if lang and self.env["res.lang"]._lang_get(lang) else self.env.lang

    def action_reprocess(self):
        """Try failed events again (LINE managers, from the list of webhook events). An event Odoo
        could not understand when it arrived stays parked, with its reason: processing it could
        only go wrong."""
        # Those of a disconnected channel wait for it to be connected again (which reprocesses them).
        kept = self.filtered(lambda event: not event.channel_id.active or event._stored_problems())
        (self - kept)._queue_requeue()
        if not kept:
            return True
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "warning", "sticky": True, "next": {"type": "ir.actions.act_window_close"},
            "message": self.env._("%s event(s) stay parked: Odoo cannot understand them as LINE sent them, or "
                                  "their LINE channel is disconnected (see their error).", len(kept))}}

    def _stored_problems(self):
        """What made this event impossible to understand when it arrived, found again in its payload."""
        if self.event_type == const.EVENT_TYPE_UNREADABLE:
            return [("unreadable", None)]
        try:
            return webhook_body.event_problems(json.loads(self.payload))
        except (ValueError, RecursionError):
            return [("unreadable", None)]

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
