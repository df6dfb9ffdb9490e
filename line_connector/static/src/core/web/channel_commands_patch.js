import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

registry.category("discuss.channel_commands").add("template", {
    channel_types: ["line"],
    help: _t("Send a LINE template to this customer: /template <shortcut>"),
    methodName: "execute_command_line_template",
});
