import contextlib
import hashlib
import io
import os
import struct
import uuid

from odoo import api, models

from .. import const

_MP3_BITRATES_KBPS = {  # (MPEG-1?, bitrate index) -> kbit/s, Layer III only
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model
    def _line_create_streamed(self, fill, name_for, vals):
        """An attachment whose content ``fill(file)`` streams in (a download from LINE), written to
        the filestore as it arrives, never held whole in memory.

        :param fill: writes the content to the file it is given; returns its metadata (dict with
            ``content_type``), or None when there is no content yet (nothing is created)
        :param name_for: the attachment's name for the content's mimetype
        :return: the attachment, or None
        """
        stream = _StreamFile(self)
        try:
            meta = fill(stream)
            stream.file.close()
            if meta is None:
                return None
            mimetype = (meta.get("content_type") or "application/octet-stream").split(";")[0].strip()
            # Odoo resizes big images, which needs the whole picture in memory: the original is kept.
            return self.with_context(image_no_postprocess=True).create(dict(
                vals, name=name_for(mimetype), mimetype=mimetype, raw=stream.content(mimetype)))
        finally:
            stream.discard()  # whatever did not become an attachment's file

    def _get_datas_related_values(self, data, mimetype):
        if isinstance(data, _StreamedContent):
            return data.stored_values()
        return super()._get_datas_related_values(data, mimetype)

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


class _StreamedContent(bytes):
    """What ``create`` gets as ``raw`` for a streamed file: its first bytes (for Odoo's own checks
    of the type), with the file itself already in the filestore."""

    def __new__(cls, head, values):
        content = super().__new__(cls, head)
        content.values = values
        return content

    def __bool__(self):
        return True  # an empty file is content too

    def stored_values(self):
        return dict(self.values)


class _StreamFile:
    """A file in the filestore that computes its checksum as it is written, then becomes an
    attachment's stored file under Odoo's own name for it (the SHA-1 of its content). With the
    database as storage, the content is read back (that storage holds it in a column anyway)."""

    HEAD = 1024

    def __init__(self, attachments):
        self.attachments = attachments
        self.sha1 = hashlib.sha1()
        self.size = 0
        self.head = b""
        self.path = attachments._full_path(f"line_stream/{uuid.uuid4().hex}")
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.file = open(self.path, "wb")  # closed by _line_create_streamed, whatever happens

    # A file's write, not a model's.
    def write(self, chunk):  # pylint: disable=method-required-super
        self.sha1.update(chunk)
        if len(self.head) < self.HEAD:
            self.head += chunk[:self.HEAD - len(self.head)]
        self.size += len(chunk)
        return self.file.write(chunk)

    def discard(self):
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def content(self, mimetype):
        """The ``raw`` value for ``create``: the file moved to its place in the filestore."""
        Attachment = self.attachments
        checksum = self.sha1.hexdigest()
        values = {"file_size": self.size, "checksum": checksum, "index_content": mimetype.split("/")[0],
                  "store_fname": False, "db_datas": False}
        if Attachment._storage() == "db":
            with open(self.path, "rb") as file:
                values["db_datas"] = file.read()
        else:
            fname = f"{checksum[:2]}/{checksum}"
            full_path = Attachment._full_path(fname)
            if not os.path.exists(full_path):  # else the same content is stored already
                os.makedirs(os.path.dirname(full_path), exist_ok=True)
                os.replace(self.path, full_path)
                Attachment._mark_for_gc(fname)  # collected if the transaction rolls back
            values["store_fname"] = fname
        return _StreamedContent(self.head, values)
