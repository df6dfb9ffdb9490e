import json

from line_emulator.webhook import sign

from odoo.tests import tagged

from .common import LineHttpCase


@tagged("post_install", "-at_install")
class TestWebhookHttp(LineHttpCase):
    """The webhook route through Odoo's real HTTP stack."""

    def _post(self, path, body, signature=None, secret=None):
        headers = {"Content-Type": "application/json"}
        if signature is None and secret:
            signature = sign(secret, body)
        if signature is not None:
            headers["X-Line-Signature"] = signature
        return self.url_open(path, data=body, headers=headers)

    def test_verify_call_with_no_events_is_ok(self):
        body = json.dumps({"destination": "Uxxx", "events": []}).encode()
        response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 200)

    def test_wrong_or_missing_signature_is_refused(self):
        body = json.dumps({"destination": "Uxxx", "events": []}).encode()
        self.assertEqual(self._post(self.line_channel.webhook_url, body, signature="AAAA").status_code, 401)
        self.assertEqual(self._post(self.line_channel.webhook_url, body).status_code, 401)

    def test_unknown_or_archived_channel_is_404(self):
        body = json.dumps({"destination": "Uxxx", "events": []}).encode()
        url = self.line_channel.webhook_url
        self.assertEqual(self._post(url + "x", body, secret="whatever").status_code, 404)
        self.line_channel.active = False
        self.assertEqual(self._post(url, body, secret=self.line_channel.channel_secret).status_code, 404)

    def test_malformed_json_is_400(self):
        for body in (b"{not json", b'{"events": "nope"}', b"[]"):
            response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
            self.assertEqual(response.status_code, 400, body)

    def test_oversized_body_is_413(self):
        body = b'{"events": [], "pad": "' + b"x" * (1024 * 1024 + 1) + b'"}'
        response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 413)
