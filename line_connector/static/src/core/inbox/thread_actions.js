import { threadActionsRegistry } from "@mail/core/common/thread_actions";

import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

import { LineTemplatePanel } from "./template_panel";

function isLine(component) {
    return component.thread?.channel_type === "line";
}

function doneIcon(component) {
    return component.thread.line_unreplied === false ? "fa fa-fw fa-undo" : "fa fa-fw fa-check";
}

/** Done (対応済み) / to do: the header marks the conversation answered, or needing an answer again. */
threadActionsRegistry.add("line-done", {
    condition: isLine,
    icon: doneIcon,
    iconLarge: doneIcon,
    name(component) {
        return component.thread.line_unreplied === false
            ? _t("Done: reopen (to do)")
            : _t("Mark done (nothing to answer)");
    },
    async open(component) {
        const thread = component.thread;
        const done = thread.line_unreplied !== false;
        await component.env.services.orm.call(
            "discuss.channel",
            done ? "action_line_done" : "action_line_reopen",
            [[thread.id]]
        );
        thread.line_unreplied = !done;
        component.env.services.notification.add(
            done ? _t("Marked done: the customer writing again makes it to do.") : _t("To do again."),
            { type: "success" }
        );
    },
    sequence: 4,
    sequenceGroup: 5,
});

threadActionsRegistry.add("line-tags", {
    condition: isLine,
    icon: "fa fa-fw fa-tags",
    name: _t("LINE conversation tags"),
    open(component) {
        const thread = component.thread;
        component.env.services.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Tags"),
            res_model: "discuss.channel",
            res_id: component.thread.id,
            views: [[false, "form"]],
            target: "new",
            context: { form_view_ref: "line_connector.discuss_channel_view_form_line_tags" },
        }, {
            onClose: async () => {
                thread.line_tags = await component.env.services.orm.call(
                    "discuss.channel", "line_get_tags", [[thread.id]]
                );
            },
        });
    },
    sequence: 7,
    sequenceGroup: 5,
});

threadActionsRegistry.add("line-templates", {
    component: LineTemplatePanel,
    componentProps(action) {
        return { close: () => action.close() };
    },
    condition: isLine,
    icon: "fa fa-fw fa-file-text-o",
    iconLarge: "fa fa-fw fa-lg fa-file-text-o",
    name: _t("LINE templates"),
    nameActive: _t("Close LINE templates"),
    panelOuterClass: "o-line-TemplatePanel-outer bg-inherit",
    sequence: 8,
    sequenceGroup: 5,
    toggle: true,
});

registry.category("discuss.channel_commands").add("note", {
    channel_types: ["line"],
    help: _t("An internal note for your colleagues, never sent to LINE: /note <text>"),
    methodName: "execute_command_line_note",
});
