import { registry } from "@web/core/registry";

/**
 * The small things of an operator's LINE conversation: a sticker that cannot load still says what
 * it was, a delivered answer says so in words, `/leave` is not offered, and the customer dialog
 * opened from Discuss does not offer to open Discuss.
 */
registry.category("web_tour.tours").add("line_connector_inbox_small", {
    steps: () => [
        {
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Small')",
            run: "click",
        },
        {
            content: "A sticker shows its alt text when its image is broken",
            trigger: ".o-mail-Message img.o_line_sticker",
            run() {
                const content = getComputedStyle(this.anchor, "::after").content;
                if (!content.includes("[Sticker:")) {
                    throw new Error(`The sticker has no fallback label: ${content}`);
                }
            },
        },
        {
            trigger: ".o-mail-Message:contains('Thanks for the sticker') .o-mail-Message-notification",
            run: "click",
        },
        {
            content: "The delivery mark says in words that LINE has the message",
            trigger: ".o-mail-MessageNotificationPopover:contains('Delivered to LINE') .fa-check[title='Delivered to LINE']",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit /",
        },
        {
            content: "LINE's own command is offered",
            trigger: ".o-mail-Composer-suggestion:contains('template')",
        },
        {
            content: "mail's /leave is not offered in a customer's conversation",
            trigger: ".o-mail-Composer-suggestionList:not(:has(.o-mail-Composer-suggestion:contains('leave')))",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "clear",
        },
        {
            trigger: ".o-mail-Discuss-header button[name='line-customer']",
            run: "click",
        },
        {
            content: "The customer dialog opened from Discuss does not offer to open Discuss",
            trigger: ".modal .o_form_view:has(button[name='action_line_open_reassign']):not(:has(button[name='action_open_discuss']))",
        },
    ],
});

/** LINE's reason for not delivering a message is a sentence: it sits under the message's time. */
registry.category("web_tour.tours").add("line_connector_inbox_failure_reason", {
    steps: () => [
        {
            content: "The reason does not overlap the time",
            trigger: ".o-mail-Message:contains('Are you there?') .o-mail-Message-notification.text-danger:contains('Not sent to LINE')",
            run() {
                const header = this.anchor.closest(".o-mail-Message-header");
                const time = header.querySelector(".o-mail-Message-date").getBoundingClientRect();
                const reason = this.anchor.getBoundingClientRect();
                if (reason.top < time.bottom) {
                    throw new Error(`The reason (top ${reason.top}) overlaps the time (bottom ${time.bottom})`);
                }
            },
        },
    ],
});
