from odoo import fields, models


class LineTag(models.Model):
    """A label operators put on LINE conversations (e.g. "予約", "クレーム") to sort and find them."""

    _name = "line.tag"
    _description = "LINE Conversation Tag"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    color = fields.Integer(default=lambda self: self._default_color())
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to offer the tag to every company.")
    active = fields.Boolean(default=True)

    _sql_constraints = [("name_company_unique", "UNIQUE(name, company_id)", "A tag with this name already exists.")]

    def _default_color(self):
        return (self.search_count([]) % 11) + 1
