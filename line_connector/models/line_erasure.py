from odoo import fields, models


class LineErasure(models.Model):
    """The note an erasure leaves: who erased which LINE customer, and when. Nothing they said."""

    _name = "line.erasure"
    _description = "Erased LINE Customer"
    _order = "create_date desc, id desc"

    name = fields.Char("LINE Name", required=True, readonly=True)
    provider_name = fields.Char("Provider", readonly=True)
    partner_id = fields.Many2one("res.partner", "Contact", readonly=True, ondelete="set null",
                                 help="The contact the customer was linked to: it stays.")
    erased_by_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="restrict")
    create_date = fields.Datetime("Erased On", readonly=True)
