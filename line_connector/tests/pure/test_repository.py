"""The repository's own hygiene: lint clean, XML well formed, translations complete."""

import ast
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


def test_pylint_odoo_is_clean():
    result = subprocess.run([sys.executable, "-m", "pylint", "--rcfile", str(ROOT / ".pylintrc"),
                             "line_connector", "line_connector_crm"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


CODE = sorted(p for addon in ADDONS for p in addon.rglob("*.py") if "tests" not in p.relative_to(addon).parts)


@pytest.mark.parametrize("path", CODE, ids=str)
def test_model_files_and_methods_are_small(path):
    """A model file does one job (350 lines at most); a method does one thing (40 lines at most)."""
    source = path.read_text()
    if path.parent.name == "models":
        assert len(source.splitlines()) <= 350, f"{path.name}: {len(source.splitlines())} lines"
    long = [f"{node.name}: {node.end_lineno - node.lineno + 1} lines" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 40]
    assert not long, long


@pytest.mark.parametrize("path", sorted(p for addon in ADDONS for p in addon.rglob("*.xml")), ids=str)
def test_xml_is_well_formed(path):
    etree.parse(str(path))


# Japanese, and LINE's other home markets: Taiwan (Traditional Chinese) and Thailand.
LANGUAGES = ["ja", "zh_TW", "th"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("addon", ADDONS, ids=lambda a: a.name)
def test_japanese_translation_is_complete(addon, lang):
    """Every term of the .pot translated in ja, zh_TW and th (scripts/i18n_sync.py lists what is not)."""
    template = polib.pofile(str(addon / "i18n" / f"{addon.name}.pot"))
    po = polib.pofile(str(addon / "i18n" / f"{lang}.po"))
    assert po.metadata.get("Language") == lang
    translated = {entry.msgid: entry.msgstr for entry in po if entry.msgstr and "fuzzy" not in entry.flags}
    missing = [entry.msgid for entry in template if entry.msgid not in translated]
    assert not missing, f"{lang}: {len(missing)} untranslated, e.g. {missing[:3]}"
    placeholder = re.compile(r"%\(\w+\)s|%s|%r|\{\{[^}]*\}\}")
    for msgid, msgstr in translated.items():
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(msgstr)), msgid


@pytest.mark.parametrize("addon", ADDONS, ids=lambda a: a.name)
def test_readme_rst_is_built_from_the_fragments(addon):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_addon_readme.py"), str(addon), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
