import base64
import hashlib
import hmac
import logging
import time

from werkzeug.exceptions import BadRequest, NotFound, Unauthorized

from odoo import http
from odoo.http import request

from .. import const
from ..tools.webhook_body import NotLineBody

_logger = logging.getLogger(__name__)

_signature_warnings = {}  # channel id -> monotonic time of the last warning


class LineWebhookController(http.Controller):

    @http.route(
        f"{const.WEBHOOK_ROUTE}/<string:token>", type="http", auth="public", methods=["POST"],
        csrf=False, save_session=False, max_content_length=const.WEBHOOK_MAX_BYTES,
    )
    def line_webhook(self, token):
        """Verify, store and acknowledge what LINE sends; processing happens later, in a cron job.

        A correctly signed body is always stored (an event Odoo cannot understand is parked for a
        person): 400 is only for a body that is not LINE's at all. A disconnected (archived)
        channel's events are kept too, parked until it is connected again.
        """
        # sudo: line.channel - LINE calls anonymously; the unguessable token in the URL picks the
        # channel (one query, with what the signature check and the storing read).
        channel = request.env["line.channel"].sudo().with_context(active_test=False).search_fetch(
            [("webhook_token", "=", token)], ["channel_secret", "active"], limit=1) if token else None
        if not channel:
            raise NotFound()
        body = request.httprequest.get_data()
        if not _signature_is_valid(channel, body, request.httprequest.headers.get(const.SIGNATURE_HEADER)):
            raise Unauthorized("Invalid LINE signature")
        try:
            # sudo: line.event - the verified body's events are stored as the integration
            request.env["line.event"].sudo()._store_webhook(channel.with_context(active_test=True), body)
        except NotLineBody as error:
            raise BadRequest(str(error)) from error
        return request.make_response("OK", headers=[("Content-Type", "text/plain")])


def _signature_is_valid(channel, body, signature):
    """LINE's signature: Base64(HMAC-SHA256(key=channel secret, msg=raw body)), compared in
    constant time on the bytes as received."""
    secret = channel.channel_secret
    if secret and signature:
        digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        if hmac.compare_digest(digest, signature.strip().encode()):
            return True
    # A wrong signature may come in bursts (a misconfigured secret, a probe): warn once a minute.
    now = time.monotonic()
    if now - _signature_warnings.get(channel.id, -3600) > 60:
        _signature_warnings[channel.id] = now
        _logger.warning("LINE channel %s: rejected a webhook with a missing or wrong signature "
                        "(is the Channel secret in Odoo the current one?)", channel.id)
    return False
