from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .. import const, utils


class LineSwitchWizard(models.TransientModel):
    """Change the scope of LINE channels, or the Official Accounts behind them, after an impact
    report computed from the conversations: who keeps chatting, who must add which account."""

    _name = "line.switch.wizard"
    _description = "Change LINE Accounts"

    channel_ids = fields.Many2many("line.channel", string="Accounts Now", required=True,
                                   help="The channels whose scope or Official Account changes.")
    scope = fields.Selection(const.CHANNEL_SCOPES, "Afterwards", required=True, default="shared")
    renewed_channel_id = fields.Many2one(
        "line.channel", "New Account Behind", readonly=True,
        help="Check connection found another Official Account behind this channel's credentials: it "
             "replaces the account its conversations were with.")
    line_ids = fields.One2many("line.switch.wizard.line", "wizard_id", "Accounts Afterwards")
    impact_html = fields.Html("What Changes", compute="_compute_impact", sanitize=True)
    provider_warning = fields.Html("Another Provider", compute="_compute_impact", sanitize=True)
    keep_count = fields.Integer("Keep Chatting", compute="_compute_impact")
    readd_count = fields.Integer("Must Add an Account", compute="_compute_impact")

    # ------------------------------------------------------------------
    # Opening, and the accounts proposed
    # ------------------------------------------------------------------

    @api.model
    def _open(self, channels, renewed=None):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change LINE accounts"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {"default_channel_ids": channels.ids, "default_scope": channels[:1].scope,
                        "default_renewed_channel_id": renewed.id if renewed else False},
        }

    def _check_manager(self, channels):
        channels._line_check_manager()

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard._check_manager(wizard.channel_ids)
            if not wizard.line_ids:
                wizard.line_ids = wizard._prepare_lines()
        return wizards

    @api.onchange("scope", "channel_ids")
    def _onchange_scope(self):
        self.line_ids = [Command.clear()] + self._prepare_lines()

    def _prepare_lines(self):
        """One account for all companies, or one per company (the current channel of each kept)."""
        channels, renewed = self.channel_ids._origin or self.channel_ids, self.renewed_channel_id
        if self.scope == "shared":
            keep = renewed or channels.filtered(lambda c: c.scope == "shared")[:1] or channels.filtered(
                lambda c: c.company_id == self.env.company)[:1] or channels[:1]
            return [Command.create({"channel_id": keep.id})]
        lines = []
        for company in self._companies(channels):
            keep = channels.filtered(lambda c, co=company: (c.company_id if c.scope == "company"
                                                             else c.default_company_id) == co)[:1]
            lines.append(Command.create({"company_id": company.id, "channel_id": keep.id}))
        return lines

    def _companies(self, channels):
        companies = channels.company_id | channels.default_company_id
        return (companies | self._conversations(channels).line_company_id).sorted("id")

    def _conversations(self, channels):
        # sudo: discuss.channel - every conversation of the manager's companies, whichever the company
        # switcher shows now: all of them change with the accounts
        return self.env["discuss.channel"].sudo().search([
            ("channel_type", "=", "line"), ("line_channel_id", "in", channels.ids), ("line_move_id", "=", False),
            "|", ("line_company_id", "=", False), ("line_company_id", "in", self.env.user.company_ids.ids)],
            order="line_company_id, line_channel_id, name, id")

    # ------------------------------------------------------------------
    # The impact report
    # ------------------------------------------------------------------

    def _line_for(self, company):
        if self.scope == "shared":
            return self.line_ids[:1]
        return self.line_ids.filtered(lambda line: line.company_id == company)[:1]

    def _impact(self):
        """Per conversation of the accounts now: (conversation, the line of its company, keeps chatting)."""
        rows = []
        for conversation in self._conversations(self.channel_ids._origin or self.channel_ids):
            line = self._line_for(conversation.line_company_id)
            keeps = bool(line.channel_id) and line.channel_id._origin == conversation.line_channel_id and (
                conversation.line_channel_id != self.renewed_channel_id._origin)
            rows.append((conversation, line, keeps))
        return rows

    @api.depends("scope", "channel_ids", "line_ids", "line_ids.channel_id", "line_ids.company_id",
                 "line_ids.new_name", "line_ids.new_provider_name")
    def _compute_impact(self):
        for wizard in self:
            rows = wizard._impact()
            groups = {}
            for conversation, line, keeps in rows:
                key = (conversation.line_company_id, conversation.line_channel_id, line)
                groups.setdefault(key, ([], []))[0 if keeps else 1].append(conversation)
            wizard.keep_count = sum(1 for _c, _l, keeps in rows if keeps)
            wizard.readd_count = sum(1 for c, line, keeps in rows if not keeps and line and c.line_identity_id)
            wizard.impact_html = wizard._render_impact(groups, len(rows))
            wizard.provider_warning = wizard._render_provider_warning(rows)

    def _render_impact(self, groups, total):
        if not total:
            return Markup("<p>%s</p>") % self.env._(
                "These accounts have no conversation yet: nobody has to add an account.")
        head = Markup("").join(Markup("<th>%s</th>") % label for label in (
            self.env._("Company"), self.env._("Account now"), self.env._("Afterwards"), self.env._("Keep chatting"),
            self.env._("Must add the account"), self.env._("Read-only history")))
        body = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                company.name or self.env._("No company"), channel.name, self._render_target(line),
                self._names(keeps), self._names(leaves) if line else self.env._("No account for this company"),
                len(leaves) or "-")
            for (company, channel, line), (keeps, leaves) in groups.items())
        summary = self.env._(
            "%(keep)s conversations keep chatting; %(leave)s become read-only history, and their customers must "
            "add the account shown: send them its add-friend link or QR code.",
            keep=sum(len(k) for k, _l in groups.values()), leave=sum(len(v) for _k, v in groups.values()))
        return (Markup('<p class="o_line_switch_summary">%s</p><table class="table table-sm o_line_switch_impact">'
                       '<thead><tr>%s</tr></thead><tbody>%s</tbody></table>') % (summary, head, body))

    def _render_target(self, line):
        if not line:
            return "-"
        channel = line.channel_id._origin
        if channel and channel == self.renewed_channel_id._origin:
            # The other account Check connection found: its link, until it is the channel's own.
            url = utils.friend_url(channel.pending_bot_basic_id)
            return Markup('%s<br/><a href="%s" target="_blank">%s</a>') % (
                channel.pending_bot_display_name or channel.name, url or "", url or "")
        if not channel:
            return escape(self.env._("%s (new account: its add-friend link once connected)", line.new_name or "?"))
        if not channel.friend_url:
            return escape(self.env._("%s (check its connection to get its add-friend link)", channel.name))
        return Markup('%s<br/><a href="%s" target="_blank">%s</a><br/><img src="/web/image/line.channel/%s/friend_qr" '
                      'width="96" height="96" alt="QR"/>') % (channel.name, channel.friend_url, channel.friend_url,
                                                            channel.id)

    def _names(self, conversations):
        if not conversations:
            return "-"
        names = [c.line_identity_id.name or c.name for c in conversations[:const.SWITCH_NAMES_SHOWN]]
        more = len(conversations) - len(names)
        return ", ".join(names) + (self.env._(" and %s more", more) if more > 0 else "")

    def _render_provider_warning(self, rows):
        others = {}
        for conversation, line, keeps in rows:
            provider = line.provider_name
            if not keeps and line and conversation.line_identity_id.provider_name not in (provider, False):
                others.setdefault((line.name, provider), set()).add(conversation.line_identity_id.provider_name)
        if not others:
            return False
        items = Markup("").join(Markup("<li>%s</li>") % self.env._(
            "%(account)s is under the LINE provider %(new)s; these customers are known under %(old)s.",
            account=account, new=provider, old=", ".join(sorted(old))) for (account, provider), old in others.items())
        return Markup("<p><strong>%s</strong></p><ul>%s</ul><p>%s</p>") % (
            self.env._("Nobody will be recognised."), items, self.env._(
                "LINE gives every person another user ID under another provider: each customer who adds the new "
                "account arrives in Odoo as a new LINE customer, without their history. Only a person can tell "
                "who is who: merge the LINE customers on their contact (Same person… on the LINE customer or the "
                "conversation)."))

    # ------------------------------------------------------------------
    # Applying
    # ------------------------------------------------------------------

    def _check_ready(self):
        lines = self.line_ids
        if self.scope == "shared" and len(lines) != 1:
            raise UserError(self.env._("A shared channel is one account for all companies: give exactly one."))
        if self.scope == "company" and (not all(lines.company_id) or len(lines.company_id) != len(lines)):
            raise UserError(self.env._("One account per company: give each line its own company."))
        targets = lines.channel_id
        if len(targets) != len(lines.filtered("channel_id")):
            raise UserError(self.env._("Each company needs its own account: %s is given twice.",
                                       ", ".join(targets.mapped("name"))))
        for line in lines.filtered(lambda line: not line.channel_id):
            if not (line.new_name and line.new_channel_number and line.new_channel_secret):
                raise UserError(self.env._(
                    "Choose an account for %s, or give the new account's name, Channel ID and Channel secret.",
                    line.company_id.name or self.env._("all companies")))

    def action_apply(self):
        """Everything at once: accounts registered, scopes set, accounts no longer used disconnected,
        conversations marked; then the follow-up list of customers who must add an account."""
        self.ensure_one()
        self._check_manager(self.channel_ids | self.line_ids.channel_id)
        self._check_ready()
        rows = self._impact()
        previous_names = {channel: channel.bot_display_name or channel.name for channel in self.channel_ids}
        renewed = self.renewed_channel_id
        if renewed:
            renewed.action_accept_new_account()
        targets = self.env["line.channel"]
        for line in self.line_ids:
            channel = line.channel_id or line._register_account()
            if renewed == channel and line.new_provider_name:
                channel.provider_name = line.new_provider_name
            self._set_scope(channel, line.company_id)
            targets |= channel
        (self.channel_ids - targets).write({"active": False})
        moves = self.env["line.switch.move"]
        for conversation, line, keeps in rows:
            if line and not keeps:
                moves |= moves._mark(conversation, line.channel_id, previous_names[conversation.line_channel_id])
        action = self.env["ir.actions.act_window"]._for_xml_id("line_connector.line_switch_move_action")
        action["domain"] = [("id", "in", moves.ids)]
        return action

    def _set_scope(self, channel, company):
        """One company's channel, or shared (the company it had then gets the new customers)."""
        vals = {"scope": self.scope}
        if self.scope == "company":
            vals["company_id"] = company.id
        elif channel.company_id and not channel.default_company_id:
            vals["default_company_id"] = channel.company_id.id
        channel.write(vals)

    @api.model
    def _keep_old_account(self, channels):
        """Another account behind the credentials was a mistake: those the account was checked with come back."""
        for channel in channels:
            vals = {"pending_bot_user_id": False, "pending_bot_basic_id": False, "pending_bot_display_name": False}
            if channel.checked_channel_number:
                vals.update(channel_number=channel.checked_channel_number,
                            channel_secret=channel.checked_channel_secret)
            channel.write(vals)
            channel._check_connection()


