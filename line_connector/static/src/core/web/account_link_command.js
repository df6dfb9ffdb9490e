import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

registry.category("discuss.channel_commands").add("linkaccount", {
    channel_types: ["line"],
    help: _t("Send this customer a link to link their LINE account to their account with you"),
    methodName: "execute_command_line_account_link",
});
