import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

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
        """Keep operators' sidebars, and their memberships, to what needs them, as livechat does
        with ended sessions: staff members *leave* a LINE conversation when nobody needs them in it
        (answered, read and quiet for days), and everyone but its assignee leaves once someone is
        assigned (the channel's responsible users are not kept in every customer's conversation).

        Leaving, not only unpinning: Discuss lists every conversation a user is a member of on each
        page load (its ``is_member`` search and member rule), so memberships must stay as few as
        the sidebar. A customer writing again brings the assignee (or, with none, the channel's
        first members) back, with the unread counter and notification (``_line_rejoin``); every
        conversation stays in LINE Conversations, the contact and search.
        """
        days = self.env["ir.config_parameter"].sudo().get_param(const.QUIET_DAYS_PARAM, const.LINE_QUIET_DAYS)
        quiet = fields.Datetime.now() - timedelta(days=float(days))
        members = self.search([("channel_id.channel_type", "=", "line"), ("partner_id.user_ids", "!=", False)])
        staff = members.filtered(lambda member: any(not user.share for user in member.partner_id.user_ids))
        leaving = staff.filtered(lambda member: member._line_someone_elses() or (
            member.message_unread_counter == 0 and member._line_quiet(quiet)))
        for member in leaving:
            # No "left the channel" message, no toast: the conversation only leaves their Discuss.
            member._bus_send_store(Store(member.channel_id, {
                "is_pinned": False, "channelMembers": Store.many(member, "DELETE", only_id=True)}))
        leaving.unlink()
        return len(leaving)

    @api.model
    def _line_rejoin(self, conversation):
        """The customer writes: whoever answers them is a member again (they left it when it went
        quiet), told by Discuss as of a new conversation, the unread counter counting from this
        message. No query when they are there: the members are read for the post anyway."""
        # sudo: line.channel - who joins a conversation is the channel's rule, whoever posts
        needed = (conversation.line_assignee_id.partner_id
                  or conversation.line_channel_id.sudo()._line_first_members().partner_id)
        missing = needed - conversation.channel_member_ids.partner_id
        if missing:
            # sudo: discuss.channel.member - the integration brings the operators back
            conversation.sudo().add_members(partner_ids=missing.ids, post_joined_message=False)._line_unread_from_now()

    def _line_unread_from_now(self):
        """Members who (re)join a conversation: unread from the last answer the customer got on
        (what they wrote since, and the notes), not the whole history a new member's counter
        would count. A customer nobody answered yet: everything."""
        self.env["line.message"].flush_model(["conversation_id", "mail_message_id"])
        for conversation in self.channel_id:
            self.env.cr.execute(SQL("SELECT max(mail_message_id) FROM line_message WHERE conversation_id = %s",
                                    conversation.id))
            answered = self.env.cr.fetchone()[0]
            if answered:
                # sudo: discuss.channel.member - the integration adds them, whoever's turn it is
                self.filtered(lambda m, c=conversation: m.channel_id == c).sudo().new_message_separator = answered + 1

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
