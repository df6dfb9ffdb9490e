"""Constants of line_connector: LINE's URLs, limits and vocabularies, in one place."""

# Base URLs. LINE serves the bot API and the content API from two hosts; both are
# configurable per channel so that a channel can point at the LINE platform emulator.
DEFAULT_API_URL = "https://api.line.me"
DEFAULT_DATA_URL = "https://api-data.line.me"

# HTTP timeouts (connect, read) in seconds for calls to LINE. line-bot-sdk has none by default.
API_TIMEOUT = (3.05, 10)
CONTENT_TIMEOUT = (3.05, 30)

# Stateless channel access tokens live 15 minutes; re-issue this many seconds before expiry.
TOKEN_REFRESH_MARGIN = 60

# Work queues (line.queue.mixin): how many identical cron jobs share each queue (inbound events,
# outgoing messages), run in parallel by Odoo's cron workers (max_cron_threads, 2 by default).
# A customer's events and a conversation's messages keep their order whatever the number.
QUEUE_JOBS = 2

# Webhook: the route prefix and the length of the random per-channel token in its URL.
WEBHOOK_ROUTE = "/line/webhook"
WEBHOOK_TOKEN_BYTES = 24
SIGNATURE_HEADER = "X-Line-Signature"

# Messaging limits (LINE Messaging API reference).
MAX_MESSAGES_PER_REQUEST = 5
MAX_TEXT_UTF16_UNITS = 5000
MAX_CONTENT_BYTES = 200 * 1024 * 1024

# Bot info `chatMode`: "chat" = Chat is on in LINE Official Account Manager, "bot" = off.
CHAT_MODE_CHAT = "chat"
CHAT_MODE_BOT = "bot"

CHANNEL_SCOPES = [
    ("company", "One company"),
    ("shared", "All companies"),
]

CHECK_STATES = [
    ("unchecked", "Not checked"),
    ("ok", "Ready"),
    ("warning", "Needs attention"),
    ("error", "Not working"),
]

# LINE's webhook bodies are small (a batch of events, never media): refuse anything larger.
WEBHOOK_MAX_BYTES = 1024 * 1024

# Inbound event processing.
EVENT_STATES = [
    ("new", "To process"),
    ("done", "Processed"),
    ("failed", "Failed"),
]
EVENT_MAX_ATTEMPTS = 5
# Events LINE sends to a disconnected (archived) channel are kept, parked with this reason, and
# processed when the channel is turned on again.
EVENT_DISCONNECTED_REASON = "The LINE channel was disconnected when LINE sent this event."
# A lost race (two jobs creating one new customer) is retried after 0-2 s, never counted as a failure.
RACE_RETRY_SECONDS = (0, 2)
EVENT_BATCH = 200                 # events one cron run takes before it re-triggers itself
EVENT_RETRY_DELAYS = (5, 30, 120, 600)   # seconds before attempts 2, 3, 4, 5
CONTENT_NOT_READY_DELAY = 3       # seconds between polls while LINE transcodes a video/audio
CONTENT_READY_TIMEOUT = 600       # seconds after which a content still not ready counts as a failure
IMAGE_SET_WAIT = 30               # seconds to wait for the rest of an image set before posting it
PROFILE_REFRESH_HOURS = 24

# Privacy: LINE honours a reply token at most 20 minutes (a redelivered event's); the payloads of
# events processed more than this many days ago are purged (Settings > Discuss > LINE).
REPLY_TOKEN_MAX_AGE_MINUTES = 20
EVENT_RETENTION_DAYS = 30
EVENT_RETENTION_PARAM = "line_connector.event_retention_days"

FRIEND_STATES = [
    ("unknown", "Unknown"),
    ("friend", "Friend"),
    ("blocked", "Blocked"),
]

DEFAULT_CONTENT_NAMES = {"image": "image.jpg", "video": "video.mp4", "audio": "audio.m4a", "file": "file"}

# LINE's URL scheme: add the Official Account as a friend (basic ID percent-encoded: %40abc1234d).
FRIEND_URL = "https://line.me/R/ti/p/{basic_id}"
QR_BOX_PIXELS = 10

STICKER_IMAGE_URL = "https://stickershop.line-scdn.net/stickershop/v1/sticker/{sticker_id}/android/sticker.png"
MAP_URL = "https://www.google.com/maps/search/?api=1&query={latitude},{longitude}"

# Context key marking posts that come from LINE, so they are never sent back to LINE.
CTX_INBOUND = "line_inbound"
# Set by the LINE queues' jobs: their bus notifications go over a kept connection (tools/pg_notify.py).
CTX_QUEUE_JOB = "line_queue_job"
CTX_SEND_LINGER = "line_send_linger"  # a test's call of the sending job waits for requests too

