"""Every constant of the emulator: LINE's limits and wordings, defaults, endpoint names."""

# -- tokens (LINE: stateless 15 min; short-lived 30 days, at most 30 per channel) --------
STATELESS_TOKEN_LIFETIME = 15 * 60
SHORT_LIVED_TOKEN_LIFETIME = 30 * 24 * 3600
SHORT_LIVED_TOKENS_PER_CHANNEL = 30
LONG_LIVED_TOKEN_LIFETIME = 0  # no expiry

# -- reply tokens ---------------------------------------------------------------------------
REPLY_TOKEN_TTL = 60.0  # seconds after the webhook
REPLY_TOKEN_MAX_AGE = 20 * 60  # a redelivered event's token: never past 20 min after the event

# -- sending ----------------------------------------------------------------------------------
MAX_MESSAGES_PER_REQUEST = 5
MAX_TEXT_UTF16 = 5000
MAX_URL_LENGTH = 2000
MAX_ALT_TEXT = 1500
MAX_QUICK_REPLY_ITEMS = 13
MAX_QUICK_REPLY_LABEL = 20   # a quick-reply button's action label
MAX_SENDER_NAME = 20
MAX_REQUEST_BODY = 2 * 1024 * 1024
RETRY_KEY_LIFETIME = 24 * 3600
RETRY_KEY_WAIT = 10.0  # a resend waits at most this long for the first request with its key to finish
PUSH_WINDOW_SINCE_LAST_MESSAGE = 7 * 24 * 3600  # non-friends who wrote in the last 7 days
SENDABLE_TYPES = ("text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap",
                  "template", "flex")
MEDIA_URL_FIELDS = {
    "image": ("originalContentUrl", "previewImageUrl"),
    "video": ("originalContentUrl", "previewImageUrl"),
    "audio": ("originalContentUrl",),
}
MEDIA_FETCH_TIMEOUT = 3.0
MEDIA_FETCH_MAX_BYTES = 200 * 1024 * 1024
LOADING_SECONDS_MIN = 5
LOADING_SECONDS_MAX = 60

# -- quota ------------------------------------------------------------------------------------
QUOTA_NONE = "none"
QUOTA_LIMITED = "limited"

# -- webhook ----------------------------------------------------------------------------------
WEBHOOK_TIMEOUT = 2.0  # LINE waits 2 s for the answer
REDELIVERY_SCHEDULE = (1.0, 5.0, 30.0)  # seconds after each failed attempt (LINE does not publish its own)
SIGNATURE_HEADER = "x-line-signature"
WEBHOOK_USER_AGENT = "LineBotWebhook/2.0"
WEBHOOK_TEST_REASONS = {
    "ok": "OK",
    "connect": "COULD_NOT_CONNECT",
    "timeout": "REQUEST_TIMEOUT",
    "status": "ERROR_STATUS_CODE",
    "unclassified": "UNCLASSIFIED",
}
MODE_ACTIVE = "active"
MODE_STANDBY = "standby"
CHAT_MODES = ("chat", "bot")
MARK_AS_READ_MODES = ("auto", "manual")

# -- content ------------------------------------------------------------------------------
TRANSCODING_POLLS = 0  # 202 answers before a video/audio is ready
TRANSCODING_SECONDS = 0.0  # or seconds after the message before it is ready
TRANSCODED_TYPES = ("video", "audio")

# -- HTTP -------------------------------------------------------------------------------------
REQUEST_ID_HEADER = "x-line-request-id"
ACCEPTED_REQUEST_ID_HEADER = "x-line-accepted-request-id"
RETRY_KEY_HEADER = "X-Line-Retry-Key"
CONTROL_PREFIX = "/_emulator"
JSON = "application/json"

# -- LINE's error wordings --------------------------------------------------------------------
ERR_AUTH = "Authentication failed. Confirm that the access token in the authorization header is valid."
ERR_REPLY_TOKEN = "Invalid reply token"
ERR_RETRY_KEY_ACCEPTED = "The retry key is already accepted"
ERR_RETRY_KEY_INVALID = "The value of the X-Line-Retry-Key header is invalid"
ERR_RETRY_KEY_NOT_ALLOWED = "X-Line-Retry-Key header cannot be used with this API"
ERR_MONTHLY_LIMIT = "You have reached your monthly limit."
ERR_TOO_MANY = "Too many requests"
ERR_FAILED_TO_SEND = "Failed to send messages"
ERR_NOT_FOUND = "Not found"
ERR_GONE = "Gone"
ERR_INTERNAL = "Internal server error"
ERR_BODY_ERRORS = "The request body has %d error(s)"
ERR_BAD_JSON = "The request body could not be parsed as JSON (line: %d, column: %d)"
ERR_INVALID_PROPERTY = "The property, '%s', in the request body is invalid (line: -, column: -)"
ERR_BODY_TOO_LARGE = "Request entity too large"
ERR_INVALID_TOKEN_KIND = "Invalid markAsReadToken"
DETAIL_REQUIRED = "Must be specified"
DETAIL_TEXT_LENGTH = "Length must be between 0 and %d"
DETAIL_SIZE = "Size must be between 1 and %d"
DETAIL_HTTPS = "Must be an HTTPS URL"
DETAIL_URL_LENGTH = "Length must be between 0 and %d"
DETAIL_TYPE = "Must be one of the following values: [%s]"
DETAIL_INVALID = "Invalid value"
OAUTH_INVALID_CLIENT = "invalid_client"
OAUTH_INVALID_GRANT = "invalid_grant"
OAUTH_INVALID_REQUEST = "invalid_request"
OAUTH_UNSUPPORTED_GRANT = "unsupported_grant_type"

