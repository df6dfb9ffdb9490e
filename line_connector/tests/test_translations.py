import pathlib

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

from .common import LineTransactionCase

ROOT = pathlib.Path(__file__).resolve().parents[2]


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every term the addons show is in their .pot, and translated in Japanese, Traditional Chinese
    (Taiwan) and Thai: LINE's home markets."""

    def test_pot_and_japanese_cover_every_term(self):
        for module in ("line_connector", "line_connector_crm"):
            if not self.env["ir.module.module"].search_count([("name", "=", module), ("state", "=", "installed")]):
                continue
            terms = {source for _m, _t, _n, _r, source, _v, _c in TranslationModuleReader(self.env.cr, [module])
                     if source}
            template = {entry.msgid for entry in polib.pofile(str(ROOT / module / "i18n" / f"{module}.pot"))}
            self.assertFalse(terms - template, f"{module}: terms missing from the .pot (re-export it)")
            for lang in ("ja", "zh_TW", "th"):
                translated = {entry.msgid for entry in polib.pofile(str(ROOT / module / "i18n" / f"{lang}.po"))
                              if entry.msgstr}
                self.assertFalse(terms - translated, f"{module}: terms without a translation in {lang}"
                                 " (scripts/i18n_sync.py lists them)")

    def test_taiwanese_and_thai_users_see_their_language(self):
        for lang, po in (("zh_TW", "zh_TW"), ("th_TH", "th")):
            self.env["res.lang"]._activate_lang(lang)
            self.env["ir.module.module"]._load_module_terms(["line_connector"], [lang], overwrite=True)
            translations = {entry.msgid: entry.msgstr
                            for entry in polib.pofile(str(ROOT / "line_connector" / "i18n" / f"{po}.po"))}
            labels = self.env["discuss.channel"].with_context(lang=lang).fields_get(
                ["line_last_customer_date", "line_unreplied"])
            self.assertEqual(labels["line_last_customer_date"]["string"], translations["Customer Wrote"], lang)
            self.assertEqual(labels["line_unreplied"]["string"], translations["Unreplied"], lang)

    def test_a_japanese_user_sees_japanese(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        self.env["ir.module.module"]._load_module_terms(["line_connector"], ["ja_JP"], overwrite=True)
        japanese = {entry.msgid: entry.msgstr
                    for entry in polib.pofile(str(ROOT / "line_connector" / "i18n" / "ja.po"))}
        labels = self.env["line.channel"].with_context(lang="ja_JP").fields_get(["channel_secret", "scope"])
        self.assertEqual(labels["channel_secret"]["string"], japanese["Channel Secret"])
        self.assertNotEqual(labels["scope"]["string"], "Scope")


@tagged("post_install", "-at_install")
class TestNotesInTheCompanysLanguage(LineTransactionCase):
    """The cron writes the notes of a Japanese shop's conversations in Japanese, not in its own language."""

    def test_a_japanese_companys_notes_are_japanese(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        self.env["ir.module.module"]._load_module_terms(["line_connector"], ["ja_JP"], overwrite=True)
        self.company.partner_id.lang = "ja_JP"
        japanese = {entry.msgid: entry.msgstr
                    for entry in polib.pofile(str(ROOT / "line_connector" / "i18n" / "ja.po"))}
        customer = self.new_customer("Hanako")
        follow = self.emu.build_event(self.emu_channel["channel_id"], customer["user_id"], "follow")
        self.env["line.event"]._store(self.line_channel, [follow])
        conversation = self.receive(customer, "こんにちは")
        note = conversation.message_ids.filtered(lambda m: m.author_id == self.env.ref("base.partner_root"))[-1:]
        self.assertIn(japanese["%s added the account as a friend."] % "Hanako", note.body)
        text = conversation.message_ids.filtered("line_message_id")
        unsend = self.emu.build_event(self.emu_channel["channel_id"], customer["user_id"], "unsend",
                                      message_id=text.line_message_id)
        self.env["line.event"]._store(self.line_channel, [unsend])
        self.env["line.event"]._cron_process_events()
        self.assertIn(japanese["message unsent"], text.body)
        self.assertNotIn("o-mail-Message-edited", text.body, "an unsent message is no edited one")
