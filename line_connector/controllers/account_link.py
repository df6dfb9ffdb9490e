from urllib.parse import quote

from odoo import http
from odoo.http import request

from .. import const


class LineAccountLinkController(http.Controller):

    @http.route(f"{const.ACCOUNT_LINK_ROUTE}/<string:token>", type="http", auth="public", methods=["GET"],
                sitemap=False)
    def line_account_link(self, token):
        """The link sent to a LINE customer: log in (or sign up), then on to LINE's account-link dialog."""
        if request.env.user._is_public():
            return request.redirect(f"/web/login?redirect={quote(request.httprequest.path, safe='')}")
        # sudo: line.account.link - found by the secret token in the URL, for the logged-in user only
        url = request.env["line.account.link"].sudo()._open(token, request.env.user)
        if not url:
            return request.render("line_connector.account_link_invalid", status=404)
        return request.redirect(url, local=False)
