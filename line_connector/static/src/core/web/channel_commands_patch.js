import { SuggestionService } from "@mail/core/common/suggestion_service";

import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";

registry.category("discuss.channel_commands").add("template", {
    channel_types: ["line"],
    help: _t("Send a LINE template to this customer: /template <shortcut>"),
    methodName: "execute_command_line_template",
});

registry.category("discuss.channel_commands").add("friendlink", {
    channel_types: ["line"],
    help: _t("Send an add-friend link: /friendlink [qr] [channel]"),
    methodName: "execute_command_line_friend_link",
});

/**
 * A LINE conversation is a customer's, not a channel the operator joined: mail offers `/leave`
 * in every thread (it has no channel_types), so the LINE conversation leaves it out.
 */
const LINE_HIDDEN_COMMANDS = ["leave"];

patch(SuggestionService.prototype, {
    searchChannelCommand(cleanedSearchTerm, thread, sort) {
        const result = super.searchChannelCommand(...arguments);
        if (result && thread?.channel_type === "line") {
            result.suggestions = result.suggestions.filter(
                (command) => !LINE_HIDDEN_COMMANDS.includes(command.name)
            );
        }
        return result;
    },
});
