from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime

from odoo.addons.mail.tools.discuss import Store


class DiscussChannel(models.Model):
    """Moving a customer of a shared LINE channel to another company of this database.

    Who may: LINE managers and LINE operators, for the conversations they see (their companies'),
    to a company they are allowed in themselves. Nothing crosses into a company the mover has no
    rights in. A per-company channel's customers cannot move: the other company has an Official
    Account of its own, which the customer must add as a friend (a new conversation there).
    """

    _inherit = "discuss.channel"

    def _line_check_can_move(self, company):
        if not self.env.su and not self.env.user.has_group("line_connector.group_line_operator"):
            raise AccessError(self.env._("Only LINE operators and managers can move LINE conversations."))
        if not self.env.su and company not in self.env.user.company_ids:
            raise AccessError(self.env._(
                "You are not allowed in %s: only someone who works for both companies can move a customer there.",
                company.name))
        self.check_access("write")
        for conversation in self:
            if conversation.channel_type != "line":
                raise UserError(self.env._("%s is not a LINE conversation.", conversation.name))
            # sudo: line.channel - the conversation's channel scope, whatever the user's companies
            channel = conversation.line_channel_id.sudo()
            if channel.scope != "shared":
                raise UserError(self.env._(
                    "%(name)s writes to %(channel)s, the Official Account of one company: a customer cannot be "
                    "moved from it. Send them the other company's add-friend link; their conversation there is a "
                    "new one.", name=conversation.name, channel=channel.name))

    def action_line_open_move(self):
        self._line_check_can_move(self.env.company)  # the wizard checks the chosen company again
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Move to Another Company"),
            "res_model": "line.move.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_conversation_ids": self.ids},
        }

    def action_line_move(self, company_id, reason, user_id=False):
        """Give the conversations to ``company_id``: its team, an assignee of it, a note saying who
        moved them, when and why. Who works only for the old company no longer sees them."""
        company = self.env["res.company"].browse(company_id)
        self._line_check_can_move(company)
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the customer moves: the new company's team reads it."))
        user = self.env["res.users"].browse(user_id)
        if user and company not in user.company_ids:
            raise UserError(self.env._("%(user)s does not work for %(company)s.", user=user.name,
                                       company=company.name))
        for conversation in self.filtered(lambda c: c.line_company_id != company):
            conversation._line_move(company, reason.strip(), user)
        return True

    def _line_move(self, company, reason, user):
        old_company = self.line_company_id
        channel = self.line_channel_id.sudo()
        team = channel._line_team_for(company)
        assignee = user or self.line_assignee_id.filtered(lambda u: company in u.company_ids) \
            or channel._line_assignee_for(company, team)
        self._line_write({"line_company_id": company.id, "line_team_id": team.id,
                          "line_assignee_id": assignee.id})
        self._line_remove_members_without(company)
        # sudo: discuss.channel.member - the new company's people join the conversation they now answer
        self.sudo().add_members(partner_ids=(team.member_ids | assignee).partner_id.ids, post_joined_message=False)
        body = Markup("%s<br/>%s") % (
            self.env._("Moved from %(old)s to %(new)s by %(user)s on %(date)s.",
                       old=old_company.name or self.env._("no company"), new=company.name, user=self.env.user.name,
                       date=format_datetime(self.env, fields.Datetime.now())),
            self.env._("Reason: %s", reason))
        if assignee:
            body += Markup("<br/>") + self.env._("Assigned to %s.", assignee.name)
        self._line_announce(body, team.member_ids | assignee)
        self._line_send_store()

    def _line_remove_members_without(self, company):
        """Odoo shows a channel to its members whatever its company: who does not work for the new
        company leaves it (quietly: Odoo's own "left the channel" would be a message to the customer)."""
        # sudo: discuss.channel.member - the integration takes the old company's people out
        members = self.sudo().channel_member_ids.filtered(
            lambda m: m.partner_id.user_ids and not m.partner_id.user_ids.filtered(
                lambda u: not u.share and company in u.company_ids))
        for member in members:
            member._bus_send_store(Store(self, {"is_pinned": False, "isLocallyPinned": False}),
                                   notification_type="discuss.channel/leave")
        members.unlink()
        if members:
            self._bus_send_store(self, {"channelMembers": Store.many(members, "DELETE", only_id=True),
                                        "memberCount": self.sudo().member_count})


class LineChannel(models.Model):
    _inherit = "line.channel"

    def _line_team_for(self, company):
        """The team that answers this shared channel's customers of ``company``: the rule's team or
        the team for new customers when it is that company's, else the company's first sales team."""
        self.ensure_one()
        teams = self.assign_team_id if self.assign_target == "team" else self.assign_team_id.browse()
        for team in teams | self.default_team_id:
            if team.company_id == company:
                return team
        # sudo: crm.team - the mover may not read the other company's teams
        return self.env["crm.team"].sudo().search([("company_id", "=", company.id)], order="sequence, id", limit=1)

    def _line_assignee_for(self, company, team):
        """Who of ``company`` answers a moved customer: of its team (or of the channel's rule), the least busy."""
        self.ensure_one()
        people = (team.member_ids | team.user_id) or self._assign_candidates()
        people = people.filtered(lambda u: u.active and not u.share and company in u.company_ids)
        if not people:
            return people
        counts = self._open_conversation_counts(people)
        return min(people, key=lambda u: (counts.get(u.id, 0), u.id))
