"""The repository's own hygiene: lint clean, XML well formed, translations complete."""

import pathlib
import re
import subprocess
import sys

import polib
import pytest
from lxml import etree

ROOT = pathlib.Path(__file__).resolve().parents[3]
ADDONS = [ROOT / "line_connector", ROOT / "line_connector_crm"]


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", sorted(p for addon in ADDONS for p in addon.rglob("*.xml")), ids=str)
def test_xml_is_well_formed(path):
    etree.parse(str(path))


@pytest.mark.parametrize("addon", ADDONS, ids=lambda a: a.name)
def test_japanese_translation_is_complete(addon):
    template = polib.pofile(str(addon / "i18n" / f"{addon.name}.pot"))
    japanese = polib.pofile(str(addon / "i18n" / "ja.po"))
    translated = {entry.msgid: entry.msgstr for entry in japanese if entry.msgstr}
    missing = [entry.msgid for entry in template if entry.msgid not in translated]
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:3]}"
    placeholder = re.compile(r"%\(\w+\)s|%s")
    for msgid, msgstr in translated.items():
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(msgstr)), msgid


@pytest.mark.parametrize("addon", ADDONS, ids=lambda a: a.name)
def test_readme_rst_is_built_from_the_fragments(addon):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_addon_readme.py"), str(addon), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
