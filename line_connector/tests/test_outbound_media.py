import io
import os
import struct
from datetime import timedelta

from PIL import Image

from odoo.tests import tagged

from odoo.addons.line_connector import const

from .common import LineConversationCase

ONE_MB = 1024 * 1024


def noisy_image(width, height, image_format, **options):
    """A photo-like image that does not compress: the worst case for LINE's size limits."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    data = io.BytesIO()
    image.save(data, image_format, **options)
    return data.getvalue()


def box(kind, payload):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def iso_media(brand, timescale, duration, media=b"\x00" * 2048):
    """An mp4/m4a file as encoders write it: ftyp, the media data, then the movie header."""
    mvhd = box(b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, duration) + b"\x00" * 80)
    return box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41") + box(b"mdat", media) + box(b"moov", mvhd)


def mp3(frames=None):
    """MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo; with a Xing header when ``frames``."""
    header = b"\xff\xfb\x90\x64"
    first = header + b"\x00" * 32
    if frames:
        first += b"Xing" + struct.pack(">II", 1, frames)
    frame_length = 144 * 128000 // 44100
    first = first.ljust(frame_length, b"\x00")
    return first + (header + b"\x00" * (frame_length - 4)) * 20


@tagged("post_install", "-at_install")
class TestOutboundMedia(LineConversationCase):
    """What an operator's attachments become on LINE: messages LINE takes, or download links."""

    first_message = "Can I see it?"

    def post_files(self, *files, body=""):
        """The operator posts ``files`` ((name, mimetype, bytes)); returns what LINE received."""
        attachments = self.env["ir.attachment"].create([{
            "name": name, "mimetype": mimetype, "raw": raw,
            "res_model": "discuss.channel", "res_id": self.conversation.id} for name, mimetype, raw in files])
        self.conversation.with_user(self.operator).message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_comment", attachment_ids=attachments.ids)
        self.env["line.message"]._cron_send()
        [sent] = [s for s in self.emu.sent(user_id=self.customer["user_id"]) if s["delivered"]]
        return sent

    def fetches(self, sent):
        return {f["url"]: f for f in sent["media_fetches"]}

    def assert_links(self, sent, *names):
        self.assertEqual([m["type"] for m in sent["messages"]], ["text"])
        text = sent["messages"][0]["text"]
        for name in names:
            self.assertIn(f"{name}: http", text)
        return text

    # -- images ---------------------------------------------------------------------------------

    def test_large_photo_goes_as_an_image_with_a_preview_under_one_megabyte(self):
        self.env["ir.config_parameter"].set_param("base.image_autoresize_max_px", "0")  # originals kept
        photo = noisy_image(3000, 2000, "JPEG", quality=80)
        self.assertTrue(ONE_MB < len(photo) < const.IMAGE_MAX_BYTES)
        sent = self.post_files(("shop.jpg", "image/jpeg", photo))
        [image] = sent["messages"]
        self.assertEqual(image["type"], "image")
        self.assertIn("access_token=", image["originalContentUrl"])
        self.assertIn("access_token=", image["previewImageUrl"])
        original, preview = (self.fetches(sent)[image[f]] for f in ("originalContentUrl", "previewImageUrl"))
        self.assertEqual((original["status"], original["size"]), (200, len(photo)))
        self.assertEqual((preview["status"], preview["content_type"]), (200, "image/jpeg"))
        self.assertLess(preview["size"], ONE_MB)

    def test_png_goes_as_an_image(self):
        picture = noisy_image(800, 600, "PNG")
        sent = self.post_files(("chart.png", "image/png", picture))
        [image] = sent["messages"]
        self.assertEqual(image["type"], "image")
        preview = self.fetches(sent)[image["previewImageUrl"]]
        self.assertEqual((preview["status"], preview["content_type"]), (200, "image/png"))
        self.assertLess(preview["size"], ONE_MB)

    def test_image_over_lines_limit_goes_as_a_link(self):
        picture = noisy_image(1920, 1920, "PNG", compress_level=1)  # within Odoo's resizing, over 10 MB
        self.assertGreater(len(picture), const.IMAGE_MAX_BYTES)
        sent = self.post_files(("poster.png", "image/png", picture), body="The poster")
        text = self.assert_links(sent, "poster.png")
        self.assertTrue(text.startswith("The poster\n"))
        self.assertEqual(sent["media_fetches"], [])

    def test_image_types_line_does_not_take_go_as_links(self):
        gif = noisy_image(40, 40, "GIF")
        # Odoo loads only some of Pillow's formats: the WebP and HEIC files are their first bytes.
        webp = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 512
        heic = box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic") + b"\x00" * 512
        sent = self.post_files(("wave.gif", "image/gif", gif), ("shoe.webp", "image/webp", webp),
                               ("bag.heic", "image/heic", heic))
        text = self.assert_links(sent, "wave.gif", "shoe.webp", "bag.heic")
        url = text.split("shoe.webp: ")[1].split("\n")[0]
        self.assertEqual(self.url_open(url.replace(self.base_url(), "")).content, webp)

    def test_file_named_as_a_jpeg_that_is_not_one_goes_as_a_link(self):
        sent = self.post_files(("photo.jpg", "image/jpeg", noisy_image(40, 40, "GIF")))
        self.assert_links(sent, "photo.jpg")

    # -- video and audio ------------------------------------------------------------------------

    def test_mp4_goes_as_a_video_with_a_preview_image(self):
        video = iso_media(b"isom", 1000, 4000)
        sent = self.post_files(("demo.mp4", "video/mp4", video))
        [message] = sent["messages"]
        self.assertEqual(message["type"], "video")
        original, preview = (self.fetches(sent)[message[f]] for f in ("originalContentUrl", "previewImageUrl"))
        self.assertEqual((original["status"], original["size"]), (200, len(video)))
        self.assertEqual((preview["status"], preview["content_type"]), (200, "image/png"))
        self.assertLess(preview["size"], ONE_MB)

    def test_other_video_formats_go_as_links(self):
        mov = box(b"ftyp", b"qt  \x00\x00\x02\x00qt  ") + b"\x00" * 512
        sent = self.post_files(("clip.mov", "video/quicktime", mov), ("also.mp4", "video/mp4", mov),
                               ("old.avi", "video/x-msvideo", b"RIFF\x00\x00\x00\x00AVI LIST"))
        self.assert_links(sent, "clip.mov", "also.mp4", "old.avi")

    def test_m4a_goes_as_an_audio_with_its_duration(self):
        audio = iso_media(b"M4A ", 44100, 44100 * 7 // 2)
        sent = self.post_files(("voice.m4a", "audio/x-m4a", audio))
        [message] = sent["messages"]
        self.assertEqual((message["type"], message["duration"]), ("audio", 3500))
        self.assertEqual(self.fetches(sent)[message["originalContentUrl"]]["size"], len(audio))

    def test_mp3_with_a_frame_count_goes_as_an_audio(self):
        sent = self.post_files(("jingle.mp3", "audio/mpeg", mp3(frames=1000)))
        [message] = sent["messages"]
        self.assertEqual((message["type"], message["duration"]), ("audio", 1000 * 1152 * 1000 // 44100))

    def test_audio_of_unknown_length_goes_as_a_link(self):
        """LINE requires the duration: a plain mp3 (no frame count) or a fragmented m4a do not state it."""
        sent = self.post_files(("plain.mp3", "audio/mpeg", mp3()),
                               ("live.m4a", "audio/mp4", iso_media(b"M4A ", 44100, 0)),
                               ("memo.ogg", "audio/ogg", b"OggS" + b"\x00" * 200))
        self.assert_links(sent, "plain.mp3", "live.m4a", "memo.ogg")


@tagged("post_install", "-at_install")
class TestReadAndLoading(LineConversationCase):
    """What the customer sees of an operator at work: "Read" under their messages, the loading dots."""

    first_message = "Are you open today?"

    def setUp(self):
        super().setUp()
        self.member = self.conversation.channel_member_ids.filtered(
            lambda m: m.partner_id == self.operator.partner_id).with_user(self.operator)

    def read_conversation(self):
        self.member._mark_as_read(self.conversation.message_ids[0].id)
        self.env.cr.postcommit.run()

    def customer_messages_read(self):
        return [e["read"] for e in self.emu.chat(self.channel_id, self.customer["user_id"])
                if e["direction"] == "user"]

    def type(self):
        self.member._notify_typing(True)
        self.env.cr.postcommit.run()

    def loading_calls(self):
        return [c for c in self.emu.calls(endpoint="loading") if c["body"]["chatId"] == self.customer["user_id"]]

    def test_reading_with_chat_on_shows_read_on_the_customers_phone(self):
        self.emu.update_channel(self.channel_id, chat_mode="chat", mark_as_read_mode="manual")
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.chat_mode, "chat")
        self.assertEqual(self.customer_messages_read(), [False])
        self.read_conversation()
        self.assertEqual(self.customer_messages_read(), [True])
        self.read_conversation()  # nothing new to mark
        self.assertEqual(len(self.emu.calls(endpoint="markAsRead")), 1)

    def test_reading_with_chat_off_or_unknown_asks_nothing_of_line(self):
        self.assertFalse(self.line_channel.chat_mode)  # never checked: LINE's mode is not known
        self.read_conversation()
        self.line_channel.chat_mode = "bot"
        self.emu.send_text(self.channel_id, self.customer["user_id"], "Hello?")
        self.env["line.event"]._cron_process_events()
        self.read_conversation()
        self.assertEqual(self.emu.calls(endpoint="markAsRead"), [])
        self.assertEqual(self.customer_messages_read(), [False, False])

    def test_typing_repeatedly_shows_the_loading_indicator_once(self):
        for _keystroke in range(5):
            self.type()
        [call] = self.loading_calls()
        self.assertEqual(call["body"], {"chatId": self.customer["user_id"], "loadingSeconds": const.LOADING_SECONDS})
        self.assertEqual(call["status"], 202)
        # The window is over (on any worker: the time is on the operator's member row): shown again.
        self.member.sudo().line_loading_date -= timedelta(seconds=const.LOADING_THROTTLE_SECONDS + 1)
        self.type()
        self.type()
        self.assertEqual(len(self.loading_calls()), 2)

    def test_no_loading_indicator_for_a_customer_who_blocked(self):
        self.emu.block(self.channel_id, self.customer["user_id"])
        self.env["line.event"]._cron_process_events()
        self.type()
        self.assertEqual(self.loading_calls(), [])
