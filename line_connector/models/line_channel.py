import base64
import hashlib
import hmac
import logging
import secrets
import time
from datetime import datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const
from ..tools import line_api
from .line_channel_check import Blocking, ChannelCheck

_logger = logging.getLogger(__name__)

MANAGER = "line_connector.group_line_manager"

_signature_warnings = {}  # channel id -> monotonic time of the last warning


def _new_webhook_token(_model=None):
    return secrets.token_urlsafe(const.WEBHOOK_TOKEN_BYTES)


class LineChannel(models.Model):
    """A LINE Official Account's Messaging API channel connected to Odoo."""

    _name = "line.channel"
    _description = "LINE Channel"
    _order = "sequence, name, id"

    name = fields.Char(required=True, help="How this Official Account is called in Odoo.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    scope = fields.Selection(
        const.CHANNEL_SCOPES, required=True, default="company",
        help="One company: only that company's users see this channel and its conversations.\n"
             "All companies: one Official Account serves every company of this database.")
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, index=True,
        help="The company this channel belongs to; empty for a channel shared by all companies.")

    # Credentials (LINE Developers Console > channel > Basic settings / Messaging API).
    channel_number = fields.Char(
        "Channel ID", required=True, groups=MANAGER,
        help="LINE Developers Console > your channel > Basic settings > Channel ID (a number LINE gives).")
    channel_secret = fields.Char(
        groups=MANAGER, copy=False,
        help="LINE Developers Console > your channel > Basic settings > Channel secret.")
    access_token = fields.Char(
        "Long-lived Access Token", groups=MANAGER, copy=False,
        help="Optional. Without it, Odoo issues short stateless tokens from the Channel ID and "
             "secret whenever it needs one, and never stores them.")
    api_url = fields.Char(
        "API Base URL", required=True, default=const.DEFAULT_API_URL, groups=MANAGER,
        help="Change only to point this channel at a LINE platform emulator.")
    data_url = fields.Char(
        "Content API Base URL", required=True, default=const.DEFAULT_DATA_URL, groups=MANAGER,
        help="Change only to point this channel at a LINE platform emulator.")
    provider_name = fields.Char(
        "Provider", required=True, default="Default provider",
        help="The LINE provider this channel belongs to (LINE Developers Console). LINE gives "
             "each person one user ID per provider: channels of the same provider share customers.")

    responsible_user_ids = fields.Many2many(
        "res.users", "line_channel_responsible_rel", "channel_id", "user_id", "Responsible Users",
        default=lambda self: self._default_responsible_users(), domain=[("share", "=", False)],
        help="They join every new LINE conversation of this channel and are notified of it.")
    reply_window_days = fields.Integer(
        "Reply Window (days)", default=0,
        help="0: answer customers at any time (LINE lets a channel push to its friends). N: only answer "
             "customers who wrote in the last N days, as some businesses require.")
    event_ids = fields.One2many("line.event", "channel_id", "Webhook Events")
    failed_event_count = fields.Integer(compute="_compute_failed_event_count")

    # Webhook (LINE Developers Console > Messaging API > Webhook settings).
    webhook_token = fields.Char(
        groups=MANAGER, copy=False, readonly=True, default=_new_webhook_token, index="btree_not_null")
    webhook_url = fields.Char(
        "Webhook URL", compute="_compute_webhook_url", groups=MANAGER,
        help="Paste this URL in LINE Developers Console > Messaging API > Webhook URL, or use "
             "'Register webhook'.")

    # What LINE says about the bot (filled by "Check connection").
    bot_user_id = fields.Char("Bot User ID", readonly=True, copy=False, index="btree_not_null")
    bot_basic_id = fields.Char("Basic ID", readonly=True, copy=False)
    bot_display_name = fields.Char("Bot Name", readonly=True, copy=False)
    bot_picture_url = fields.Char("Bot Picture", readonly=True, copy=False)
    chat_mode = fields.Selection(
        [(const.CHAT_MODE_CHAT, "Chat on"), (const.CHAT_MODE_BOT, "Chat off (bot)")],
        readonly=True, copy=False)
    webhook_registered_url = fields.Char("Webhook at LINE", readonly=True, copy=False, groups=MANAGER)
    webhook_active = fields.Boolean("Use webhook", readonly=True, copy=False)
    quota_type = fields.Selection(
        [("none", "Unlimited"), ("limited", "Limited")], "Quota", readonly=True, copy=False)
    quota_limit = fields.Integer("Monthly Quota", readonly=True, copy=False)
    # What LINE counted at the last check, plus the pushes sent since: sending never writes
    # this row (two sending jobs would collide on it, and with the assignment's lock).
    quota_checked_used = fields.Integer("Used at Last Check", readonly=True, copy=False)
    quota_checked_date = fields.Datetime("Quota Checked", readonly=True, copy=False)
    quota_used = fields.Integer(
        "Sent This Month", compute="_compute_quota_used",
        help="Counted by LINE at the last check, plus the pushes Odoo sent since.")
    check_state = fields.Selection(
        const.CHECK_STATES, "Connection", default="unchecked", readonly=True, copy=False)
    check_date = fields.Datetime("Last Checked", readonly=True, copy=False)
    check_report = fields.Html(readonly=True, copy=False, sanitize=True, groups=MANAGER)

    _sql_constraints = [
        ("webhook_token_unique", "UNIQUE(webhook_token)", "Each LINE channel needs its own webhook URL."),
    ]

    def _default_responsible_users(self):
        if self.env.user._is_superuser() or self.env.user.share:
            return self.env.ref("base.user_admin", raise_if_not_found=False) or self.env["res.users"]
        return self.env.user

    @api.constrains("responsible_user_ids")
    def _check_responsible_users(self):
        for channel in self:
            if not channel.responsible_user_ids:
                raise ValidationError(self.env._(
                    "LINE channel %s needs at least one responsible user: someone must "
                    "see new conversations.", channel.name))

    def _compute_failed_event_count(self):
        counts = dict(self.env["line.event"]._read_group(
            [("channel_id", "in", self.ids), ("state", "=", "failed")], ["channel_id"], ["__count"]))
        for channel in self:
            channel.failed_event_count = counts.get(channel, 0)

    @api.constrains("scope", "company_id")
    def _check_scope_company(self):
        for channel in self:
            if channel.scope == "company" and not channel.company_id:
                raise ValidationError(self.env._(
                    "Choose the company of LINE channel %s, or share it with all companies.", channel.name))

    @api.onchange("scope")
    def _onchange_scope(self):
        if self.scope == "shared":
            self.company_id = False
        elif not self.company_id:
            self.company_id = self.env.company

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("scope") == "shared":
                vals["company_id"] = False
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("scope") == "shared":
            vals["company_id"] = False
        return super().write(vals)

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        base_url = self.get_base_url()
        for channel in self:
            token = channel.webhook_token
            channel.webhook_url = f"{base_url}{const.WEBHOOK_ROUTE}/{token}" if token else False

    # ------------------------------------------------------------------
    # Webhook
    # ------------------------------------------------------------------

    @api.model
    def _get_by_webhook_token(self, token):
        """The channel of a webhook URL, disconnected (archived) ones included: LINE keeps sending
        to them, and what it sends is kept."""
        if not token:
            return self.browse()
        # The webhook's hot path: one query, with what the signature check and the storing read.
        channel = self.with_context(active_test=False).search_fetch(
            [("webhook_token", "=", token)], ["channel_secret", "active"], limit=1)
        return channel.with_env(self.env)

    def _receive_webhook(self, body, signature):
        """Verify a webhook body and store its events. ``events: []`` is LINE's verification call.

        A disconnected (archived) channel verifies and stores too: its events are parked at once
        with ``const.EVENT_DISCONNECTED_REASON``, to be processed when it is connected again.

        :return: the number of new events, or None when the signature is wrong
        :raise webhook_body.NotLineBody: the body is not LINE's
        """
        self.ensure_one()
        if not self._verify_signature(body, signature):
            return None
        return self.env["line.event"]._store_webhook(self, body)

    def _verify_signature(self, body, signature):
        """LINE's signature: Base64(HMAC-SHA256(key=channel secret, msg=raw body)), compared in
        constant time on the bytes as received."""
        secret = self.channel_secret
        if secret and signature:
            digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
            if hmac.compare_digest(digest, signature.strip().encode()):
                return True
        # A wrong signature may come in bursts (a misconfigured secret, a probe): warn once a minute.
        now = time.monotonic()
        if now - _signature_warnings.get(self.id, -3600) > 60:
            _signature_warnings[self.id] = now
            _logger.warning("LINE channel %s: rejected a webhook with a missing or wrong signature "
                            "(is the Channel secret in Odoo the current one?)", self.id)
        return False

    def action_view_failed_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("line_connector.line_event_action")
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"search_default_failed": 1}
        return action

    # ------------------------------------------------------------------
    # LINE access
    # ------------------------------------------------------------------

    def _line_client(self):
        """The adapter for this channel, built from its credentials."""
        self.ensure_one()
        # sudo: line.channel - credentials are readable by LINE managers only, yet operators send.
        channel = self.sudo()
        return line_api.LineClient(
            channel.channel_number, channel.channel_secret, access_token=channel.access_token or None,
            api_url=channel.api_url, data_url=channel.data_url,
            timeout=const.API_TIMEOUT, content_timeout=const.CONTENT_TIMEOUT,
            token_margin=const.TOKEN_REFRESH_MARGIN)

    def action_check_connection(self):
        for channel in self:
            channel._check_connection()
        return True

    def action_register_webhook(self):
        """Set this channel's webhook URL at LINE, ask LINE to test it, then check the channel.

        A failed test is shown and written in the check report, not raised: an error would
        roll back the check that tells the admin what else is right or wrong.
        """
        self.ensure_one()
        client = self._line_client()
        try:
            client.set_webhook_endpoint(self.webhook_url)
            result = client.test_webhook_endpoint()
        except line_api.LineError as error:
            raise UserError(self.env._("LINE refused to register the webhook: %s", error)) from error
        if result.get("success"):
            self._check_connection()
            return self._webhook_notification(
                "success", self.env._("LINE sent a test event to Odoo and Odoo answered."))
        problem = Blocking(self.env._(
            "The webhook URL is registered at LINE, but LINE could not deliver a test event to it "
            "(%(reason)s, HTTP %(status)s). LINE needs to reach %(url)s from the internet over HTTPS.",
            reason=result.get("reason") or "-", status=result.get("statusCode") or "-", url=self.webhook_url))
        self._check_connection(extra_problems=[problem])
        return self._webhook_notification("warning", problem, sticky=True)

    def _webhook_notification(self, kind, message, sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "sticky": sticky,
                "message": str(message),
                # Closing the notification's action reloads the form: the check's results show.
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _check_connection(self, extra_problems=()):
        """Ask LINE about this channel and write what is right and wrong: the check's state."""
        return ChannelCheck(self).run(extra_problems)

    @api.depends("quota_checked_used", "quota_checked_date")
    def _compute_quota_used(self):
        for channel in self:
            channel.quota_used = channel._line_quota_used()

    def _line_quota_used(self):
        """Messages of this month's quota known to be spent: LINE's count at the channel's last
        check plus the pushes sent since. Sending never writes the channel's row: two sending
        jobs would collide on it (and with the assignment's lock on it)."""
        tz = pytz.timezone(const.QUOTA_TIMEZONE)
        local_now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
        month_start = tz.localize(datetime(local_now.year, local_now.month, 1)).astimezone(pytz.utc).replace(
            tzinfo=None)
        self.ensure_one()
        since, used = self.quota_checked_date, self.quota_checked_used
        if not since or since < month_start:  # LINE counts from zero each month
            since, used = month_start, 0
        # sudo: line.message - every push sent counts against the quota, whoever reads the figure
        return used + self.env["line.message"].sudo().search_count([
            ("channel_id", "=", self.id), ("method", "=", "push"), ("state", "=", "sent"),
            ("sent_date", ">=", since)])

    def action_new_webhook_url(self):
        """Issue a new unguessable webhook URL (the old one stops working at once)."""
        for channel in self:
            channel.webhook_token = _new_webhook_token()
            channel.check_state = "unchecked"

