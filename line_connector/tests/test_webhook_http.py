import json

from line_emulator.webhook import sign

from odoo.tests import tagged

from odoo.addons.line_connector.models import line_channel as line_channel_module

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

    def _text_body(self, *extra_events):
        """A real message event, as LINE would send it, and anything else given."""
        customer = self.new_customer("Rejected Sender")
        event = self.emu.build_event(self.emu_channel["channel_id"], customer["user_id"], "text", text="hi")
        return json.dumps({"destination": "Uxxx", "events": [event, *extra_events]}).encode()

    def assertNothingStored(self):
        self.assertFalse(self.env["line.event"].search([("channel_id", "=", self.line_channel.id)]))

    def test_a_good_signature_stores_the_events(self):
        body = self._text_body()
        response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.env["line.event"].search([("channel_id", "=", self.line_channel.id)])), 1)

    def test_verify_call_with_no_events_is_ok(self):
        body = json.dumps({"destination": "Uxxx", "events": []}).encode()
        response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 200)

    def test_wrong_or_missing_signature_is_refused(self):
        body = self._text_body()
        self.assertEqual(self._post(self.line_channel.webhook_url, body, signature="AAAA").status_code, 401)
        self.assertEqual(self._post(self.line_channel.webhook_url, body).status_code, 401)
        wrong_secret = self._post(self.line_channel.webhook_url, body, secret="not-the-channel-secret")
        self.assertEqual(wrong_secret.status_code, 401)
        self.assertNothingStored()

    def test_unknown_or_archived_channel_is_404(self):
        body = self._text_body()
        url = self.line_channel.webhook_url
        self.assertEqual(self._post(url + "x", body, secret="whatever").status_code, 404)
        self.line_channel.active = False
        self.assertEqual(self._post(url, body, secret=self.line_channel.channel_secret).status_code, 404)
        self.assertNothingStored()

    def test_malformed_json_is_400(self):
        for body in (b"{not json", b'{"events": "nope"}', b"[]"):
            response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
            self.assertEqual(response.status_code, 400, body)
        event = json.loads(self._text_body())["events"][0]
        not_line = json.dumps({"events": [event, {"no": "type"}]}).encode()  # one good event, one not LINE's
        response = self._post(self.line_channel.webhook_url, not_line, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 400)
        self.assertNothingStored()

    def test_oversized_body_is_413(self):
        body = self._text_body()[:-1] + b', "pad": "' + b"x" * (1024 * 1024 + 1) + b'"}'
        response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 413)
        self.assertNothingStored()

    def test_events_with_badly_typed_fields_are_400_and_say_which(self):
        event = json.loads(self._text_body())["events"][0]
        for key, value in (("timestamp", "yesterday"), ("source", "U123"), ("webhookEventId", 42),
                           ("message", {"id": {"nested": 1}, "type": "text"})):
            body = json.dumps({"destination": "Uxxx", "events": [dict(event, **{key: value})]}).encode()
            response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
            self.assertEqual(response.status_code, 400, key)
            self.assertIn(f"events[0]: &#39;{key}", response.text)
        self.assertNothingStored()

    def test_wrong_signatures_are_logged_once_per_burst_without_secret_or_body(self):
        line_channel_module._signature_warnings.pop(self.line_channel.id, None)  # no earlier burst
        body = self._text_body()
        with self.assertLogs("odoo.addons.line_connector.models.line_channel", "WARNING") as logs:
            for _attempt in range(3):
                self.assertEqual(self._post(self.line_channel.webhook_url, body, signature="AAAA").status_code, 401)
        self.assertEqual(len(logs.records), 1)
        self.assertNotIn(self.line_channel.channel_secret, logs.output[0])
        self.assertNotIn("Rejected Sender", logs.output[0])
