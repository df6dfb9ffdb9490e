"""Small pure helpers (no database access)."""

import difflib
import io
import unicodedata
from urllib.parse import quote

import qrcode

from . import const


def utf16_len(text):
    """Length in UTF-16 code units, the unit of LINE's text limits."""
    return len(text.encode("utf-16-le")) // 2


def chunks(items, size):
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def split_text(text, limit):
    """Split ``text`` into parts of at most ``limit`` UTF-16 units, on word boundaries when possible."""
    parts = []
    text = text.strip()
    while text:
        if utf16_len(text) <= limit:
            parts.append(text)
            break
        # The longest prefix within the limit, in UTF-16 units (emoji count twice).
        cut, units = 0, 0
        for index, char in enumerate(text):
            units += 2 if ord(char) > 0xFFFF else 1
            if units > limit:
                cut = index
                break
        space = max(text.rfind(" ", 0, cut), text.rfind("\n", 0, cut))
        if space > cut // 2:
            cut = space
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return parts


def name_words(name):
    """A name's words, compared as people read them: width (NFKC), case and honorifics (様, さん) ignored.

    "山田　花子様" gives ["山田", "花子"]; a name written without a space is one word.
    """
    name = unicodedata.normalize("NFKC", name or "").casefold()
    for honorific in const.NAME_HONORIFICS:
        name = name.replace(honorific, "")
    return name.split()


def name_key(name):
    """A name without its spaces (Japanese names are written with or without one): "山田 花子" -> "山田花子"."""
    return "".join(name_words(name))


def name_similarity(a, b):
    """How alike two names are, 0..1, ignoring case, spaces and honorifics (様, さん)."""
    a, b = name_key(a), name_key(b)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def lang_code(line_language):
    """LINE's language tag ('ja', 'zh-Hant', 'en') as an Odoo language code ('ja_JP', 'zh_TW', 'en_US')."""
    mapping = {"ja": "ja_JP", "en": "en_US", "th": "th_TH", "zh-hant": "zh_TW", "zh-tw": "zh_TW",
               "zh-hans": "zh_CN", "zh-cn": "zh_CN", "ko": "ko_KR", "id": "id_ID", "vi": "vi_VN"}
    return mapping.get((line_language or "").lower(), (line_language or "").replace("-", "_"))


def friend_url(basic_id):
    """LINE's link that adds the Official Account as a friend (on a phone it opens LINE)."""
    return const.FRIEND_URL.format(basic_id=quote(basic_id, safe="")) if basic_id else False


def oa_message_url(basic_id, text):
    """LINE's link that opens the chat with the Official Account with ``text`` typed (the customer sends it)."""
    if not basic_id:
        return False
    return const.OA_MESSAGE_URL.format(basic_id=quote(basic_id, safe=""), text=quote(text, safe=""))


def qr_png(text):
    """A QR code of ``text``, as a PNG big enough to print and to scan from a screen."""
    buffer = io.BytesIO()
    qrcode.make(text, box_size=const.QR_BOX_PIXELS, border=2).save(buffer, format="PNG")
    return buffer.getvalue()
