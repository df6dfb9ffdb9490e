"""After the accounts changed (the switch wizard): conversations kept as history, the account their
customer must add, and the customer's new conversation continuing on the same LINE customer."""

from odoo import api, fields, models

from ..exceptions import LineGuardError

MANAGER = "line_connector.group_line_manager"


class DiscussChannel(models.Model):
    _inherit = "discuss.channel"

    line_moved_to_id = fields.Many2one(
        "line.channel", "Must Add", index="btree_not_null", readonly=True, ondelete="set null",
        help="The accounts were changed: Odoo no longer answers this customer here. They must add this "
             "Official Account as a friend; their next messages then arrive in a new conversation.")
    line_moved_from = fields.Char("Previous Account", readonly=True)
    line_moved_date = fields.Datetime("Accounts Changed", readonly=True)
    line_moved_friend_url = fields.Char(related="line_moved_to_id.friend_url", string="Add-friend Link")
    line_readded = fields.Boolean(
        "Added the New Account", compute="_compute_line_readded",
        help="The customer wrote to, or added, the account they had to add.")

    def _line_guard(self, vals):
        guarded = {"line_moved_to_id", "line_moved_from", "line_moved_date"}.intersection(vals)
        if guarded:
            raise LineGuardError(self, guarded)
        return super()._line_guard(vals)

    @api.depends("line_moved_to_id", "line_identity_id")
    def _compute_line_readded(self):
        # sudo: discuss.channel - whether the customer is on the new account, in whatever company
        conversations = self.sudo().search([
            ("channel_type", "=", "line"), ("line_identity_id", "in", self.line_identity_id.ids),
            ("line_channel_id", "in", self.line_moved_to_id.ids), ("line_moved_to_id", "=", False)])
        arrived = {(c.line_identity_id.id, c.line_channel_id.id) for c in conversations}
        for conversation in self:
            conversation.line_readded = (conversation.line_identity_id.id,
                                         conversation.line_moved_to_id.id) in arrived

    def _line_mark_moved(self, target, previous_name):
        """The accounts changed: this conversation is history; its customer must add ``target``."""
        self.ensure_one()
        self._line_write({"line_moved_to_id": target.id, "line_moved_from": previous_name,
                          "line_moved_date": fields.Datetime.now()})
        self._line_notify(self.env._(
            "The LINE accounts were changed by %(user)s: this conversation is now history. %(reason)s",
            user=self.env.user.name, reason=self._line_switch_refusal()[1]))
        self._line_send_store()

    def _line_switch_refusal(self):
        """Why Odoo cannot answer here after the accounts changed, and what to send: (type, text) or None."""
        self.ensure_one()
        # sudo: discuss.channel, line.channel - the new account, for whoever sees the conversation
        conversation = self.sudo()
        new = conversation.line_moved_to_id
        if not new:
            return None
        identity = conversation.line_identity_id
        name = identity.name or conversation.name
        link = new.friend_url or self.env._("its add-friend link shows once its connection is checked")
        text = self.env._(
            "%(old)s no longer serves this conversation in Odoo. Ask %(name)s to add %(new)s as a friend "
            "(%(link)s): send the link from LINE Official Account Manager of %(old)s, by e-mail or by phone. "
            "Their next messages then arrive in Odoo in a new conversation.",
            old=conversation.line_moved_from or conversation.line_channel_id.name, name=name,
            new=new.bot_display_name or new.name, link=link)
        if identity and identity.provider_name != new.provider_name:
            text += " " + self.env._(
                "%(new)s is under another LINE provider (%(provider)s): LINE gives %(name)s another user ID "
                "there, so Odoo will not recognise them. When they write, merge the LINE customers on their "
                "contact.", new=new.bot_display_name or new.name, provider=new.provider_name, name=name)
        return "line_switched", text


