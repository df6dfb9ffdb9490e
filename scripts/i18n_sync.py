"""Keep the addons' translations in step with their .pot files.

Usage:
    i18n_sync.py [merge] [--lang LANG ...]     merge each addon's .pot into its .po files (new terms
                                               added untranslated, translations kept, terms gone
                                               dropped), then list what is untranslated
    i18n_sync.py missing [--lang LANG ...] [--json]
                                               only list the untranslated msgids, per addon and
                                               language (--json: {addon: {lang: [msgid, ...]}},
                                               ready to be filled in and applied)
    i18n_sync.py apply FILE.json               write translations {addon: {lang: {msgid: msgstr}}}
    i18n_sync.py new LANG                      start LANG.po for every addon from its .pot

Run it after re-exporting a .pot (odoo-bin --i18n-export, see HELPER_RULES / DEVELOP.md). It exits 1
when something is left untranslated, so that it can gate a commit.
"""

import argparse
import json
import pathlib
import re
import sys

import polib

ROOT = pathlib.Path(__file__).resolve().parents[1]
ADDONS = ("line_connector", "line_connector_crm")
LANGUAGES = ("ja", "zh_TW", "th")
PLURAL_FORMS = {"ja": "nplurals=1; plural=0;", "zh_TW": "nplurals=1; plural=0;", "th": "nplurals=1; plural=0;"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|%d")


def pot_of(addon):
    return ROOT / addon / "i18n" / f"{addon}.pot"


def po_of(addon, lang):
    return ROOT / addon / "i18n" / f"{lang}.po"


def languages_of(addon, wanted=None):
    found = sorted(path.stem for path in (ROOT / addon / "i18n").glob("*.po"))
    return [lang for lang in found if not wanted or lang in wanted]


def save(po, path):
    po.wrapwidth = 78
    po.save(str(path))


def merge(addon, lang):
    """The .pot's terms in the .po: translations kept (fuzzy ones too, still marked), others empty."""
    pot = polib.pofile(str(pot_of(addon)))
    po = polib.pofile(str(po_of(addon, lang)))
    po.merge(pot)
    # polib keeps obsolete entries commented at the end: Odoo ignores them, they only confuse.
    for entry in [entry for entry in po if entry.obsolete]:
        po.remove(entry)
    save(po, po_of(addon, lang))


def missing(addon, lang):
    pot = polib.pofile(str(pot_of(addon)))
    translated = {entry.msgid for entry in polib.pofile(str(po_of(addon, lang)))
                  if entry.msgstr and "fuzzy" not in entry.flags}
    return [entry.msgid for entry in pot if entry.msgid not in translated]


def apply(path):
    """Fill msgstrs from a JSON file; a translation whose placeholders differ is refused."""
    bad = []
    for addon, languages in json.loads(pathlib.Path(path).read_text(encoding="utf-8")).items():
        for lang, translations in languages.items():
            po = polib.pofile(str(po_of(addon, lang)))
            entries = {entry.msgid: entry for entry in po}
            for msgid, msgstr in translations.items():
                entry = entries.get(msgid)
                if entry is None:
                    bad.append(f"{addon}/{lang}: not in the .po (merge first): {msgid[:60]!r}")
                elif sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
                    bad.append(f"{addon}/{lang}: placeholders differ: {msgid[:60]!r}")
                else:
                    entry.msgstr = msgstr
                    if "fuzzy" in entry.flags:
                        entry.flags.remove("fuzzy")
            save(po, po_of(addon, lang))
    for line in bad:
        print(line, file=sys.stderr)
    return not bad


def new(lang):
    for addon in ADDONS:
        path = po_of(addon, lang)
        if path.exists():
            print(f"{path} exists: merging instead")
            merge(addon, lang)
            continue
        po = polib.pofile(str(pot_of(addon)))
        po.metadata.update({"Language": lang, "Plural-Forms": PLURAL_FORMS.get(lang, "nplurals=2; plural=(n != 1);")})
        for entry in po:
            entry.msgstr = ""
        save(po, path)
        print(f"{path} started")


def report(wanted, as_json):
    result = {addon: {lang: missing(addon, lang) for lang in languages_of(addon, wanted)} for addon in ADDONS}
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        for addon, languages in result.items():
            for lang, msgids in languages.items():
                print(f"{addon} {lang}: {len(msgids)} untranslated")
                for msgid in msgids:
                    print(f"    {msgid!r}")
    return not any(msgids for languages in result.values() for msgids in languages.values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="merge", choices=("merge", "missing", "apply", "new"))
    parser.add_argument("argument", nargs="?", help="the JSON file (apply) or the language (new)")
    parser.add_argument("--lang", action="append", help="only these languages (ja, zh_TW, th...)")
    parser.add_argument("--json", action="store_true", help="missing: print JSON")
    args = parser.parse_args(argv)
    if args.command == "apply":
        return 0 if apply(args.argument) else 1
    if args.command == "new":
        new(args.argument)
        return 0
    if args.command == "merge":
        for addon in ADDONS:
            for lang in languages_of(addon, args.lang):
                merge(addon, lang)
    return 0 if report(args.lang, args.json) else 1


if __name__ == "__main__":
    sys.exit(main())
