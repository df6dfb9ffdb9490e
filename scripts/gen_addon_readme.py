"""Build an addon's README.rst from its readme/*.md fragments, in the OCA manner.

Usage: gen_addon_readme.py ADDON_DIR [--check]
With --check, exit 1 when README.rst is not what the fragments give.
"""

import ast
import pathlib
import re
import sys

SECTIONS = [
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("DEVELOP.md", "Architecture"),
    ("HISTORY.md", "Changelog"),
    ("CONTRIBUTORS.md", "Contributors"),
]


def md_to_rst(text):
    """The little Markdown the fragments use: headings, lists, code, bold, links."""
    lines = []
    for line in text.splitlines():
        heading = re.match(r"^(#+)\s+(.*)$", line)
        if heading:
            title = heading.group(2)
            lines += [title, "~" * len(title)]
            continue
        line = re.sub(r"`([^`]+)`", r"``\1``", line)
        line = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"`\1 <\2>`_", line)
        lines.append(line)
    return "\n".join(lines).strip() + "\n"


def build(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    title = manifest["name"]
    out = ["=" * len(title), title, "=" * len(title), "",
           f".. |license| image:: https://img.shields.io/badge/license-{manifest['license']}-blue.png",
           "", f"|license| ``{manifest['version']}``", ""]
    for filename, heading in SECTIONS:
        fragment = addon / "readme" / filename
        if not fragment.exists():
            continue
        if heading:
            out += [heading, "=" * len(heading), ""]
        out += [md_to_rst(fragment.read_text()), ""]
    out += ["Maintainers", "===========", "", f"This module is part of line_connector ({manifest['website']}).", ""]
    return "\n".join(out).rstrip() + "\n"


def main(addon_dir, *flags):
    addon = pathlib.Path(addon_dir)
    text = build(addon)
    target = addon / "README.rst"
    if "--check" in flags:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is out of date: run scripts/gen_addon_readme.py {addon_dir}")
            return 1
        return 0
    target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
