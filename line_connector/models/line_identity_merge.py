import base64
import hashlib

from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.osv import expression

from .. import const, utils


class LineIdentity(models.Model):
    """Merging LINE customers (名寄せ): one person under two providers, or before and after an account
    switch, is two LINE customers (LINE gives them two user IDs); an operator says they are one person
    and both end on one contact. Each keeps their ID and conversations: answers still go to the right one.

    Customers who may be the same person are suggested (name with or without spaces, family name alone,
    same picture; same language ranks higher), never merged without an operator's click.
    """

    _inherit = "line.identity"  # pylint: disable=consider-merging-classes-inherited

    # Normalised, stored and indexed so that suggestions are one indexed query at any number of customers.
    line_name_key = fields.Char("Name Key", compute="_compute_line_name_key", store=True, index=True,
                                help="The LINE name without spaces, width, case or honorifics.")
    line_picture_checksum = fields.Char("Picture Checksum", compute="_compute_line_picture_checksum",
                                        store=True, index="btree_not_null")
    line_similar_identity_ids = fields.Many2many(
        "line.identity", string="May Be the Same Person", compute="_compute_line_similar_identity_ids",
        help="Other LINE customers with a similar name or the same picture. Nothing is merged until "
             "an operator says they are the same person.")

    def init(self):
        super().init()
        # "山田" finds "山田花子": a prefix LIKE needs an index in the pattern operator class whatever
        # the database's collation.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS line_identity_line_name_key_prefix
                ON line_identity (line_name_key text_pattern_ops) WHERE line_name_key IS NOT NULL
        """)

    @api.depends("name")
    def _compute_line_name_key(self):
        placeholders = {utils.name_key("LINE user"), utils.name_key(self.env._("LINE user"))}
        for identity in self:
            key = utils.name_key(identity.name)
            identity.line_name_key = key if key not in placeholders else False

    @api.depends("image_128")
    def _compute_line_picture_checksum(self):
        for identity in self.with_context(bin_size=False):
            picture = identity.image_128
            identity.line_picture_checksum = hashlib.sha1(base64.b64decode(picture)).hexdigest() if picture else False

    # Recomputed per user (record rules decide who is suggested) and per request: not a stored value.
    @api.depends_context("uid", "allowed_company_ids")
    @api.depends("line_name_key", "line_picture_checksum", "language", "partner_id")
    def _compute_line_similar_identity_ids(self):
        for identity in self:
            identity.line_similar_identity_ids = identity._line_similar_identities()

    # ------------------------------------------------------------------
    # Suggestions
    # ------------------------------------------------------------------

    def _line_name_prefixes(self):
        """The names another customer may be known by if they are this one: the whole name and, as
        family names, its first words ("山田 花子" -> "山田"), or for a name written without a space in
        Japanese, its beginnings ("山田花子" -> "山田", "山田花")."""
        self.ensure_one()
        words = utils.name_words(self.name)
        key = "".join(words)
        if len(words) > 1:
            prefixes = {"".join(words[:i]) for i in range(1, len(words) + 1)}
        elif not key.isascii():
            prefixes = {key[:i] for i in range(const.MERGE_MIN_NAME_CHARS, len(key) + 1)}
        else:
            prefixes = {key}
        return sorted(p for p in prefixes if len(p) >= const.MERGE_MIN_NAME_CHARS or p == key)

    def _line_similar_domain(self):
        self.ensure_one()
        resemblances = []
        if self.line_name_key:
            resemblances.append([("line_name_key", "in", self._line_name_prefixes())])
            if len(self.line_name_key) >= const.MERGE_MIN_NAME_CHARS:
                # The other's name starts with this one: "山田" alone may be "山田 花子".
                resemblances.append([("line_name_key", "=like", tools.escape_psql(self.line_name_key) + "%")])
        if self.line_picture_checksum:
            resemblances.append([("line_picture_checksum", "=", self.line_picture_checksum)])
        if not resemblances:
            return None
        domain = expression.AND([expression.OR(resemblances), [("id", "!=", self.id)]])
        if self.partner_id:  # customers already on this one's contact are one person already
            domain = expression.AND([domain, ["|", ("partner_id", "=", False),
                                              ("partner_id", "!=", self.partner_id.id)]])
        return domain

    def _line_similar_identities(self, limit=const.MERGE_SUGGESTIONS):
        """Other LINE customers who may be this one, most alike first.

        One indexed query, run as the user: record rules keep out the customers of companies the
        user cannot see. Customers already on this one's contact are not suggested again.
        """
        self.ensure_one()
        domain = self._line_similar_domain()
        if not domain:
            return self.browse()
        candidates = self.search(domain, limit=const.MERGE_SUGGESTION_CANDIDATES)
        ranked = sorted(candidates, key=lambda other: (-self._line_resemblance_score(other), other.id))
        return self.browse([other.id for other in ranked[:limit]])

    def _line_resemblance_score(self, other):
        score = utils.name_similarity(self.name, other.name) if self.line_name_key else 0.0
        if self.line_picture_checksum and self.line_picture_checksum == other.line_picture_checksum:
            score += 1.0
        if self.language and self.language == other.language:
            score += 0.2  # supports a resemblance, never suggests on its own
        return score

    def _line_resemblance_reasons(self, other):
        """Why ``other`` may be this customer, as the operator reads it."""
        self.ensure_one()
        reasons = []
        if self.line_name_key and self.line_name_key == other.line_name_key:
            reasons.append(self.env._("Same name"))
        elif self.line_name_key and other.line_name_key and (
                other.line_name_key.startswith(self.line_name_key)
                or self.line_name_key.startswith(other.line_name_key)):
            reasons.append(self.env._("Family name"))
        if self.line_picture_checksum and self.line_picture_checksum == other.line_picture_checksum:
            reasons.append(self.env._("Same picture"))
        if reasons and self.language and self.language == other.language:
            reasons.append(self.env._("Same language"))
        return ", ".join(reasons)

    # ------------------------------------------------------------------
    # Merging
    # ------------------------------------------------------------------

    def _line_merge(self, other, dst_partner=None):
        """Say that ``other`` is the same person as this customer: both end on one contact.

        A customer linked to no contact joins the other's contact (or a new one from this customer's
        profile); two different contacts are merged by Odoo's own partner merge, into ``dst_partner``
        (this customer's contact by default), with all its checks.
        """
        self.ensure_one()
        other.ensure_one()
        self._line_check_merge(other)
        partners = (self | other).partner_id
        if len(partners) == 2:
            dst_partner = dst_partner if dst_partner and dst_partner in partners else self.partner_id
            partners.check_access("unlink")
            self.env["base.partner.merge.automatic.wizard"].create({
                "partner_ids": [Command.set(partners.ids)], "dst_partner_id": dst_partner.id,
            }).action_merge()
            (self | other).invalidate_recordset(["partner_id"])
        partner = partners.exists()[:1] if len(partners) < 2 else dst_partner
        if not partner:
            partner = self._create_partner_from_profile()
        for identity in self | other:
            identity._link_partner(partner)
        for identity, same in ((self, other), (other, self)):
            for conversation in identity.conversation_ids:
                conversation._line_send_store()
                conversation._line_notify(self.env._(
                    "%(name)s and %(other)s (%(provider)s) are the same person: both are the contact %(contact)s "
                    "(by %(user)s).", name=identity.name, other=same.name, provider=same.provider_name,
                    contact=partner.display_name, user=self.env.user.name))
        return partner

    def _line_check_merge(self, other):
        """Only a user who may change both customers and both contacts merges them, within one company."""
        if self == other:
            raise UserError(self.env._("Choose another LINE customer: %s is already this one.", other.name))
        (self | other).check_access("write")
        (self | other).partner_id.check_access("write")
        # sudo: discuss.channel - the companies of all the customers' conversations, also unseen ones
        mine, theirs = self.sudo().conversation_ids.line_company_id, other.sudo().conversation_ids.line_company_id
        if (mine | theirs) - self.env.user.company_ids or (mine and theirs and not mine & theirs):
            raise UserError(self.env._(
                "%(name)s and %(other)s write to Official Accounts of different companies: LINE customers are "
                "merged only within one company.", name=self.name, other=other.name))

    def action_open_merge_wizard(self):
        """"Same person…": choose the LINE customer this one is (suggestions first)."""
        self.ensure_one()
        self.check_access("write")
        # Made here, its suggestions with it, so that each suggestion's own button can be clicked at once.
        wizard = self.env["line.merge.wizard"].create({"identity_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("%s is the same person as…", self.name),
            "res_model": "line.merge.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }
