"""What Discuss shows of LINE things, written once: stickers, locations, links, placeholders.

Each helper takes the environment whose language the words are written in.
"""

from markupsafe import Markup

from .. import const


def note(text):
    """A line in italics: what stands in place of a customer's message (unsent, unsupported...)."""
    return Markup("<i>%s</i>") % text


def unsent(env):
    return note(env._("message unsent"))


def sticker(env, sticker_id, label):
    """A LINE sticker, from LINE's public sticker CDN; offline, its alt text still says what it was."""
    url = const.STICKER_IMAGE_URL.format(sticker_id=sticker_id)
    return Markup('<img class="o_line_sticker" src="%s" alt="%s" title="%s" '
                  'style="max-width: 120px; max-height: 120px;"/>') % (url, env._("[Sticker: %s]", label), label)


def location(env, latitude, longitude, title=None, address=None):
    url = const.MAP_URL.format(latitude=latitude, longitude=longitude)
    return Markup('<p>📍 <a href="%s" target="_blank" rel="noreferrer noopener">%s</a><br/>%s</p>') % (
        url, title or env._("Location"), address or "")


def links(urls):
    return Markup("<br/>").join(
        Markup('<a href="%s" target="_blank" rel="noreferrer noopener">%s</a>') % (url, url) for url in urls if url)
