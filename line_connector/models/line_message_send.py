import json
import logging
from datetime import timedelta

from odoo import api, fields, models

from .. import const
from ..exceptions import LineQueueLockLost, LineReplyUnconfirmed
from ..tools import line_api

_logger = logging.getLogger(__name__)


class LineMessage(models.Model):
    """Sending a queued request to LINE: reply while a reply token is free, else push, once.

    The requests an operator posted one after the other in a conversation go to LINE as one
    request of at most five message objects (a *bundle*): LINE delivers them in order and counts
    one message against the monthly quota for a push, whatever the number of its bubbles. A
    bundle is made at its first attempt and kept for every retry: its rows share the first one's
    retry key, so that a retry sends exactly what LINE may have accepted.
    """

    _inherit = "line.message"

    def _queue_process_one(self):
        # The customer may have blocked the account since the message was queued.
        problem = self._precheck()
        if problem:
            self._fail(*problem)
            return None
        bundle = self._bundle()
        # What LINE will fetch (attachment tokens) is written first.
        self.env.flush_all()
        try:
            result = self._send(bundle)
        except LineReplyUnconfirmed as unconfirmed:
            for row in bundle:
                row._fail("line_error", str(unconfirmed), notify=False, request_id=unconfirmed.__cause__.request_id)
            bundle._notify_marks()
        except line_api.LineError as error:
            self._on_error(bundle, error)
        else:
            self._on_sent(bundle, result)
        return bundle - self

    # ------------------------------------------------------------------
    # Bundles
    # ------------------------------------------------------------------

    def _bundle(self):
        """This row and the rows sent with it, in order, all locked by this transaction."""
        self.ensure_one()
        if self.attempts or self.retry_key_used:  # made at the first attempt: the rows sharing its retry key
            rows = self.search([("retry_key", "=", self.retry_key), ("state", "=", self._queue_state),
                                ("id", ">", self.id)], order="id")
            for row in rows:
                if not row._queue_lock():  # never send part of what LINE may have accepted
                    raise LineQueueLockLost(self._name, row.id)
            return self | rows
        bundle, count = self, len(json.loads(self.payload))
        later = self.search([("conversation_id", "=", self.conversation_id.id), ("state", "=", self._queue_state),
                             ("id", ">", self.id)], order="id", limit=const.MAX_MESSAGES_PER_REQUEST)
        for row in later:
            size = len(json.loads(row.payload))
            if (row.attempts or row.retry_key_used or row.next_attempt or count + size > const.MAX_MESSAGES_PER_REQUEST
                    or bundle[-1]._ends_with_quick_reply() or not row._queue_lock()):
                break
            bundle, count = bundle | row, count + size
        if len(bundle) > 1:
            (bundle - self).write({"retry_key": self.retry_key, "retry_key_date": self.retry_key_date})
        return bundle

    def _ends_with_quick_reply(self):
        # LINE shows quick-reply buttons only under the last message of a request.
        return bool(json.loads(self.payload)[-1].get("quickReply"))

    # ------------------------------------------------------------------
    # Reply or push
    # ------------------------------------------------------------------

    def _free_reply_event(self):
        """The newest inbound event of this conversation whose reply token is unused and fresh."""
        fresh = fields.Datetime.now() - timedelta(seconds=const.REPLY_TOKEN_TTL)
        return self.env["line.event"].search([
            ("conversation_id", "=", self.conversation_id.id), ("reply_token", "!=", False),
            ("reply_token_used", "=", False), ("create_date", ">=", fresh),
        ], order="event_timestamp desc", limit=1)

    def _send(self, bundle):
        """Reply while a fresh reply token is free (it costs nothing), else push with the retry key.

        A reply has no retry key: when LINE may have delivered a reply without saying so (a
        read timeout), the same token is tried again; LINE refusing it then means the first
        attempt used it, and the message is marked failed for a person to check, never pushed
        a second time.
        """
        client = self.channel_id._line_client()
        messages = [message for row in bundle for message in json.loads(row.payload)]
        # a reply is an attempt too: the delay before the next one depends on it
        bundle.write({"attempts": self.attempts + 1, "retry_key_used": True})
        if self.reply_event_id:  # the previous reply attempt may have been delivered
            try:
                return dict(client.reply(self.reply_event_id.reply_token, messages), method="reply")
            except line_api.LineInvalidRequestError as error:
                raise LineReplyUnconfirmed(self.env._(
                    "LINE did not confirm the reply and its reply token is now used or expired: the "
                    "customer may have received it. Check with them before sending it again.")) from error
        event = self._free_reply_event() if self.attempts == 1 else self.env["line.event"]
        if event:
            self._take_reply_token(event, bundle)
            try:
                return dict(client.reply(event.reply_token, messages), method="reply", reply_event=event)
            except line_api.LineNetworkError as error:
                if error.maybe_delivered:
                    raise
                _logger.info("LINE reply for message %s not sent (%s): pushing", self.id, error)
            except (line_api.LineInvalidRequestError, line_api.LineServerError, line_api.LineRateLimitError) as error:
                # Not delivered (the token expired, or LINE failed before sending): push instead.
                _logger.info("LINE reply for message %s not used (%s): pushing", self.id, error)
            self.reply_event_id = False  # the push below is the message; later attempts push again
        return dict(client.push(self.recipient, messages, retry_key=self.retry_key), method="push")

    def _take_reply_token(self, event, bundle=None):
        """Mark the reply token used, and this message as trying it, and commit, before calling LINE.

        A reply has no retry key: had a run rolled back after LINE accepted the reply, the token
        would look free again, LINE would refuse it as used, and the message would be pushed a
        second time. Committed, the next run knows a reply may have been delivered (see _send),
        and which rows it carried (they share the retry key).
        """
        event.reply_token_used = True  # single use, whatever LINE answers
        self.reply_event_id = event
        self._queue_checkpoint(taken=(bundle or self) - self)

    # ------------------------------------------------------------------
    # Outcome
    # ------------------------------------------------------------------

    def _on_sent(self, bundle, result):
        sent = [str(m.get("id")) for m in result.get("sent_messages") or []]
        reply_event = result.get("reply_event", self.reply_event_id)
        for row in bundle:
            size = len(json.loads(row.payload))
            row._queue_done(
                counted=False, method=result["method"], reply_event_id=reply_event.id,
                request_id=result.get("request_id"), sent_message_ids=",".join(sent[:size]),
                sent_date=fields.Datetime.now(), failure_type=False)
            sent = sent[size:]
        self._forget_reply_token()
        bundle.notification_id.sudo().write({"notification_status": "sent", "failure_type": False,
                                             "failure_reason": False})
        bundle._notify_marks()

    def _on_error(self, bundle, error):
        """A passing failure is retried with the same retry key while LINE honours it (24 h)."""
        key_valid = self.retry_key_date > fields.Datetime.now() - timedelta(hours=const.RETRY_KEY_TTL_HOURS)
        if error.retryable and key_valid and self.attempts < self._queue_max_attempts:
            _logger.info("LINE message %s: attempt %d failed (request %s)", self.id, self.attempts, error.request_id)
            self._queue_retry(str(error), counted=False)  # counted when sent
            # the rows sent together are due together
            (bundle - self).write({"next_attempt": self.next_attempt, "error": self.error})
            return
        failure = self._explain(error)
        for row in bundle:
            row._fail(*failure, notify=False, request_id=error.request_id)
        bundle._notify_marks()

    def _forget_reply_token(self):
        """Single use: once this message is sent or failed, its event's reply token is erased."""
        if self.reply_event_id.reply_token:
            self.reply_event_id.reply_token = False

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
