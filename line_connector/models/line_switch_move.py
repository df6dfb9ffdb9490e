"""After the accounts changed (the switch wizard): a conversation kept as history, the account its
customer must add, and the customer's new conversation continuing on the same LINE customer."""

from odoo import api, fields, models

from .. import const
from ..exceptions import LineGuardError


class LineSwitchMove(models.Model):
    """A customer who must add another Official Account since the accounts changed (the follow-up list)."""

    _name = "line.switch.move"
    _description = "LINE Customer to Re-add"
    _order = "state desc, company_id, id"
    _rec_name = "conversation_id"

    conversation_id = fields.Many2one("discuss.channel", required=True, index=True,
                                      ondelete="cascade", readonly=True)
    identity_id = fields.Many2one(related="conversation_id.line_identity_id", store=True, index=True,
                                  string="LINE Customer")
    partner_id = fields.Many2one(related="identity_id.partner_id", string="Contact")
    company_id = fields.Many2one(related="conversation_id.line_company_id", store=True, string="Company")
    from_channel_id = fields.Many2one("line.channel", "Was On", readonly=True, ondelete="cascade")
    from_name = fields.Char("Previous Account", readonly=True)
    channel_id = fields.Many2one("line.channel", "Must Add", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    friend_url = fields.Char(related="channel_id.friend_url", string="Add-friend Link")
    friend_qr = fields.Binary(related="channel_id.friend_qr", string="Add-friend QR Code")
    other_provider = fields.Boolean(
        "Under Another Provider", compute="_compute_other_provider",
        help="The account to add is under another LINE provider: the customer arrives there as a new LINE "
             "customer, to merge by hand.")
    state = fields.Selection(const.SWITCH_STATES, default="waiting", required=True, readonly=True, index=True)
    done_date = fields.Datetime("Re-added On", readonly=True)
    new_conversation_id = fields.Many2one("discuss.channel", readonly=True, ondelete="set null")

    @api.depends("identity_id.provider_name", "channel_id.provider_name")
    def _compute_other_provider(self):
        for move in self:
            identity = move.identity_id
            move.other_provider = bool(identity) and identity.provider_name != move.channel_id.provider_name

    @api.model
    def _mark(self, conversation, target, previous_name):
        """The accounts changed: ``conversation`` is history; its customer must add ``target``."""
        # sudo: line.switch.move, discuss.channel - the wizard's manager marks every affected conversation
        move = self.sudo().create({"conversation_id": conversation.id, "channel_id": target.id,
                                   "from_channel_id": conversation.line_channel_id.id, "from_name": previous_name})
        conversation._line_write({"line_move_id": move.id})
        conversation._line_notify(self.env._(
            "The LINE accounts were changed by %(user)s: this conversation is now history. %(reason)s",
            user=self.env.user.name, reason=move._refusal()[1]))
        conversation._line_send_store()
        return move

    def _account_name(self):
        return self.channel_id.bot_display_name or self.channel_id.name

    def _refusal(self):
        """Why Odoo cannot answer in the conversation, and what to send: (failure type, text)."""
        self.ensure_one()
        move = self.sudo()
        name = move.identity_id.name or move.conversation_id.name
        if move.state == "done":
            return "line_switched", self.env._(
                "This conversation is history: %(name)s added %(new)s and chats in their conversation there.",
                name=name, new=move._account_name())
        link = move.friend_url or self.env._("its add-friend link shows once its connection is checked")
        text = self.env._(
            "%(old)s no longer serves this conversation in Odoo. Ask %(name)s to add %(new)s as a friend "
            "(%(link)s): send the link from LINE Official Account Manager of %(old)s, by e-mail or by phone. "
            "Their next messages then arrive in Odoo in a new conversation.",
            old=move.from_name or move.from_channel_id.name, name=name, new=move._account_name(), link=link)
        if move.other_provider:
            text += " " + self.env._(
                "%(new)s is under another LINE provider (%(provider)s): LINE gives %(name)s another user ID "
                "there, so Odoo will not recognise them. When they write, merge the LINE customers on their "
                "contact (Same person…).", new=move._account_name(), provider=move.channel_id.provider_name, name=name)
        return "line_switched", text

    @api.model
    def _line_arrived(self, conversation):
        """A customer wrote to, or added, an account they had to add: same provider, same LINE customer."""
        # sudo: line.switch.move - the integration ticks off the customer, whichever company's list they are on
        moves = self.sudo().search([("identity_id", "=", conversation.line_identity_id.id),
                                    ("channel_id", "=", conversation.line_channel_id.id), ("state", "=", "waiting")])
        for move in moves:
            move.write({"state": "done", "done_date": fields.Datetime.now(), "new_conversation_id": conversation.id})
            if move.conversation_id == conversation:
                # The new account behind the same channel: the customer is answered here again.
                conversation._line_write({"line_move_id": False})
                conversation._line_notify(self.env._("%s is on the new account: Odoo answers them here again.",
                                                     move.identity_id.name))
            else:
                move._continue_in(conversation)
            move.conversation_id._line_send_store()

    def _continue_in(self, conversation):
        identity, company = self.identity_id, self.company_id
        new_here = conversation.create_date >= self.create_date
        if new_here and conversation.line_channel_id.scope == "shared" and company != conversation.line_company_id:
            conversation._line_write({"line_company_id": company.id})  # their company, not the channel's default
            assignee = self.conversation_id.line_assignee_id  # who answered them there answers them here
            if assignee.active and assignee != conversation.line_assignee_id:
                conversation.line_channel_id._line_assign(conversation, assignee)
        conversation._line_notify(self.env._(
            "%(name)s added %(new)s: this conversation continues the one they had with %(old)s, kept as history.",
            name=identity.name, new=self._account_name(), old=self.from_name or self.from_channel_id.name))
        self.conversation_id._line_notify(self.env._("%(name)s added %(new)s: the conversation continues there.",
                                                     name=identity.name, new=self._account_name()))


# discuss_channel.py is at its size limit: what changing accounts adds to conversations lives here.
class DiscussChannel(models.Model):
    """A conversation kept as history since the accounts changed says so in its composer."""

    _inherit = "discuss.channel"  # pylint: disable=consider-merging-classes-inherited

    line_move_id = fields.Many2one("line.switch.move", "Must Add Another Account", readonly=True, ondelete="set null")

    def _line_guard(self, vals):
        if "line_move_id" in vals:
            raise LineGuardError(self, {"line_move_id"})  # only the switch wizard and LINE's events change it
        return super()._line_guard(vals)

    def _line_get_refusal(self):
        # sudo: line.switch.move - why the customer cannot be answered here, for whoever sees the conversation
        move = self.sudo().line_move_id
        return move._refusal() if move else super()._line_get_refusal()
