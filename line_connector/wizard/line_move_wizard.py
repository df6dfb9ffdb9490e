from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime

from odoo.addons.mail.tools.discuss import Store


class LineMoveWizard(models.TransientModel):
    """Move customers of a shared LINE channel to another company: its team is told, the
    conversation says who moved it, when and why, and its history stays.

    Who may: LINE managers and LINE operators, for the conversations they see (their companies'),
    to a company they work for themselves: nothing goes to a company the mover has no rights in.
    A per-company channel's customers cannot move: the other company has an Official Account of
    its own, which the customer must add as a friend (a new conversation there).
    """

    _name = "line.move.wizard"
    _description = "Move LINE Customers to Another Company"

    conversation_ids = fields.Many2many("discuss.channel", string="Conversations", required=True,
                                        domain=[("channel_type", "=", "line")])
    company_id = fields.Many2one(
        "res.company", "New Company", required=True, domain="[('id', 'in', allowed_company_ids)]",
        help="Only the companies you work for (and selected in the company switcher): its users see the "
             "conversations from now on, the old company's users no longer (unless they work for both).")
    reason = fields.Text(required=True, help="Written in the conversation for the new company's team.")
    user_id = fields.Many2one(
        "res.users", "Assign To", domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Empty: the current assignee if they work for the new company, else the least busy of its team.")

    def action_move(self):
        self.ensure_one()
        conversations = self.conversation_ids
        self._check_can_move(conversations, self.company_id)
        if not (self.reason or "").strip():
            raise UserError(self.env._("Say why the customer moves: the new company's team reads it."))
        if self.user_id and self.company_id not in self.user_id.company_ids:
            raise UserError(self.env._("%(user)s does not work for %(company)s.", user=self.user_id.name,
                                       company=self.company_id.name))
        for conversation in conversations.filtered(lambda c: c.line_company_id != self.company_id):
            self._move(conversation)
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def _check_can_move(self, conversations, company):
        if not self.env.su and not self.env.user.has_group("line_connector.group_line_operator"):
            raise AccessError(self.env._("Only LINE operators and managers can move LINE conversations."))
        if not self.env.su and company not in self.env.user.company_ids:
            raise AccessError(self.env._(
                "You are not allowed in %s: only someone who works for both companies can move a customer there.",
                company.name))
        conversations.check_access("write")
        for conversation in conversations:
            if conversation.channel_type != "line":
                raise UserError(self.env._("%s is not a LINE conversation.", conversation.name))
            # sudo: line.channel - the conversation's channel scope, whatever the user's companies
            channel = conversation.line_channel_id.sudo()
            if channel.scope != "shared":
                raise UserError(self.env._(
                    "%(name)s writes to %(channel)s, the Official Account of one company: a customer cannot be "
                    "moved from it. Send them the other company's add-friend link; their conversation there is a "
                    "new one.", name=conversation.name, channel=channel.name))

    def _move(self, conversation):
        """The guarded fields change as the integration (``_line_write``), after the checks above."""
        company, old_company = self.company_id, conversation.line_company_id
        # sudo: line.channel - the channel's rule and teams, read by the integration
        channel = conversation.line_channel_id.sudo()
        team = self._team_for(channel, company)
        assignee = self.user_id or conversation.line_assignee_id.filtered(lambda u: company in u.company_ids) \
            or self._assignee_for(channel, company, team)
        conversation._line_write({"line_company_id": company.id, "line_team_id": team.id,
                                  "line_assignee_id": assignee.id})
        self._remove_members_without(conversation, company)
        # sudo: discuss.channel.member - the new company's people join the conversation they now answer
        conversation.sudo().add_members(partner_ids=(team.member_ids | assignee).partner_id.ids,
                                        post_joined_message=False)
        body = Markup("%s<br/>%s") % (
            self.env._("Moved from %(old)s to %(new)s by %(user)s on %(date)s.",
                       old=old_company.name or self.env._("no company"), new=company.name, user=self.env.user.name,
                       date=format_datetime(self.env, fields.Datetime.now())),
            self.env._("Reason: %s", self.reason.strip()))
        if assignee:
            body += Markup("<br/>") + self.env._("Assigned to %s.", assignee.name)
        self.env["line.notice"]._announce(conversation, body, team.member_ids | assignee)
        conversation._line_send_store()

    @api.model
    def _team_for(self, channel, company):
        """The team that answers the shared channel's customers of ``company``: the rule's team or the
        team for new customers when it is that company's, else the company's first sales team."""
        teams = channel.assign_team_id if channel.assign_target == "team" else channel.assign_team_id.browse()
        for team in teams | channel.default_team_id:
            if team.company_id == company:
                return team
        # sudo: crm.team - the mover may not read the other company's teams
        return self.env["crm.team"].sudo().search([("company_id", "=", company.id)], order="sequence, id", limit=1)

    @api.model
    def _assignee_for(self, channel, company, team):
        """Who of ``company`` answers a moved customer: of its team (or of the channel's rule), the least busy."""
        people = (team.member_ids | team.user_id) or channel._assign_candidates()
        people = people.filtered(lambda u: u.active and not u.share and company in u.company_ids)
        if not people:
            return people
        counts = channel._open_conversation_counts(people)
        return min(people, key=lambda u: (counts.get(u.id, 0), u.id))

    @api.model
    def _remove_members_without(self, conversation, company):
        """Odoo shows a channel to its members whatever its company: who does not work for the new
        company leaves it (quietly: Odoo's own "left the channel" would be a message to the customer)."""
        # sudo: discuss.channel.member - the integration takes the old company's people out
        # The customer (a guest, or a contact, perhaps with a portal account) stays.
        members = conversation.sudo().channel_member_ids.filtered(
            lambda m: (staff := m.partner_id.user_ids.filtered(lambda u: not u.share))
            and not staff.filtered(lambda u: company in u.company_ids))
        for member in members:
            member._bus_send_store(Store(conversation, {"is_pinned": False, "isLocallyPinned": False}),
                                   notification_type="discuss.channel/leave")
        members.unlink()
        if members:
            conversation._bus_send_store(conversation, {
                "channelMembers": Store.many(members, "DELETE", only_id=True),
                "memberCount": conversation.sudo().member_count})
