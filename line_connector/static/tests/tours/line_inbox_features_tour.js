import { registry } from "@web/core/registry";

/**
 * An operator marks a LINE conversation done, tags it and leaves an internal note for colleagues:
 * the note is labelled as internal, unlike anything sent to the customer.
 */
registry.category("web_tour.tours").add("line_connector_inbox_done_tags_notes", {
    steps: () => [
        {
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Feature')",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('明日は空いていますか')",
        },
        {
            content: "The conversation waits for an answer: the header offers to mark it done",
            trigger: ".o-mail-Discuss-header button[name='line-done'] .fa-check",
            run: "click",
        },
        {
            content: "Done: the header now offers to reopen it",
            trigger: ".o-mail-Discuss-header button[name='line-done'] .fa-undo",
        },
        {
            trigger: ".o-mail-Discuss-header button[name='line-tags']",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='line_tag_ids'] input",
            run: "edit 予約",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('予約')",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='line_tag_ids'] .o_tag:contains('予約')",
        },
        {
            trigger: ".modal .modal-footer button:contains('Save')",
            run: "click",
        },
        {
            content: "The tag shows beside the customer's name",
            trigger: ".o-mail-Discuss-header .o-line-DiscussTag:contains('予約')",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit /note 常連のお客様です。割引を確認してから返信",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "press Enter",
        },
        {
            content: "The note is labelled internal and looks unlike a message to the customer",
            trigger: ".o-mail-Message.o-line-Note:contains('常連のお客様です') .o-line-NoteLabel",
        },
    ],
});

/**
 * The template picker: each template as this customer will read it, with its quick replies;
 * inserted into the composer, edited, then sent.
 */
registry.category("web_tour.tours").add("line_connector_template_picker", {
    steps: () => [
        {
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Picker')",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('予約したいです')",
        },
        {
            trigger: ".o-mail-Discuss-header button[name='line-templates']",
            run: "click",
        },
        {
            content: "The preview has this customer's name, and the quick replies show",
            trigger: ".o-line-TemplatePanel-template:contains('Hanako Picker様、ご希望の日時をお知らせください。'):has(.o-line-TemplatePanel-quickReply:contains('明日'))",
        },
        {
            trigger: ".o-line-TemplatePanel-template:contains('予約の確認') button:contains('Insert')",
            run: "click",
        },
        {
            content: "Inserted, not sent: the operator edits it",
            trigger: ".o-mail-Composer-input",
            run() {
                if (this.anchor.value !== "Hanako Picker様、ご希望の日時をお知らせください。") {
                    throw new Error(`The composer holds: ${this.anchor.value}`);
                }
                const messages = [...document.querySelectorAll(".o-mail-Message")];
                if (messages.some((message) => message.textContent.includes("ご希望の日時"))) {
                    throw new Error("The template was sent at once");
                }
            },
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit Hanako Picker様、ご希望の日時をお知らせください。明日も空いています。",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "press Enter",
        },
        {
            trigger: ".o-mail-Message:contains('明日も空いています。')",
        },
    ],
});

/**
 * LINE Conversations: the side panel counts what is to do and done, and "Message contains" finds a
 * conversation by what was written in it.
 */
registry.category("web_tour.tours").add("line_connector_inbox_list", {
    steps: () => [
        {
            content: "The side panel counts the conversations to do (three customers wrote)",
            trigger: ".o_search_panel_category_value:contains('To do') .o_search_panel_counter:contains('3')",
        },
        {
            trigger: ".o_searchview_input",
            run: "edit キャンセル",
        },
        {
            trigger: ".o_searchview_autocomplete .o_menu_item:contains('Message contains')",
            run: "click",
        },
        {
            content: "Only the conversation in which a message says it",
            trigger: ".o_data_row:contains('Hanako Cancel')",
            run() {
                const rows = document.querySelectorAll(".o_data_row");
                if (rows.length !== 1) {
                    throw new Error(`${rows.length} rows found`);
                }
            },
        },
    ],
});
