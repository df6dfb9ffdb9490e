"""Discuss HTML as the text a LINE customer reads (pure: no Odoo)."""

import re

from lxml import html as lxml_html

_PARAGRAPH = object()  # a paragraph break: one blank line, however many blocks meet
_BLOCK_TAGS = {"p", "div", "blockquote", "pre", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_SKIPPED_TAGS = {"script", "style", "head", "title"}
_HTML_SPACES = re.compile(r"[ \t\r\n\f]+")  # HTML collapses these; an ideographic space is kept
_URL_PREFIX = re.compile(r"^(https?://|mailto:|tel:)", re.IGNORECASE)


def html_to_line_text(body, base_url=""):
    """The text a LINE customer should read for a Discuss message body (HTML).

    LINE shows plain text: a link is "label (url)", or the URL alone when it is its own label;
    a mention is "@Name" (its link to the contact is of no use to the customer); line breaks
    and paragraphs are kept; bold and italics are plain (no markdown stars).
    """
    if not body or not body.strip():
        return ""
    root = lxml_html.fragment_fromstring(str(body), create_parent="div")
    parts = []
    _walk_html(root, parts, base_url.rstrip("/"), pre=False)
    text, paragraph = "", False
    for part in parts:
        if part is _PARAGRAPH:
            paragraph = True
            continue
        if paragraph and text.strip():
            text = text.rstrip(" \n") + "\n\n"
            part = part.lstrip(" ")
        paragraph = False
        if text.endswith("\n"):
            part = part.lstrip(" ")
        text += part
    return "\n".join(line.rstrip(" ") for line in text.strip("\n ").split("\n"))


def _walk_html(node, parts, base_url, pre):
    tag = node.tag if isinstance(node.tag, str) else None  # comments and processing instructions
    if tag == "br":
        parts.append("\n")
    elif tag == "a":
        parts.append(_link_text(node, base_url))
    elif tag and tag not in _SKIPPED_TAGS:
        block, pre = tag in _BLOCK_TAGS, pre or tag == "pre"
        if block:
            parts.append(_PARAGRAPH)
        if tag == "li":
            parent = node.getparent()
            number = parent.index(node) + 1 if parent is not None and parent.tag == "ol" else None
            parts.append(f"\n{number}. " if number else "\n- ")
        elif tag in ("td", "th") and node.getprevious() is not None:
            parts.append(" ")
        if node.text:
            parts.append(node.text if pre else _HTML_SPACES.sub(" ", node.text))
        for child in node:
            _walk_html(child, parts, base_url, pre)
        if block:
            parts.append(_PARAGRAPH)
    if node.tail and node.getparent() is not None:
        parts.append(_HTML_SPACES.sub(" ", node.tail))


def _link_text(node, base_url):
    label = _HTML_SPACES.sub(" ", node.text_content()).strip()
    classes = (node.get("class") or "").split()
    if node.get("data-oe-model") or {"o_mail_redirect", "o_channel_redirect", "o-discuss-mention"} & set(classes):
        # A mention: the link leads to an Odoo record the customer cannot open.
        prefix = "#" if "o_channel_redirect" in classes else "@"
        return label if label.startswith(("@", "#")) else prefix + label
    href = (node.get("href") or "").strip()
    if not href or href.startswith("#") or href.lower().startswith("javascript:"):
        return label
    if href.startswith("/"):
        href = base_url + href
    if not label or _URL_PREFIX.sub("", label).rstrip("/") == _URL_PREFIX.sub("", href).rstrip("/"):
        return label if href.lower().startswith(("mailto:", "tel:")) and label else href
    return f"{label} ({href})"
