import { threadActionsRegistry } from "@mail/core/common/thread_actions";

import { _t } from "@web/core/l10n/translation";

function customerIcon(component) {
    return component.thread.line_is_linked === false
        ? "fa fa-fw fa-user-plus text-warning"
        : "fa fa-fw fa-address-card-o";
}

/**
 * In a LINE conversation: who the customer is (link to a contact) and who answers (assignee).
 * Until the customer is linked to a contact, the action says so.
 */
threadActionsRegistry.add("line-customer", {
    condition(component) {
        return component.thread?.channel_type === "line";
    },
    icon: customerIcon,
    iconLarge: customerIcon, // mail falls back to `icon` itself here, uncalled
    name(component) {
        return component.thread.line_is_linked === false
            ? _t("LINE Customer (not linked)")
            : _t("LINE Customer");
    },
    open(component) {
        component.env.services.action.doAction({
            type: "ir.actions.act_window",
            name: _t("LINE Customer"),
            res_model: "discuss.channel",
            res_id: component.thread.id,
            views: [[false, "form"]],
            target: "new",
            // Opened from Discuss: the form's "Open in Discuss" would lead where the operator is.
            context: {
                form_view_ref: "line_connector.discuss_channel_view_form_line",
                line_from_discuss: true,
            },
        });
    },
    sequence: 5,
    sequenceGroup: 5,
});

threadActionsRegistry.add("line-sticker", {
    condition(component) {
        return component.thread?.channel_type === "line";
    },
    icon: "fa fa-fw fa-smile-o",
    name: _t("Send a LINE sticker"),
    open(component) {
        component.env.services.action.doAction("line_connector.line_sticker_action_picker", {
            additionalContext: { line_conversation_id: component.thread.id },
        });
    },
    sequence: 6,
    sequenceGroup: 5,
});