# Outbound messages.
OUTBOUND_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
]
SEND_METHODS = [("reply", "Reply (free)"), ("push", "Push (counted)")]
# A reply token is valid about one minute after the webhook; use it only while surely fresh.
REPLY_TOKEN_TTL = 50
RETRY_KEY_TTL_HOURS = 24
SEND_MAX_ATTEMPTS = 6
SEND_RETRY_DELAYS = (2, 10, 30, 120, 600)   # seconds before attempts 2..6
# A sending round takes up to SEND_BATCH due rows, commits what each request carries and how it
# goes, then calls LINE for them all; a run goes on with rounds while requests keep coming, and
# stops calling LINE after SEND_RUN_SECONDS (a slow LINE), leaving the rest, committed, to the next.
SEND_BATCH = 20
SEND_RUN_SECONDS = 20
# ... and, when nothing is left, waits for the next request this long after the last one it sent
# (unless another job is due): operators answering one after the other cost one run of Odoo's cron.
SEND_LINGER_SECONDS = 2
# One run at a time waits so, and says it with an advisory lock (SEND_WAITING_LOCK, two integers):
# while it holds it, a post wakes that run alone, on SEND_WAKE_CHANNEL, instead of writing a cron
# trigger (which wakes every cron worker). A post holds SEND_GATE_LOCK, shared, from its look at
# the lock to its commit: the run that stops waiting waits for the posts that saw it waiting
# (SEND_GATE_SECONDS at most, then it triggers a run for them).
SEND_LOCK_SPACE = 0x4C494E45  # "LINE"
SEND_WAITING_LOCK = (SEND_LOCK_SPACE, 1)
SEND_GATE_LOCK = (SEND_LOCK_SPACE, 2)
SEND_GATE_SECONDS = 5
SEND_WAKE_CHANNEL = "line_connector_send"
# While waiting, a round at most this often (posts in a row go in one round), and a look at the
# other cron jobs (to give way) at least this often.
SEND_ROUND_SECONDS = 0.05
SEND_GIVE_WAY_SECONDS = 1
# Odoo's cron workers look for due jobs this often when nothing wakes them (its SLEEP_INTERVAL):
# a run that ends with a retry due sooner calls the next run, which waits for it.
CRON_POLL_SECONDS = 60
LOADING_SECONDS = 20
# A LINE conversation answered and quiet this many days leaves its members' sidebars (until the
# customer writes again); one assigned to someone else leaves the others' sidebars once read.
LINE_QUIET_DAYS = 3
QUIET_DAYS_PARAM = "line_connector.sidebar_quiet_days"  # overrides LINE_QUIET_DAYS
IMAGE_MIMETYPES = ("image/jpeg", "image/png")
VIDEO_MIMETYPES = ("video/mp4",)
PREVIEW_SIZE = 240    # px: LINE wants a preview image of at most 1 MB
VIDEO_PREVIEW_PATH = "/line_connector/static/img/video_preview.png"
# What LINE takes as image, video and audio messages; anything else goes as a download link.
IMAGE_MAX_BYTES = 10 * 1024 * 1024
VIDEO_MAX_BYTES = 200 * 1024 * 1024
AUDIO_MAX_BYTES = 200 * 1024 * 1024
AUDIO_MIMETYPES = ("audio/mp4", "audio/x-m4a", "audio/m4a", "audio/mpeg", "audio/mp3")
# An operator typing again within this many seconds does not start LINE's loading indicator again.
LOADING_THROTTLE_SECONDS = LOADING_SECONDS // 2

# Failure types shown on a message in Discuss (mail.notification.failure_type).
FAILURE_TYPES = [
    ("line_blocked", "LINE: the customer blocked the account"),
    ("line_quota", "LINE: monthly message quota spent"),
    ("line_provider", "LINE: customer of another provider"),
    ("line_window", "LINE: outside the reply window"),
    ("line_standby", "LINE: another module holds the chat (standby)"),
    ("line_invalid", "LINE refused the message"),
    ("line_auth", "LINE: channel credentials refused"),
    ("line_disconnected", "LINE: the channel is disconnected"),
    ("line_switched", "LINE: the customer must add the new account"),
    ("line_error", "LINE could not be reached"),
]

# Assignment of new LINE customers.
ASSIGN_TARGETS = [
    ("responsible", "Responsible users"),
    ("users", "Chosen users"),
    ("team", "A sales team"),
    ("group", "A user group"),
]
ASSIGN_METHODS = [
    ("round_robin", "Round robin"),
    ("least_busy", "Least busy"),
]

# LINE's monthly message quota starts over on the 1st of the month, Japan time.
QUOTA_TIMEZONE = "Asia/Tokyo"

# A customer who must add another Official Account since the accounts changed (the switch wizard).
SWITCH_STATES = [("waiting", "To re-add"), ("done", "Re-added")]
# The switch wizard's impact report names this many customers per row, then counts the others.
SWITCH_NAMES_SHOWN = 8

# Linking a LINE customer: contacts with a matching name considered before ranking by similarity.
LINK_SUGGESTION_CANDIDATES = 100

