import logging

from odoo import _, api, fields, models
from odoo.tools import SQL, mute_logger

from odoo.addons.line_connector import const, utils

_logger = logging.getLogger(__name__)


class LineChannel(models.Model):
    """Who answers a new LINE customer: the channel's assignment rule."""

    _inherit = "line.channel"

    assign_target = fields.Selection(
        const.ASSIGN_TARGETS, "Assign New Customers To", default="responsible", required=True,
        help="Unknown senders are assigned, in turn, to one person among these.")
    assign_user_ids = fields.Many2many(
        "res.users", "line_channel_assign_user_rel", "channel_id", "user_id", "Assignees",
        domain=[("share", "=", False)])
    assign_team_id = fields.Many2one("crm.team", "Assignee Team")
    assign_group_id = fields.Many2one("res.groups", "Assignee Group")
    assign_method = fields.Selection(const.ASSIGN_METHODS, "Method", default="round_robin", required=True)
    assign_only_available = fields.Boolean(
        "Only Available People", help="Skip people who are offline or on leave in Odoo.")
    assign_fallback_user_id = fields.Many2one(
        "res.users", "Fallback", domain=[("share", "=", False)],
        help="Assigned when nobody of the rule is available, or all reached their limit.")
    assign_max_open = fields.Integer(
        "Open Conversations Limit", help="0: no limit. Otherwise, people with this many unreplied LINE "
                                         "conversations get no new one.")
    assign_activity = fields.Boolean(
        "Schedule 'Reply on LINE'", help="The assignee also gets a 'Reply on LINE' activity.")
    assign_pointer_user_id = fields.Many2one(
        "res.users", "Last Assigned", readonly=True, copy=False,
        help="Round robin goes on after this person.")
    default_company_id = fields.Many2one(
        "res.company", "Company for New Customers",
        help="Shared channels: the company new conversations belong to.")
    default_team_id = fields.Many2one(
        "crm.team", "Team for New Customers", help="Shared channels: the team notified of new conversations.")
    assignment_warning = fields.Char(compute="_compute_assignment_warning")

    @api.depends("scope", "default_company_id", "assign_target", "assign_user_ids", "assign_team_id",
                 "assign_group_id")
    def _compute_assignment_warning(self):
        for channel in self:
            warning = False
            if channel.scope == "shared" and not channel.default_company_id:
                warning = _("No company for new customers: their conversations belong to no company, and "
                            "only LINE managers see them until someone assigns them.")
            elif not channel._assign_candidates():
                warning = _("The assignment rule names nobody: new conversations get no assignee, only the "
                            "responsible users see them.")
            channel.assignment_warning = warning

    def _assign_candidates(self):
        """The people the rule names, in a stable order (the round robin's order)."""
        self.ensure_one()
        users = {
            "responsible": self.responsible_user_ids,
            "users": self.assign_user_ids,
            "team": self.assign_team_id.member_ids,
            "group": self.assign_group_id.users,
        }[self.assign_target]
        return users.filtered(lambda user: user.active and not user.share).sorted("id")

    def _open_conversation_counts(self, users):
        """Unreplied LINE conversations per assignee (the load that caps and "least busy" use)."""
        groups = self.env["discuss.channel"]._read_group(
            [("channel_type", "=", "line"), ("line_assignee_id", "in", users.ids), ("line_unreplied", "=", True)],
            ["line_assignee_id"], ["__count"])
        return {user.id: count for user, count in groups}

    def _pick_assignee(self, identity=None):
        """Choose who answers a new conversation of this channel.

        The round-robin pointer is read and moved under a row lock on the channel, so two
        newcomers processed at once never share or skip a turn.
        """
        self.ensure_one()
        # A concurrent turn makes this a serialization failure (repeatable read): the caller's
        # transaction is retried, as Odoo retries requests and the cron retries events.
        with mute_logger("odoo.sql_db"):
            self.env.cr.execute(SQL("SELECT id FROM line_channel WHERE id = %s FOR NO KEY UPDATE", self.id))
        self.invalidate_recordset(["assign_pointer_user_id"])
        candidates = self._assign_candidates()
        previous = identity and identity._previous_assignee()
        if previous and previous in candidates | self.responsible_user_ids and self._is_available(previous):
            return previous
        counts = self._open_conversation_counts(candidates)
        eligible = candidates.filtered(
            lambda user: self._is_available(user)
            and not (self.assign_max_open and counts.get(user.id, 0) >= self.assign_max_open))
        if not eligible:
            return self.assign_fallback_user_id
        if self.assign_method == "least_busy":
            user = min(eligible, key=lambda u: (counts.get(u.id, 0), u.id))
        else:
            user = utils.next_in_turn(candidates.ids, eligible.ids, self.assign_pointer_user_id.id)
            user = self.env["res.users"].browse(user)
        self.sudo().assign_pointer_user_id = user
        return user

    def _is_available(self, user):
        # Odoo's own answer (bus, extended by Time Off, Homeworking...), never im_status read by hand.
        return not self.assign_only_available or user._is_user_available()

    def action_reassign_open_conversations(self):
        """Changing the rule reassigns nothing by itself; this applies it to unreplied conversations."""
        self.check_access("write")  # LINE managers: the conversations are then assigned as the integration
        for channel in self:
            conversations = self.env["discuss.channel"].search([
                ("line_channel_id", "=", channel.id), ("line_unreplied", "=", True), ("line_chat_id", "=", False)],
                order="line_last_customer_date, id")
            for conversation in conversations:
                user = channel._pick_assignee()
                if user and user != conversation.line_assignee_id:
                    conversation._line_assign(user)
        return True
