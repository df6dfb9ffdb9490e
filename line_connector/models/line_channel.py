import base64
import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .. import const, utils
from ..tools import line_api
from .line_channel_check import Blocking, ChannelCheck, quota_used

_logger = logging.getLogger(__name__)

MANAGER = "line_connector.group_line_manager"


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
    access_url = fields.Char(
        "Account Link Base URL", default=const.DEFAULT_ACCESS_URL, groups=MANAGER,
        help="Where LINE's account-link dialog is (access.line.me). Change only to point this channel at "
             "a LINE platform emulator.")
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
    # Check connection found another Official Account behind the credentials: kept aside until a
    # LINE manager says it is a new account (never written over the one the conversations are with).
    pending_bot_user_id = fields.Char("Other Account's Bot User ID", readonly=True, copy=False)
    pending_bot_basic_id = fields.Char("Other Account's Basic ID", readonly=True, copy=False)
    pending_bot_display_name = fields.Char("Other Account", readonly=True, copy=False)
    # The credentials the connected account was last checked with: "It was a mistake" restores them.
    checked_channel_number = fields.Char("Checked Channel ID", groups=MANAGER, copy=False, readonly=True)
    checked_channel_secret = fields.Char(groups=MANAGER, copy=False, readonly=True)
    friend_url = fields.Char(
        "Add-friend Link", compute="_compute_friend_url",
        help="Send it, or print its QR code, so that customers add this Official Account as a friend.")
    friend_qr = fields.Binary("Add-friend QR Code", compute="_compute_friend_url")
    friend_qr_filename = fields.Char(compute="_compute_friend_url")
    chat_mode = fields.Selection(
        [(const.CHAT_MODE_CHAT, "Chat on"), (const.CHAT_MODE_BOT, "Chat off (bot)")],
        readonly=True, copy=False)
    webhook_registered_url = fields.Char("Webhook at LINE", readonly=True, copy=False, groups=MANAGER)
    webhook_active = fields.Boolean("Use webhook", readonly=True, copy=False)
    quota_type = fields.Selection(
        [("none", "Unlimited"), ("limited", "Limited")], "Quota", readonly=True, copy=False)
    quota_limit = fields.Integer("Monthly Quota", readonly=True, copy=False)
    # What LINE counted at the last check, plus the pushes sent since: sending never writes
    # this row (two sending jobs would collide on it).
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
        reconnected = self.filtered(lambda channel: not channel.active) if vals.get("active") else self.browse()
        result = super().write(vals)
        if reconnected:
            # What LINE sent while the channel was disconnected was kept: it is processed now.
            self.env["line.event"].search([("channel_id", "in", reconnected.ids), ("state", "=", "failed"),
                                           ("error", "=", const.EVENT_DISCONNECTED_REASON)])._queue_requeue()
        return result

    def _line_check_manager(self):
        """LINE managers only, on channels of their companies: checked before any call to LINE."""
        if not self.env.su and not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only LINE managers can do this with a LINE channel."))
        self.check_access("write")

    def action_archive(self):
        """Archiving a channel disconnects it, as the Disconnect wizard does (line_disconnect_wizard.py)."""
        self.env["line.disconnect.wizard"]._disconnect(self)
        return True

    def action_unarchive(self):
        """Reconnect: what LINE sent while the channel was disconnected is processed now (write)."""
        self._line_check_manager()
        return super().action_unarchive()

    @api.depends("bot_basic_id")
    def _compute_friend_url(self):
        for channel in self:
            channel.friend_url = utils.friend_url(channel.bot_basic_id)
            channel.friend_qr = base64.b64encode(utils.qr_png(channel.friend_url)) if channel.friend_url else False
            channel.friend_qr_filename = f"line-friend-{(channel.bot_basic_id or '').lstrip('@')}.png"

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        for channel in self:
            token = channel.webhook_token
            channel.webhook_url = f"{channel.get_base_url()}{const.WEBHOOK_ROUTE}/{token}" if token else False

    # ------------------------------------------------------------------
    # Webhook
    # ------------------------------------------------------------------

    def action_view_failed_events(self):
        self.ensure_one()
        self._line_check_manager()
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
        self._line_check_manager()
        for channel in self:
            channel._check_connection()
        return True

    def action_register_webhook(self):
        """Set this channel's webhook URL at LINE, ask LINE to test it, then check the channel.

        A failed test is shown and written in the check report, not raised: an error would
        roll back the check that tells the admin what else is right or wrong.
        """
        self.ensure_one()
        self._line_check_manager()
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

    def action_accept_new_account(self):
        """The credentials are a new Official Account's, on purpose: the channel is connected to it."""
        self._line_check_manager()
        for channel in self.filtered("pending_bot_user_id"):
            channel.write({"bot_user_id": channel.pending_bot_user_id, "bot_basic_id": channel.pending_bot_basic_id,
                           "bot_display_name": channel.pending_bot_display_name, "pending_bot_user_id": False,
                           "pending_bot_basic_id": False, "pending_bot_display_name": False})
            channel._check_connection()
        return True

    def action_open_switch_wizard(self):
        """Change accounts: these channels' scope, or the Official Accounts behind them (an impact report first)."""
        self._line_check_manager()
        return self.env["line.switch.wizard"]._open(self)

    def action_switch_to_new_account(self):
        """Check connection found another Official Account, and it is a new one: the switch wizard, prefilled."""
        self.ensure_one()
        self._line_check_manager()
        return self.env["line.switch.wizard"]._open(self, renewed=self)

    def action_keep_old_account(self):
        """Check connection found another Official Account by mistake: the checked credentials come back."""
        self._line_check_manager()
        self.env["line.switch.wizard"]._keep_old_account(self.filtered("pending_bot_user_id"))
        return True

    def _check_connection(self, extra_problems=()):
        """Ask LINE about this channel and write what is right and wrong: the check's state."""
        return ChannelCheck(self).run(extra_problems)

    @api.depends("quota_checked_used", "quota_checked_date")
    def _compute_quota_used(self):
        for channel in self:
            channel.quota_used = quota_used(channel)


    def action_new_webhook_url(self):
        """Issue a new unguessable webhook URL (the old one stops working at once)."""
        self._line_check_manager()
        for channel in self:
            channel.webhook_token = _new_webhook_token()
            channel.check_state = "unchecked"