class LineSwitchWizardLine(models.TransientModel):
    _name = "line.switch.wizard.line"
    _description = "LINE Account After the Change"

    wizard_id = fields.Many2one("line.switch.wizard", "Change", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", "For Company", help="Empty: all companies (a shared channel).")
    channel_id = fields.Many2one("line.channel", "Account", domain=[("active", "=", True)],
                                 help="A channel already in Odoo; leave empty to register a new Official Account.")
    new_name = fields.Char("New Account")
    new_channel_number = fields.Char("Channel ID")
    new_channel_secret = fields.Char("Channel Secret")
    new_provider_name = fields.Char("Provider", help="The LINE provider of the new account (LINE Developers Console).")
    name = fields.Char(compute="_compute_provider_name")
    provider_name = fields.Char("Provider Afterwards", compute="_compute_provider_name")
    friend_url = fields.Char(related="channel_id.friend_url")
    friend_qr = fields.Binary(related="channel_id.friend_qr")

    @api.depends("channel_id", "new_name", "new_provider_name", "wizard_id.channel_ids", "wizard_id.renewed_channel_id")
    def _compute_provider_name(self):
        for line in self:
            renewed = line.channel_id and line.channel_id == line.wizard_id.renewed_channel_id
            line.name = line.channel_id.name or line.new_name
            line.provider_name = ((line.new_provider_name if renewed else False) or line.channel_id.provider_name
                                  or line.new_provider_name or line.wizard_id.channel_ids[:1].provider_name)

    def _register_account(self):
        """The new Official Account as a channel, connected like the accounts it replaces."""
        # sudo: line.channel - the API addresses of the accounts replaced (LINE's, or an emulator's)
        model = self.wizard_id.channel_ids[:1].sudo()
        channel = self.env["line.channel"].create({
            "name": self.new_name, "channel_number": self.new_channel_number,
            "channel_secret": self.new_channel_secret, "provider_name": self.provider_name,
            "scope": self.wizard_id.scope, "company_id": self.company_id.id or self.env.company.id,
            "api_url": model.api_url, "data_url": model.data_url,
            "responsible_user_ids": [Command.set(model.responsible_user_ids.ids or self.env.user.ids)],
        })
        channel._check_connection()
        self.channel_id = channel
        return channel
