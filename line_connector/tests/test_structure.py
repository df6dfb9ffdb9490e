import pathlib
import sys
import threading

from odoo.tests import tagged

from .common import LineConversationCase

ADDON = pathlib.Path(__file__).resolve().parents[1]


@tagged("post_install", "-at_install")
class TestOneTextsWalk(LineConversationCase):
    """A known customer's text, from LINE's webhook to the operator's Discuss, passes through few
    of the addon's files: each job has its room (README, Architecture)."""

    first_message = "First"

    def _files_run_by(self, action):
        files = set()

        def profile(frame, event, _arg):
            if event == "call":
                path = frame.f_code.co_filename
                if path.startswith(str(ADDON)) and "/tests/" not in path:
                    files.add(str(pathlib.Path(path).relative_to(ADDON)))

        threading.setprofile(profile)  # the HTTP server answers each request in a thread of its own
        sys.setprofile(profile)
        try:
            action()
        finally:
            sys.setprofile(None)
            threading.setprofile(None)
        return files

    def test_a_known_customers_text_passes_through_nine_files(self):
        def text_arrives():
            self.emu.send_text(self.channel_id, self.customer["user_id"], "Second")
            self.env["line.event"]._cron_process_events()

        files = self._files_run_by(text_arrives)
        last = self.conversation.message_ids[:1]
        self.assertIn("Second", last.body, "the text is in the conversation")
        self.assertEqual(files, {
            "controllers/main.py",      # LINE's request: the channel found, its signature verified, acknowledged
            "tools/webhook_body.py",    # LINE's body, read tolerantly, each event made storable
            "models/line_event.py",     # the stored event, and its processing
            "models/line_queue_mixin.py",  # the work queue the cron jobs share
            "models/line_inbound.py",   # the text's handler: what it becomes in Discuss
            "models/discuss_channel.py",  # the conversation: found, posted in
            "models/discuss_channel_inbox.py",  # the inbox: to do again (its status), notes kept from the guest
            "models/discuss_channel_member.py",  # whoever answers the customer is a member (back if they left)
            "models/bus_bus.py",        # Discuss told over the connection the process keeps (in the jobs)
        })