# -- faults -------------------------------------------------------------------------------------
FAULT_KINDS = ("500", "502", "503", "504", "429", "delay", "drop")
FAULT_ALL_ENDPOINTS = "*"

# -- rate limits per channel, in force by default (LINE's published ones): (calls, window seconds) --
RATE_LIMIT_DEFAULT = (2000, 1.0)  # "2,000 requests per second" for most bot endpoints
RATE_LIMITS = {
    "loading": (100, 1.0),
    "webhookTest": (60, 3600.0),
    "webhookEndpoint": (1000, 60.0),  # set and get, counted together
}

# -- memory: what the emulator keeps, so that long benchmarks do not grow it without bound ----------
LOGS = ("sent", "deliveries", "calls", "loading")
DEFAULT_LIMITS = {
    "logs": 10_000,  # entries kept per log (LOGS); the oldest go first
    "records": 10_000,  # access tokens, reply tokens, mark-as-read tokens, contents: each; oldest first
    "chat": 1_000,  # entries kept per conversation (what the phone page shows)
}

# -- defaults for new channels and users ------------------------------------------------------
DEFAULT_PROVIDER = "provider-1"
DEFAULT_LANGUAGE = "ja"
DEFAULT_CHANNEL_SETTINGS = {
    "display_name": "LINE Official Account",
    "chat_mode": "bot",
    "mark_as_read_mode": "auto",
    "webhook_url": None,
    "webhook_active": True,
    "quota": None,  # None: type none; an int: type limited with that value
    "mode": MODE_ACTIVE,
    "reply_token_ttl": REPLY_TOKEN_TTL,
    "redelivery": True,
    "redelivery_schedule": list(REDELIVERY_SCHEDULE),
    "webhook_timeout": WEBHOOK_TIMEOUT,
    "allow_http_media": True,  # LINE: HTTPS only; true here for a local Odoo on http:// (see README)
    "transcoding_polls": TRANSCODING_POLLS,
    "transcoding_seconds": TRANSCODING_SECONDS,
    "premium_id": None,
    "picture_url": None,
}

# -- stickers on the phone page (LINE's published sticker list: package 446, 789, 11537) -----
STICKER_CDN = "https://stickershop.line-scdn.net/stickershop/v1/sticker/%s/android/sticker.png"
PHONE_STICKERS = (
    {"packageId": "446", "stickerId": "1988", "label": "👍", "keywords": ["OK", "good"]},
    {"packageId": "446", "stickerId": "1989", "label": "😊", "keywords": ["happy", "smile"]},
    {"packageId": "446", "stickerId": "1990", "label": "🙇", "keywords": ["sorry", "bow"]},
    {"packageId": "446", "stickerId": "1993", "label": "😢", "keywords": ["sad", "cry"]},
    {"packageId": "789", "stickerId": "10855", "label": "🎉", "keywords": ["congrats", "party"]},
    {"packageId": "789", "stickerId": "10857", "label": "❤️", "keywords": ["love", "heart"]},
    {"packageId": "11537", "stickerId": "52002734", "label": "🙏", "keywords": ["thanks", "please"]},
    {"packageId": "11537", "stickerId": "52002738", "label": "😮", "keywords": ["surprised", "wow"]},
)
AVATAR_COLOURS = ((6, 199, 85), (66, 133, 244), (234, 67, 53), (251, 188, 5), (142, 68, 173), (0, 150, 136))

# -- account link (LINE: link tokens valid 10 minutes, single use; the nonce 10 to 255 characters) ---
LINK_TOKEN_LIFETIME = 10 * 60
ACCOUNT_LINK_PATH = "/dialog/bot/accountLink"
NONCE_MIN_LENGTH = 10
NONCE_MAX_LENGTH = 255
# The LINE app knows who is logged in; the phone page tells the emulator's dialog with this cookie.
PHONE_USER_COOKIE = "line_emulator_user"
ERR_LINK_USER = "The user ID is invalid"
ERR_LINK_NOT_FRIEND = "The user has not added the LINE Official Account as a friend"
