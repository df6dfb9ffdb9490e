import logging

from odoo import api, fields, models
from odoo.tools import SQL

from .. import const

_logger = logging.getLogger(__name__)


class LineChannel(models.Model):
    """Who answers a new LINE customer: the channel's assignment rule, and the routing of new
    conversations to a company, a team and a person by it."""

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
        "res.users", "Last Assigned", compute="_compute_assign_pointer_user_id",
        help="Who the rule last gave a conversation to; round robin goes on in turn.")
    default_company_id = fields.Many2one(
        "res.company", "Company for New Customers",
        help="Shared channels: the company new conversations belong to.")
    default_team_id = fields.Many2one(
        "crm.team", "Team for New Customers", help="Shared channels: the team notified of new conversations.")
    assignment_warning = fields.Char(compute="_compute_assignment_warning")
    unrouted_count = fields.Integer(
        "Conversations Without a Company", compute="_compute_unrouted_count",
        help="Arrived while this shared channel had no company for new customers: only LINE managers see them.")

    @api.depends("scope", "default_company_id", "responsible_user_ids", "assign_target", "assign_user_ids",
                 "assign_team_id", "assign_group_id")
    def _compute_assignment_warning(self):
        for channel in self:
            warning = False
            if channel.scope == "shared" and not channel.default_company_id:
                warning = self.env._("No company for new customers: their conversations belong to no company, and "
                            "only LINE managers see them until someone assigns them.")
                told = channel._line_first_members().mapped("name")
                warning += " " + self.env._("Told of each new customer: %s.", ", ".join(told) or self.env._("nobody"))
            elif not channel._assign_candidates():
                warning = self.env._("The assignment rule names nobody: new conversations get no assignee, only the "
                            "responsible users see them.")
            channel.assignment_warning = warning

    def _compute_unrouted_count(self):
        counts = dict(self.env["discuss.channel"].sudo()._read_group(
            self._unrouted_domain(), ["line_channel_id"], ["__count"]))
        for channel in self:
            channel.unrouted_count = counts.get(channel, 0)

    def _unrouted_domain(self):
        return [("channel_type", "=", "line"), ("line_channel_id", "in", self.ids), ("line_company_id", "=", False)]

    def action_route_unrouted(self):
        """Route the conversations that arrived before the shared channel had a company for new
        customers, by its rule now (company, team, members, assignee), as new ones are."""
        self._line_check_manager()
        for channel in self.filtered(lambda c: c.scope == "shared" and c.default_company_id):
            # sudo: discuss.channel - they belong to no company yet: only the integration reaches them all
            for conversation in self.env["discuss.channel"].sudo().search(channel._unrouted_domain(), order="id"):
                channel._line_route(conversation)
        return True

    def _assign_candidates(self):
        """The people the rule names, in a stable order (the round robin's order)."""
        self.ensure_one()
        # Only the rule's own field is read (each is a query on a new customer's first contact).
        users = {
            "responsible": lambda: self.responsible_user_ids,
            "users": lambda: self.assign_user_ids,
            "team": lambda: self.assign_team_id.member_ids,
            "group": lambda: self.assign_group_id.users,
        }[self.assign_target]()
        return users.filtered(lambda user: user.active and not user.share).sorted("id")

    def _open_conversation_counts(self, users):
        """Unreplied LINE conversations per assignee (the load that caps and "least busy" use)."""
        groups = self.env["discuss.channel"]._read_group(
            [("channel_type", "=", "line"), ("line_assignee_id", "in", users.ids), ("line_unreplied", "=", True)],
            ["line_assignee_id"], ["__count"])
        return {user.id: count for user, count in groups}

    def _pick_assignee(self, identity=None):
        """Choose who answers a new conversation of this channel.

        Round robin takes turns from the channel's own PostgreSQL sequence: two newcomers
        processed at once get two consecutive turns, and no transaction waits for another or
        fails to serialize on a shared row (a hot row every new customer would queue on).
        """
        self.ensure_one()
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
            return min(eligible, key=lambda u: (counts.get(u.id, 0), u.id))
        # The turn falls to a candidate of the rule in order; one who cannot take it passes it on.
        start = (self._take_turn() - 1) % len(candidates)
        return next(user for user in candidates[start:] + candidates[:start] if user in eligible)

    def _take_turn(self):
        """The next turn of the channel's round robin (1, 2, ...): never blocks, never rolls back."""
        self.env.cr.execute(SQL("SELECT nextval(%s)", self._turn_sequence()))
        return self.env.cr.fetchone()[0]

    def _turn_sequence(self):
        return f"line_channel_turn_{self.id}"

    def init(self):
        super().init()
        self.env.cr.execute("SELECT id FROM line_channel")
        self.browse(row[0] for row in self.env.cr.fetchall())._create_turn_sequences()

    def _create_turn_sequences(self):
        for channel in self:
            self.env.cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(channel._turn_sequence())))

    @api.model_create_multi
    def create(self, vals_list):
        channels = super().create(vals_list)
        channels._create_turn_sequences()
        return channels

    def unlink(self):
        sequences = [channel._turn_sequence() for channel in self]
        result = super().unlink()
        for sequence in sequences:
            self.env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(sequence)))
        return result

    def _compute_assign_pointer_user_id(self):
        for channel in self:
            channel.assign_pointer_user_id = self.env["discuss.channel"].search(
                [("line_channel_id", "=", channel.id), ("line_assignee_id", "!=", False)],
                order="id desc", limit=1).line_assignee_id

    def _is_available(self, user):
        # Odoo's own answer (bus, extended by Time Off, Homeworking...), never im_status read by hand.
        return not self.assign_only_available or user._is_user_available()

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------

    def _line_open(self, identity=None, chat_id=None, name=None):
        """A new conversation of this channel, routed as it is created: its company, team and
        assignee are written with it, and its first members, its assignee and the customer's guest
        join it in one ``add_members`` (each call costs Discuss a member search, a member insert and
        a notification of the channel's members).

        :raise LineCreateRace: another transaction created it first
        """
        self.ensure_one()
        values = self._line_route_values()
        one_to_one = bool(identity) and not chat_id
        assignee = self._line_assignee_for(identity, values["line_company_id"]) if one_to_one else self.env["res.users"]
        values["line_assignee_id"] = assignee.id
        conversation = self.env["discuss.channel"]._line_create(self, identity=identity, chat_id=chat_id, name=name,
                                                               values=values)
        # The customer speaks as their guest until they are linked to a contact (discuss.channel._line_post).
        guest = identity._get_guest() if one_to_one and not identity.partner_id else self.env["mail.guest"]
        partners = self._line_first_members().partner_id | assignee.partner_id
        # sudo: discuss.channel.member - the integration adds the people who answer, and the customer
        conversation.sudo().add_members(partner_ids=partners.ids, guest_ids=guest.ids, post_joined_message=False)
        if assignee:
            self._line_remind(conversation, assignee)
        return conversation

    def _line_route_values(self):
        """The company and team a new conversation of this channel belongs to."""
        shared = self.scope == "shared"
        return {
            "line_company_id": (self.default_company_id if shared else self.company_id).id,
            "line_team_id": self.default_team_id.id if shared else False,
        }

    def _line_assignee_for(self, identity, company_id):
        """Who answers a customer's new conversation: their salesperson, else the rule's pick. A
        shared channel without a company for new customers assigns nobody (the form warns about it)."""
        if self.scope == "shared" and not company_id:
            return self.env["res.users"]
        salesperson = identity.partner_id.user_id
        if salesperson and not salesperson.share and self._is_available(salesperson):
            return salesperson
        return self._pick_assignee(identity)

    def _line_route(self, conversation, again=False):
        """A conversation that exists reaches people: its company, team and members, and an assignee
        (new conversations are routed as they are created, ``_line_open``).

        ``again``: the customer writes into a one-to-one conversation nobody was assigned (everyone
        was at their limit, or away): the rule gets another chance, and the assignee a note.
        """
        self.ensure_one()
        if not again:
            conversation._line_write(self._line_route_values())
            conversation.add_members(partner_ids=self._line_first_members().partner_id.ids,
                                     post_joined_message=False)
        identity = conversation.line_identity_id
        if identity and not conversation.line_chat_id and not conversation.line_assignee_id:
            assignee = self._line_assignee_for(identity, conversation.line_company_id.id)
            if assignee:
                self._line_assign(conversation, assignee, note=again)

    def _line_first_members(self):
        """Who joins every new conversation: the responsible users and the team for new customers."""
        users = self.responsible_user_ids
        if self.scope == "shared" and not self.default_company_id:
            # No company for new customers: only LINE managers see them (the channel form warns).
            return users.filtered(lambda user: user.has_group("line_connector.group_line_manager"))
        return users | (self.default_team_id.member_ids if self.scope == "shared" else users.browse())

    def _line_assign(self, conversation, user, note=True):
        """Make ``user`` the one who answers: member, notified, and (if the channel wants) an activity."""
        previous = conversation.line_assignee_id
        conversation._line_write({"line_assignee_id": user.id})
        # sudo: discuss.channel.member - whoever may reassign adds the assignee, member or not
        joined = conversation.sudo().add_members(partner_ids=user.partner_id.ids, post_joined_message=False)
        joined._line_unread_from_now()
        if note:
            posted = conversation._line_notify(
                self.env._("Assigned to %(user)s by %(by)s.", user=user.name, by=self.env.user.name)
                if previous else self.env._("Assigned to %s.", user.name))
            self.env["discuss.channel.member"]._line_see_own_note(conversation, posted)
        self._line_remind(conversation, user, previous)

    def _line_remind(self, conversation, user, previous=None):
        """The assignee's "Reply on LINE": the previous assignee's follows the conversation, or a new
        one if the channel wants it."""
        identity = conversation.line_identity_id
        if not identity:
            return
        # the cached XML ID, not env.ref(): one query less on every new customer
        activity_type_id = self.env["ir.model.data"]._xmlid_to_res_id("line_connector.mail_activity_type_reply_line")
        if previous and previous != user:
            # sudo: mail.activity - the previous assignee's "Reply on LINE" follows the conversation
            reminders = self.env["mail.activity"].sudo().search([
                ("res_model", "=", "line.identity"), ("res_id", "=", identity.id), ("user_id", "=", previous.id),
                ("activity_type_id", "=", activity_type_id)])
            if reminders:
                reminders.user_id = user
                return
        if self.assign_activity:
            # sudo: line.identity - the assignee's reminder, whoever assigns
            identity.sudo().activity_schedule(
                activity_type_id=activity_type_id, user_id=user.id,
                note=self.env._("%(name)s wrote on LINE (%(channel)s).", name=identity.name, channel=self.name))

    def _line_complete_reply_activities(self, conversation):
        """The customer was answered: their "Reply on LINE" activities are done."""
        if not conversation.line_identity_id:
            return
        # sudo: mail.activity - whoever answers the customer fulfils the reminder, whoever it was for
        activities = self.env["mail.activity"].sudo().search([
            ("res_model", "=", "line.identity"), ("res_id", "=", conversation.line_identity_id.id),
            # the cached XML ID, not env.ref(): one query less on every answer
            ("activity_type_id", "=", self.env["ir.model.data"]._xmlid_to_res_id(
                "line_connector.mail_activity_type_reply_line")),
        ])
        if activities:
            activities.action_feedback(feedback=self.env._("Answered on LINE by %s.", self.env.user.name))

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
                    channel._line_assign(conversation, user)
        return True