# Merging LINE customers (名寄せ): a name shorter than this (normalised) is never matched as a family
# name or a prefix ("山" would suggest every 山田 and 山本); at most this many LINE customers who may
# be the same person are looked at (most recent first) before ranking, and this many are shown.
MERGE_MIN_NAME_CHARS = 2
MERGE_SUGGESTION_CANDIDATES = 50
MERGE_SUGGESTIONS = 5
# Honorifics a customer or operator may append to a name: not part of it when names are compared.
NAME_HONORIFICS = ("様", "さま", "さん", "殿")

# Webhook hardening: a correctly signed body is always stored and answered 200 (400 only for a
# body that is not LINE's shape at all). An event Odoo cannot understand is stored all the same,
# made storable (tools/webhook_body.py), and parked at once: state failed, attempts 0, its error
# saying what was wrong, for a LINE manager to look at in Webhook Events.
WEBHOOK_COLUMN_MAX_CHARS = 255        # an ID or type kept in a column of its own is cut to this (indexed)
WEBHOOK_MAX_DEPTH = 32                # levels of nesting kept of an event (LINE's have fewer than 8)
WEBHOOK_DEPTH_CUT = "(nested too deep: not kept)"   # what stands for the deeper levels
WEBHOOK_UNREADABLE_MAX_CHARS = 100000  # of a body Python cannot read whole, the first characters kept
WEBHOOK_STORE_TRIES = 3               # a body stored again, in a new snapshot, after a serialization failure
EVENT_TIMESTAMP_MAX = 253402300799999  # ms: 9999-12-31 23:59:59.999 UTC, the last moment Python can show
EVENT_INTEGER_MAX = 2 ** 31 - 1       # PostgreSQL's integer columns (an image set's index and total)
EVENT_TYPE_INVALID = "_invalid"       # the type stored for an event that is not an object with a type
EVENT_TYPE_UNREADABLE = "_unparsed"   # the one event a body Python cannot read whole is stored as
# The error of the events of a channel that was disconnected (archived) when LINE sent them: they
# are kept, parked, and found by this text when the channel is connected again.
EVENT_DISCONNECTED_REASON = ("Not processed: the LINE channel was disconnected (archived) in Odoo when LINE "
                             "sent this event.")

# Internal notes in LINE conversations (staff only, never sent to LINE): the context key that
# keeps a note's live update off the conversation's bus channel, which the customer's guest shares.
CTX_INTERNAL_NOTE = "line_internal_note"

# LINE quick replies (Messaging API QuickReply / MessageAction): at most 13 buttons under the
# last message; a button's label at most 20 characters, the text it sends at most 300.
MAX_QUICK_REPLY_ITEMS = 13
MAX_QUICK_REPLY_LABEL = 20
MAX_QUICK_REPLY_TEXT = 300

# Done (対応済み) or to do: a LINE conversation whose last message is the customer's waits for an answer.
CONVERSATION_STATUSES = [
    ("todo", "To do"),
    ("done", "Done"),
]
# Account link (LINE Messaging API, "Linking user accounts"): LINE's dialog, replaced by the emulator's
# base URL in tests; a link token lives 10 minutes at LINE; the nonce must be 10 to 255 characters and
# unpredictable (LINE recommends at least 128 random bits, Base64-encoded): 32 bytes, URL-safe Base64.
DEFAULT_ACCESS_URL = "https://access.line.me"
ACCOUNT_LINK_PATH = "/dialog/bot/accountLink"
ACCOUNT_LINK_ROUTE = "/line/account-link"
LINK_TOKEN_MINUTES = 10
NONCE_BYTES = 32
NONCE_MINUTES = 10
ACCOUNT_LINK_STATES = [
    ("sent", "Sent"),
    ("opened", "Opened"),
    ("linked", "Linked"),
    ("failed", "Failed"),
]

# Personal invitations: LINE's URL scheme opens the chat with the account, a text already typed.
OA_MESSAGE_URL = "https://line.me/R/oaMessage/{basic_id}/?{text}"
INVITATION_DAYS = 14
# 10 characters of 32 (no 0/O, 1/I): 50 bits, hard to guess within an invitation's life.
INVITATION_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
INVITATION_CODE_LENGTH = 10
# Found anywhere in a text, Japanese around it too ("コードはLINE-ABCDE-FGHJKです").
INVITATION_CODE_PATTERN = r"(?<![A-Za-z0-9])LINE-([A-Z2-9]{5})-([A-Z2-9]{5})(?![A-Za-z0-9])"
INVITATION_STATES = [
    ("open", "Waiting for the code"),
    ("received", "Code received"),
    ("linked", "Linked"),
    ("cancelled", "Cancelled"),
]
INVITATION_AUTO_LINK_PARAM = "line_connector.invitation_auto_link"
PREVIEW_LENGTH = 80                   # characters of a conversation's last message shown in the lists
