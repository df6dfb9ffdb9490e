import logging
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.mail.tools.discuss import Store

from .. import const
from ..tools import line_api

_logger = logging.getLogger(__name__)


class DiscussChannelMember(models.Model):
    _inherit = "discuss.channel.member"

    line_loading_date = fields.Datetime(
        "LINE Loading Shown", readonly=True, copy=False,
        help="When this operator's typing last started LINE's loading indicator for the customer.")

    @api.model
    def _cron_line_unpin(self):
        """Keep operators' sidebars short, as livechat does with ended sessions: a LINE conversation
        leaves the sidebar of a member who has read it when nobody needs it (answered, and quiet for
        days), and of everyone but its assignee when someone is assigned (the assignee keeps it and is
        notified: the channel's responsible users are not kept pinned on every customer). A customer
        writing again brings it back, with its unread counter; it stays in LINE Conversations, the
        contact and search."""
        days = self.env["ir.config_parameter"].sudo().get_param(const.QUIET_DAYS_PARAM, const.LINE_QUIET_DAYS)
        quiet = fields.Datetime.now() - timedelta(days=float(days))
        members = self.search([("is_pinned", "=", True), ("channel_id.channel_type", "=", "line"),
                               ("partner_id", "!=", False)])
        unpinned = members.filtered(lambda member: member._line_someone_elses() or (
            member.message_unread_counter == 0 and member._line_quiet(quiet)))
        unpinned.write({"unpin_dt": fields.Datetime.now()})
        for member in unpinned:
            member._bus_send("discuss.channel/unpin", {"id": member.channel_id.id})
        return len(unpinned)

    @api.model
    def _line_read_done(self, conversations):
        """Who marks conversations done has dealt with them: they are read for that user (as
        answering marks them read), so the sidebar rule can let them go when they are quiet."""
        last = dict(self.env["mail.message"]._read_group(
            [("model", "=", "discuss.channel"), ("res_id", "in", conversations.ids)], ["res_id"], ["id:max"]))
        members = self.search([("channel_id", "in", conversations.ids),
                               ("partner_id", "=", self.env.user.partner_id.id)])
        for member in members:
            if last.get(member.channel_id.id):
                member._mark_as_read(last[member.channel_id.id])

    def _line_quiet(self, since):
        conversation = self.channel_id
        return not conversation.line_unreplied and (conversation.last_interest_dt or since) < since

    def _line_someone_elses(self):
        assignee = self.channel_id.line_assignee_id
        return bool(assignee) and self.partner_id != assignee.partner_id

    def _notify_typing(self, is_typing):
        super()._notify_typing(is_typing)
        if is_typing:
            for member in self._line_operator_members():
                if member._line_can_show_loading() and member._line_take_loading_turn():
                    member._line_show_loading()

    def _line_take_loading_turn(self):
        """Whether this operator's typing starts LINE's loading indicator now: once per throttle
        window, whichever Odoo worker receives the typing notifications.

        The time is stored on the operator's own member row, and written only when the window is
        over (once every few seconds at most while typing, never on each keystroke): no row is hot.
        Two workers taking the same turn at once both write the row; PostgreSQL lets one commit and
        the other's request fails to serialize and is retried by Odoo, which then sees the new time
        and sends nothing. Each operator has their own window: two operators typing in one
        conversation may each start it, well within LINE's rate limit.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        last = self.line_loading_date
        if last and now - last < timedelta(seconds=const.LOADING_THROTTLE_SECONDS):
            return False
        self.line_loading_date = now
        return True

    def _mark_as_read(self, last_message_id, sync=False):
        result = super()._mark_as_read(last_message_id, sync=sync)
        for member in self._line_operator_members():
            member._line_mark_as_read(last_message_id)
        return result

    def _line_operator_members(self):
        return self.filtered(lambda m: m.channel_id.channel_type == "line" and m.partner_id.user_ids
                             and not m.partner_id.user_ids[0].share)

    def _line_can_show_loading(self):
        # LINE shows it in one-to-one chats only, and a customer who blocked the account sees nothing.
        self.ensure_one()
        conversation = self.channel_id
        return (not conversation.line_chat_id and conversation.line_identity_id.friend_state != "blocked"
                and conversation.line_channel_id.active)

    def _line_show_loading(self):
        """Show LINE's "typing" animation to the customer while an operator types (the caller
        checks it can be shown and throttles it: LINE shows it for LOADING_SECONDS, and limits this
        endpoint)."""
        self.ensure_one()
        client = self.channel_id.line_channel_id._line_client()
        user_id = self.channel_id.line_identity_id.line_user_id
        self.env.cr.postcommit.add(lambda: _quietly(client.show_loading, user_id, const.LOADING_SECONDS))

    def _line_mark_as_read(self, last_message_id):
        """Tell LINE the customer's messages were read, when Chat is on (LINE shows "Read")."""
        self.ensure_one()
        conversation = self.channel_id
        if conversation.line_channel_id.chat_mode != const.CHAT_MODE_CHAT or not conversation.line_channel_id.active:
            return
        # sudo: mail.message - the read tokens are kept out of users' sight
        message = self.env["mail.message"].sudo().search([
            ("model", "=", "discuss.channel"), ("res_id", "=", conversation.id), ("id", "<=", last_message_id),
            ("id", ">", conversation.line_read_message_id.id or 0), ("line_mark_as_read_token", "!=", False),
        ], order="id desc", limit=1)
        if not message:
            return
        # sudo: discuss.channel - remember what LINE was told, whoever read it
        conversation.sudo().line_read_message_id = message
        client = conversation.line_channel_id._line_client()
        token = message.line_mark_as_read_token
        # LINE marks that message and every earlier one read: their tokens are of no more use.
        self.env["mail.message"].sudo().search([
            ("model", "=", "discuss.channel"), ("res_id", "=", conversation.id), ("id", "<=", message.id),
            ("line_mark_as_read_token", "!=", False)]).line_mark_as_read_token = False
        self.env.cr.postcommit.add(lambda: _quietly(client.mark_as_read, token))

    @api.model
    def _line_see_own_note(self, conversation, note):
        """A note about the current user's own action (a link, an assignment) is not news to them.
        Discuss marks what the current user posts seen, but tells their clients before the message
        arrives, and a message authored by OdooBot then counts as unread there: told again, after it."""
        # sudo: discuss.channel.member - the current user's own membership, its read state only
        for member in conversation.sudo().channel_member_ids.filtered(
                lambda m: m.partner_id == self.env.user.partner_id and m.seen_message_id.id >= note.id):
            member._bus_send_store(Store(member, fields={
                "channel": [], "message_unread_counter": True, "new_message_separator": True, "persona": ["name"],
            }).add(member, {"syncUnread": True}))


def _quietly(call, *args):
    """After the commit, outside the user's transaction: a failure here only costs the indicator."""
    try:
        call(*args)
    except line_api.LineError as error:
        _logger.info("LINE %s failed: %s", call.__name__, error)
