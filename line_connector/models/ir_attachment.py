import contextlib
import io
import struct

from odoo import models

from odoo.addons.line_connector import const

_MP3_BITRATES_KBPS = {  # (MPEG-1?, bitrate index) -> kbit/s, Layer III only
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _line_media_type(self):
        """"image", "video" or "audio" when LINE takes this file as such a message, else False.

        LINE accepts a message whatever its URL serves, then shows the customer a broken picture:
        the file's own first bytes are checked, not only the type its name or the browser gave.
        """
        self.ensure_one()
        if self.type != "binary":
            return False
        head = self._line_read(0, 12)
        is_iso_media = head[4:8] == b"ftyp" and head[8:12] != b"qt  "  # QuickTime is not mp4
        if self.mimetype in const.IMAGE_MIMETYPES and self.file_size <= const.IMAGE_MAX_BYTES and (
                head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))):
            return "image"
        if self.mimetype in const.VIDEO_MIMETYPES and self.file_size <= const.VIDEO_MAX_BYTES and is_iso_media:
            return "video"
        if self.mimetype in const.AUDIO_MIMETYPES and self.file_size <= const.AUDIO_MAX_BYTES \
                and self._line_audio_duration():
            return "audio"
        return False

    def _line_audio_duration(self):
        """The length of an m4a or mp3 file in milliseconds (LINE requires it), or None when the
        file does not state it: an mp3 without a Xing/Info or VBRI header gives only an estimate."""
        self.ensure_one()
        with self._line_open() as file:
            head = file.read(12)
            file.seek(0)
            if head[4:8] == b"ftyp":
                return _mp4_duration(file)
            return _mp3_duration(file)

    def _line_read(self, offset, size):
        with self._line_open() as file:
            file.seek(offset)
            return file.read(size)

    @contextlib.contextmanager
    def _line_open(self):
        # sudo: ir.attachment - the file's bytes, to tell LINE what it is (the user may post it)
        attachment = self.sudo()
        if attachment.store_fname:
            with open(attachment._full_path(attachment.store_fname), "rb") as file:
                yield file
        else:
            yield io.BytesIO(attachment.raw or b"")


def _boxes(file, end):
    """(type, start of the content, end) of the ISO media boxes between here and ``end``."""
    while file.tell() + 8 <= end:
        start = file.tell()
        size, kind = struct.unpack(">I4s", file.read(8))
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", file.read(8))[0], 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            return
        yield kind, start + header, start + size
        file.seek(start + size)


def _mp4_duration(file):
    """Duration from the movie header (moov/mvhd), which every complete mp4/m4a carries; a
    fragmented file states 0 there and gets None."""
    end = file.seek(0, io.SEEK_END)
    file.seek(0)
    for kind, start, stop in _boxes(file, end):
        if kind != b"moov":
            continue
        file.seek(start)
        for inner, inner_start, _inner_stop in _boxes(file, stop):
            if inner != b"mvhd":
                continue
            file.seek(inner_start)
            version = file.read(4)[0]
            if version == 1:
                _created, _modified, timescale, duration = struct.unpack(">QQIQ", file.read(28))
            else:
                _created, _modified, timescale, duration = struct.unpack(">IIII", file.read(16))
            unknown = duration in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)
            return None if unknown or not timescale else duration * 1000 // timescale
        return None
    return None


def _mp3_duration(file):
    """Duration from the Xing/Info or VBRI header of the first frame (the frame count)."""
    start = 0
    tag = file.read(10)
    if tag[:3] == b"ID3" and len(tag) == 10:
        start = 10 + ((tag[6] << 21) | (tag[7] << 14) | (tag[8] << 7) | tag[9]) + (10 if tag[5] & 0x10 else 0)
    file.seek(start)
    frame = file.read(4 + 32 + 120)
    if len(frame) < 4 or frame[0] != 0xFF or (frame[1] & 0xE0) != 0xE0:
        return None
    version, layer = (frame[1] >> 3) & 3, (frame[1] >> 1) & 3
    rate_index, mono = (frame[2] >> 2) & 3, (frame[3] >> 6) == 3
    if version == 1 or layer != 1 or rate_index == 3:  # reserved version, not Layer III, reserved rate
        return None
    mpeg1 = version == 3
    if not _MP3_BITRATES_KBPS[mpeg1][frame[2] >> 4]:
        return None
    sample_rate = _MP3_SAMPLE_RATES[version][rate_index]
    samples = 1152 if mpeg1 else 576
    frames = None
    xing = 4 + ((17 if mono else 32) if mpeg1 else (9 if mono else 17))
    if frame[xing:xing + 4] in (b"Xing", b"Info") and len(frame) >= xing + 12:
        flags = struct.unpack(">I", frame[xing + 4:xing + 8])[0]
        if flags & 1:
            frames = struct.unpack(">I", frame[xing + 8:xing + 12])[0]
    elif frame[36:40] == b"VBRI" and len(frame) >= 54:
        frames = struct.unpack(">I", frame[50:54])[0]
    return frames * samples * 1000 // sample_rate if frames else None