class LineChannel(models.Model):
    _inherit = "line.channel"

    # The credentials the channel's account was checked with, kept when they are changed: "It was a
    # mistake" restores them when Check connection finds another Official Account behind the new ones.
    previous_channel_number = fields.Char(groups=MANAGER, copy=False, readonly=True)
    previous_channel_secret = fields.Char(groups=MANAGER, copy=False, readonly=True)

    def write(self, vals):
        if {"channel_number", "channel_secret"}.intersection(vals):
            # sudo: line.channel - the credentials in use, kept aside before they change (managers only write them)
            for channel in self.sudo().filtered(lambda c: c.bot_user_id and not c.pending_bot_user_id):
                if (vals.get("channel_number", channel.channel_number) != channel.channel_number
                        or vals.get("channel_secret", channel.channel_secret) != channel.channel_secret):
                    super(LineChannel, channel).write({"previous_channel_number": channel.channel_number,
                                                      "previous_channel_secret": channel.channel_secret})
        return super().write(vals)

    def action_open_switch_wizard(self):
        """Change accounts: the scope of these channels, or the Official Accounts behind them."""
        self._line_check_manager()
        return self.env["line.switch.wizard"]._open(self)

    def action_switch_to_new_account(self):
        """Check connection found another Official Account: it is a new one (the switch wizard, prefilled)."""
        self.ensure_one()
        self._line_check_manager()
        return self.env["line.switch.wizard"]._open(self, renewed=self)

    def action_keep_old_account(self):
        """Check connection found another Official Account by mistake: the account's credentials come back."""
        self._line_check_manager()
        for channel in self.filtered("pending_bot_user_id"):
            vals = {"pending_bot_user_id": False, "pending_bot_basic_id": False, "pending_bot_display_name": False}
            if channel.previous_channel_number:
                vals.update(channel_number=channel.previous_channel_number,
                            channel_secret=channel.previous_channel_secret)
            channel.write(vals)
            channel._check_connection()
        return True

    def _line_switch_scope(self, scope, company):
        """The channel's scope after the switch: one company's, or shared (its company then gets new customers)."""
        vals = {"scope": scope}
        if scope == "company":
            vals["company_id"] = company.id
        elif self.company_id and not self.default_company_id:
            vals["default_company_id"] = self.company_id.id
        self.write(vals)

    def _line_route(self, conversation, again=False):
        """A customer who had to add this account continues here: same LINE customer, contact, company."""
        super()._line_route(conversation, again=again)
        identity = conversation.line_identity_id
        if again or not identity or conversation.line_chat_id:
            return
        # sudo: discuss.channel - the customer's earlier conversation, whichever company's it was
        previous = self.env["discuss.channel"].sudo().search([
            ("channel_type", "=", "line"), ("line_identity_id", "=", identity.id), ("line_moved_to_id", "=", self.id),
            ("id", "!=", conversation.id)], order="id desc", limit=1)
        if not previous:
            return
        company = previous.line_company_id
        if self.scope == "shared" and company and company != conversation.line_company_id:
            conversation._line_write({"line_company_id": company.id})
        conversation._line_notify(self.env._(
            "%(name)s added %(new)s: this conversation continues the one they had with %(old)s, kept as history.",
            name=identity.name, new=self.name, old=previous.line_moved_from or previous.line_channel_id.name))
        previous._line_notify(self.env._("%(name)s added %(new)s: the conversation continues there.",
                                         name=identity.name, new=self.name))


class LineInbound(models.AbstractModel):
    _inherit = "line.inbound"

    @api.model
    def _get_conversation(self, event, refresh=False, customer_wrote=False):
        """The new account behind the same channel: a customer who writes or adds it again is answered
        in their conversation again (the same LINE user ID under the same provider)."""
        conversation, sender = super()._get_conversation(event, refresh=refresh, customer_wrote=customer_wrote)
        # sudo: discuss.channel - the mark is the integration's
        if conversation and conversation.sudo().line_moved_to_id == event.channel_id:
            conversation._line_write({"line_moved_to_id": False, "line_moved_from": False, "line_moved_date": False})
            conversation._line_notify(self.env._("%(name)s is on the new account: Odoo answers them here again.",
                                                 name=sender.name or conversation.name))
            conversation._line_send_store()
        return conversation, sender
