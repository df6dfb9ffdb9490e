import { registry } from "@web/core/registry";

/**
 * A LINE customer has a face in the sidebar and the conversation's header (their LINE picture, not
 * Discuss's generic icon); the delivery popover says when LINE took the answer; a dozen stickers
 * fit in the picker without scrolling.
 */
registry.category("web_tour.tours").add("line_connector_polish", {
    steps: () => [
        {
            content: "The sidebar shows the customer's picture",
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Face') img[src*='/discuss.channel/'][src*='avatar_128']",
        },
        {
            content: "So does the conversation's header",
            trigger: ".o-mail-Discuss-header img[src*='/discuss.channel/'][src*='avatar_128']",
        },
        {
            trigger: ".o-mail-Message:contains('Welcome') .o-mail-Message-notification",
            run: "click",
        },
        {
            content: "The popover says in words and time when LINE took the message",
            trigger: ".o-mail-MessageNotificationPopover:contains('Delivered to LINE') .o-line-MessageNotificationPopover-time",
            run() {
                if (!/\d{1,2}:\d{2}/.test(this.anchor.textContent)) {
                    throw new Error(`No time in the popover: ${this.anchor.textContent}`);
                }
            },
        },
        {
            trigger: ".o-mail-Discuss-header button[name='line-sticker']",
            run: "click",
        },
        {
            content: "Twelve stickers without a scroll bar",
            trigger: ".modal .o_line_sticker_picker .o_kanban_record:nth-child(12)",
            run() {
                const body = this.anchor.closest(".modal-body");
                const scroller = body.querySelector(".o_content") || body;
                for (const element of [body, scroller]) {
                    if (element.scrollHeight > element.clientHeight + 1) {
                        throw new Error(`The picker scrolls: ${element.scrollHeight} > ${element.clientHeight}`);
                    }
                }
            },
        },
    ],
});
