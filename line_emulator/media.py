"""Media: the emulator's own images (avatars, previews), content types, and fetching the URLs a bot sends."""

import hashlib
import struct
import zlib

import requests

from . import const

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"%PDF", "application/pdf"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"PK\x03\x04", "application/zip"),
)
DEFAULT_TYPES = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/x-m4a",
                 "file": "application/octet-stream"}


class GeneratedContent:
    """A content of ``size`` bytes made while it is sent, never held whole in memory (a 200 MB
    video for a benchmark): ``head`` (an mp4 ``ftyp`` box by default), then a repeated pattern."""

    CHUNK = 1024 * 1024
    MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"

    def __init__(self, size, head=MP4_HEAD):
        self.size = int(size)
        if self.size < 0:
            raise ValueError("A generated content's size cannot be negative")
        self.head = head[:self.size]

    def __len__(self):
        return self.size

    def chunks(self):
        """The bytes, ``CHUNK`` at a time."""
        yield self.head
        pattern = bytes(range(256)) * (self.CHUNK // 256)
        left = self.size - len(self.head)
        while left > 0:
            chunk = pattern[:min(left, self.CHUNK)]
            left -= len(chunk)
            yield chunk


def sniff(data, message_type=None):
    """The content type LINE would give these bytes."""
    if isinstance(data, GeneratedContent):
        data = data.head
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    if data[4:8] == b"ftyp":
        return "audio/x-m4a" if message_type == "audio" else "video/mp4"
    return DEFAULT_TYPES.get(message_type, "application/octet-stream")


def png(width, height, colour):
    """A plain PNG of one colour (no imaging library needed)."""
    row = b"\x00" + bytes(colour) * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def avatar(key, size=96):
    """A default profile picture, one colour per user."""
    colours = const.AVATAR_COLOURS
    return png(size, size, colours[int(hashlib.sha1(key.encode()).hexdigest(), 16) % len(colours)])


def placeholder_preview():
    """A grey preview for a video sent without one."""
    return png(64, 36, (120, 120, 120))


def fetch(url, timeout=const.MEDIA_FETCH_TIMEOUT):
    """GET a URL as LINE does when a bot sends media: what LINE could read there.

    :return: dict(url, status, content_type, size, ok, error)
    """
    result = {"url": url, "status": None, "content_type": None, "size": None, "ok": False, "error": None}
    try:
        with requests.get(url, timeout=timeout, stream=True, allow_redirects=True) as response:
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > const.MEDIA_FETCH_MAX_BYTES:
                    result["error"] = "too large"
                    break
            result.update(status=response.status_code, content_type=response.headers.get("Content-Type"),
                          size=size)
            result["ok"] = response.status_code == 200 and not result["error"]
    except requests.RequestException as exc:
        result["error"] = f"{exc.__class__.__name__}: {exc}"
    return result
