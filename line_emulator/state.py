"""The emulator's in-memory world: channels, users, tokens, content and logs, behind one lock.

Every method that reads or changes shared data takes ``self.lock``; nothing here does I/O.
"""

import copy
import dataclasses
import threading
import time
from collections import deque

from . import const, ids


class EmulatorError(Exception):
    """A control call that cannot be honoured (unknown channel, bad setting...)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclasses.dataclass
class Channel:
    channel_id: str
    channel_secret: str
    provider_id: str
    bot_user_id: str
    basic_id: str
    settings: dict
    usage: int = 0
    replaces: str | None = None  # the channel this one's Official Account replaces (the emulator's note)

    def __getattr__(self, name):
        settings = self.__dict__.get("settings") or {}
        if name in settings:
            return settings[name]
        raise AttributeError(name)

    @property
    def quota_type(self):
        return const.QUOTA_NONE if self.settings["quota"] is None else const.QUOTA_LIMITED

    def to_dict(self):
        data = {"channel_id": self.channel_id, "channel_secret": self.channel_secret,
                "provider_id": self.provider_id, "bot_user_id": self.bot_user_id, "basic_id": self.basic_id,
                "quota_type": self.quota_type, "usage": self.usage, "replaces": self.replaces}
        data.update(copy.deepcopy(self.settings))
        return data


@dataclasses.dataclass
class User:
    user_id: str
    provider_id: str
    display_name: str
    picture_url: str | None
    language: str | None
    status_message: str | None
    person_id: str

    def to_dict(self):
        return dataclasses.asdict(self)

    def profile(self):
        """The profile as LINE's profile API shows it (absent fields left out)."""
        data = {"userId": self.user_id, "displayName": self.display_name, "pictureUrl": self.picture_url,
                "statusMessage": self.status_message, "language": self.language}
        return {k: v for k, v in data.items() if v is not None}


def _check_setting(name, value):
    checks = {
        "chat_mode": lambda v: v in const.CHAT_MODES,
        "mark_as_read_mode": lambda v: v in const.MARK_AS_READ_MODES,
        "mode": lambda v: v in (const.MODE_ACTIVE, const.MODE_STANDBY),
        "quota": lambda v: v is None or (isinstance(v, int) and v >= 0),
        "redelivery_schedule": lambda v: isinstance(v, list) and all(isinstance(x, (int, float)) for x in v),
        "reply_token_ttl": lambda v: isinstance(v, (int, float)) and v >= 0,
        "webhook_timeout": lambda v: isinstance(v, (int, float)) and v > 0,
        "transcoding_polls": lambda v: isinstance(v, int) and v >= 0,
        "transcoding_seconds": lambda v: isinstance(v, (int, float)) and v >= 0,
    }
    if name not in const.DEFAULT_CHANNEL_SETTINGS:
        raise EmulatorError(f"Unknown channel setting {name!r}")
    if name in checks and not checks[name](value):
        raise EmulatorError(f"Invalid value for {name}: {value!r}")


class State:
    """Everything the emulator knows. ``base_url`` is set by the server (avatar URLs use it)."""

    def __init__(self, base_url="", limits=None):
        """:param limits: how much to keep (see ``const.DEFAULT_LIMITS``); kept across ``reset``"""
        self.lock = threading.RLock()
        self.retry_keys_changed = threading.Condition(self.lock)
        self.base_url = base_url
        self.limits = dict(const.DEFAULT_LIMITS)
        self._check_limits(limits or {})
        self.limits.update(limits or {})
        self.reset()

    def reset(self):
        with self.lock:
            self.channels = {}
            self.users = {}
            self.friendships = {}  # (channel_id, user_id) -> {"state", "last_message_at", "since"}
            self.tokens = {}  # access token -> {"channel_id", "kind", "expires_at", "key_id"}
            self.short_lived = {}  # channel_id -> deque of tokens, oldest first
            self.reply_tokens = {}  # token -> {"channel_id", "chat_id", "event_time", "expires_at", "used"}
            self.read_tokens = {}  # markAsReadToken -> {"channel_id", "chat_id", "message_id"}
            self.retry_keys = {}  # (channel_id, key) -> {"request_id", "response", "at"}
            self.contents = {}  # message_id -> content record
            self.chats = {}  # (channel_id, chat_id) -> [chat entries]
            self.groups = {}  # channel_id -> {group/room id: set of member user ids}
            self.events = {}  # webhookEventId -> {"channel_id", "event"}
            self.link_tokens = {}  # account link token -> {"channel_id", "user_id", "expires_at", "used"}
            for name in const.LOGS:
                setattr(self, name, deque(maxlen=self.limits["logs"]))
            self.dropped = dict.fromkeys(const.LOGS, 0)  # log entries forgotten for lack of room
            self._seq = 0
            self.clock_offset = 0.0

    def now(self):
        """The emulator's clock (epoch seconds): the real time, shifted by ``advance_clock``."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds):
        """Move the emulator's clock ``seconds`` forward (tokens, retry keys, windows age at once)."""
        with self.lock:
            self.clock_offset += float(seconds)
            return self.clock_offset

    # -- memory -----------------------------------------------------------------------------------

    @staticmethod
    def _check_limits(limits):
        for name, value in limits.items():
            if name not in const.DEFAULT_LIMITS:
                raise EmulatorError(f"Unknown limit {name!r}; one of {', '.join(const.DEFAULT_LIMITS)}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise EmulatorError(f"Invalid value for {name}: {value!r} (a whole number >= 1)")

    def set_limits(self, **limits):
        """Change how much is kept; what is over the new limits is forgotten at once."""
        with self.lock:
            self._check_limits(limits)
            self.limits.update(limits)
            for name in const.LOGS:
                rows = getattr(self, name)
                self.dropped[name] += max(0, len(rows) - self.limits["logs"])
                setattr(self, name, deque(rows, maxlen=self.limits["logs"]))
            for records in (self.tokens, self.reply_tokens, self.read_tokens, self.contents, self.retry_keys):
                self._trim(records)
            for entries in self.chats.values():
                del entries[:max(0, len(entries) - self.limits["chat"])]
            return dict(self.limits)

    def _trim(self, records, expired=None):
        """Forget the oldest records over the ``records`` limit (first those ``expired`` says are)."""
        limit = self.limits["records"]
        if len(records) <= limit:
            return
        if expired:
            for key in [k for k, record in records.items() if expired(record)]:
                del records[key]
        while len(records) > limit:
            del records[next(iter(records))]

    def remember_read_token(self, token, record):
        with self.lock:
            self.read_tokens[token] = record
            self._trim(self.read_tokens)

    def avatar_url(self, user_id):
        return f"{self.base_url}{const.CONTROL_PREFIX}/avatars/{user_id}.png"

    def next_seq(self):
        with self.lock:
            self._seq += 1
            return self._seq

    # -- channels -----------------------------------------------------------------------------

    def create_channel(self, channel_id=None, channel_secret=None, provider_id=None, bot_user_id=None,
                       basic_id=None, **settings):
        with self.lock:
            channel_id = str(channel_id or ids.channel_id())
            if channel_id in self.channels:
                raise EmulatorError(f"Channel {channel_id} exists", status=409)
            values = copy.deepcopy(const.DEFAULT_CHANNEL_SETTINGS)
            for name, value in settings.items():
                _check_setting(name, value)
                values[name] = value
            channel = Channel(channel_id=channel_id, channel_secret=channel_secret or ids.channel_secret(),
                              provider_id=provider_id or const.DEFAULT_PROVIDER,
                              bot_user_id=bot_user_id or ids.user_id(), basic_id=basic_id or ids.basic_id(),
                              settings=values)
            self.channels[channel_id] = channel
            return channel

    def replace_channel(self, channel_id, provider_id=None, **settings):
        """A new Official Account that takes over from ``channel_id``: as at LINE, a new channel with its
        own channel ID, secret, bot user ID and basic ID, under the same provider unless another is
        given. Its settings start as the old one's, except the webhook (each channel has its own)."""
        with self.lock:
            old = self.channel(channel_id)
            values = {k: copy.deepcopy(v) for k, v in old.settings.items() if k not in ("webhook_url",)}
            values.update(settings)
            channel = self.create_channel(provider_id=provider_id or old.provider_id, **values)
            channel.replaces = old.channel_id
            return channel

    def channel(self, channel_id):
        with self.lock:
            channel = self.channels.get(str(channel_id))
            if not channel:
                raise EmulatorError(f"Unknown channel {channel_id}", status=404)
            return channel

    def update_channel(self, channel_id, **settings):
        with self.lock:
            channel = self.channel(channel_id)
            for name, value in settings.items():
                if name == "usage":
                    channel.usage = int(value)
                    continue
                _check_setting(name, value)
                channel.settings[name] = value
            return channel

    # -- users and friendship -------------------------------------------------------------------

    def create_user(self, provider_id=None, display_name=None, picture_url=None, language=const.DEFAULT_LANGUAGE,
                    status_message=None, user_id=None, person_id=None):
        with self.lock:
            user_id = user_id or ids.user_id()
            if user_id in self.users:
                raise EmulatorError(f"User {user_id} exists", status=409)
            user = User(user_id=user_id, provider_id=provider_id or const.DEFAULT_PROVIDER,
                        display_name=display_name or f"User {len(self.users) + 1}",
                        picture_url=picture_url or self.avatar_url(user_id),
                        language=language, status_message=status_message, person_id=person_id or user_id)
            self.users[user_id] = user
            return user

    def user(self, user_id):
        with self.lock:
            user = self.users.get(user_id)
            if not user:
                raise EmulatorError(f"Unknown user {user_id}", status=404)
            return user

    def update_user(self, user_id, **values):
        with self.lock:
            user = self.user(user_id)
            for name, value in values.items():
                if name not in ("display_name", "picture_url", "language", "status_message"):
                    raise EmulatorError(f"Unknown user field {name!r}")
                setattr(user, name, value)
            return user

    def user_under(self, user_id, provider_id):
        """The same person's user under ``provider_id``: LINE gives a person one user ID per provider,
        the same on every channel of that provider and another under any other provider (made the
        first time the person meets that provider)."""
        with self.lock:
            user = self.user(user_id)
            if user.provider_id == provider_id:
                return user
            for other in self.users.values():
                if other.person_id == user.person_id and other.provider_id == provider_id:
                    return other
            return self.create_user(provider_id=provider_id, display_name=user.display_name,
                                    picture_url=user.picture_url, language=user.language,
                                    status_message=user.status_message, person_id=user.person_id)

    def friendship(self, channel_id, user_id):
        with self.lock:
            return self.friendships.setdefault((str(channel_id), user_id),
                                               {"state": "none", "last_message_at": None, "since": None})

    def set_friend_state(self, channel_id, user_id, state):
        """:return: the previous state ('none', 'friend' or 'blocked')"""
        with self.lock:
            friendship = self.friendship(channel_id, user_id)
            previous, friendship["state"], friendship["since"] = friendship["state"], state, self.now()
            return previous

    def wrote(self, channel_id, user_id):
        with self.lock:
            self.friendship(channel_id, user_id)["last_message_at"] = self.now()

    def visible_user(self, channel, user_id):
        """The user if ``channel`` may know it (same provider), else None."""
        with self.lock:
            user = self.users.get(user_id)
            return user if user and user.provider_id == channel.provider_id else None

    def push_audience(self, channel, user_id):
        """Whether a push reaches the user: (delivered, reason)."""
        with self.lock:
            friendship = self.friendship(channel.channel_id, user_id)
            if friendship["state"] == "blocked":
                return False, "blocked"
            if friendship["state"] == "friend":
                return True, None
            last = friendship["last_message_at"]
            if last and self.now() - last < const.PUSH_WINDOW_SINCE_LAST_MESSAGE:
                return True, None
            return False, "not a friend"

    # -- groups and rooms -------------------------------------------------------------------------

    def touch_group(self, channel_id, chat_id, user_id=None, left=False):
        with self.lock:
            members = self.groups.setdefault(str(channel_id), {}).setdefault(chat_id, set())
            if user_id and left:
                members.discard(user_id)
            elif user_id:
                members.add(user_id)

    def group_members(self, channel_id, chat_id):
        with self.lock:
            return self.groups.get(str(channel_id), {}).get(chat_id)

    # -- access tokens ----------------------------------------------------------------------------

    def issue_token(self, channel, kind, lifetime):
        with self.lock:
            token = ids.access_token()
            expires_at = self.now() + lifetime if lifetime else None
            self.tokens[token] = {"channel_id": channel.channel_id, "kind": kind, "expires_at": expires_at,
                                  "key_id": ids.token(16)}
            if kind == "short-lived":
                issued = self.short_lived.setdefault(channel.channel_id, deque())
                issued.append(token)
                # LINE: at most 30 per channel, the 31st silently revokes the oldest.
                while len(issued) > const.SHORT_LIVED_TOKENS_PER_CHANNEL:
                    self.tokens.pop(issued.popleft(), None)
            record = self.tokens[token]
            now = self.now()
            self._trim(self.tokens, lambda r: r["expires_at"] is not None and r["expires_at"] < now)
            return token, record

    def channel_for_token(self, token):
        with self.lock:
            record = self.tokens.get(token or "")
            if not record or (record["expires_at"] and record["expires_at"] < self.now()):
                return None
            return self.channels.get(record["channel_id"])

    def revoke_token(self, token):
        with self.lock:
            record = self.tokens.pop(token, None)
            if record and record["kind"] == "short-lived":
                issued = self.short_lived.get(record["channel_id"], deque())
                if token in issued:
                    issued.remove(token)
            return record

    # -- reply tokens -----------------------------------------------------------------------------

    def issue_reply_token(self, channel, chat_id, event_time):
        with self.lock:
            token = ids.token(24)
            self.reply_tokens[token] = {"channel_id": channel.channel_id, "chat_id": chat_id,
                                        "event_time": event_time,
                                        "expires_at": self.now() + channel.reply_token_ttl, "used": False}
            # Used tokens and those past 20 minutes (no redelivery can renew them) go first.
            oldest = self.now() - const.REPLY_TOKEN_MAX_AGE
            self._trim(self.reply_tokens, lambda r: r["used"] or r["event_time"] / 1000 < oldest)
            return token

    def refresh_reply_token(self, token, ttl):
        """A redelivered event's token works one more minute, unless used or 20 minutes old."""
        with self.lock:
            record = self.reply_tokens.get(token)
            if record and not record["used"]:
                limit = record["event_time"] / 1000 + const.REPLY_TOKEN_MAX_AGE
                record["expires_at"] = min(self.now() + ttl, limit)

    def use_reply_token(self, channel, token):
        """Consume a reply token: :return: its record, or None when invalid, used or expired."""
        with self.lock:
            record = self.reply_tokens.get(token or "")
            if (not record or record["used"] or record["channel_id"] != channel.channel_id
                    or record["expires_at"] < self.now()):
                return None
            record["used"] = True
            return record

    def expire_reply_tokens(self, channel_id=None):
        with self.lock:
            for record in self.reply_tokens.values():
                if channel_id is None or record["channel_id"] == str(channel_id):
                    record["expires_at"] = 0

    # -- account link tokens ----------------------------------------------------------------------

    def issue_link_token(self, channel, user_id):
        with self.lock:
            token = ids.token(24)
            now = self.now()
            self._trim(self.link_tokens, lambda r: r["used"] or r["expires_at"] < now)
            self.link_tokens[token] = {"channel_id": channel.channel_id, "user_id": user_id,
                                       "expires_at": now + const.LINK_TOKEN_LIFETIME, "used": False}
            return token

    def link_token(self, token):
        with self.lock:
            record = self.link_tokens.get(token or "")
            return dict(record, token=token) if record else None

    def use_link_token(self, token, user_id):
        """Consume the link token if ``user_id`` may: :return: True (once), False when used, expired
        or issued for another user."""
        with self.lock:
            record = self.link_tokens.get(token or "")
            if (not record or record["used"] or record["user_id"] != user_id
                    or record["expires_at"] < self.now()):
                return False
            record["used"] = True
            return True

    # -- retry keys -------------------------------------------------------------------------------

    def reserve_retry_key(self, channel, key, request_id, wait=const.RETRY_KEY_WAIT):
        """Claim ``key`` for this request, atomically.

        A request that arrives while another with the same key is being processed waits for it (at
        most ``wait`` s): LINE answers such a resend 409 only once it knows what the first one sent.

        :return: None when this request now holds the key (finish with ``accept_retry_key`` or
            ``release_retry_key``), else the record of the request that holds or accepted it
            (``request_id``, ``response``: None when still in progress after ``wait``)
        """
        deadline = time.monotonic() + wait
        with self.retry_keys_changed:
            while True:
                record = self.retry_keys.get((channel.channel_id, key))
                if record and record["response"] is not None and self.now() - record["at"] > const.RETRY_KEY_LIFETIME:
                    del self.retry_keys[(channel.channel_id, key)]
                    record = None
                if record is None:
                    self.retry_keys[(channel.channel_id, key)] = {"request_id": request_id, "response": None,
                                                                 "at": self.now()}
                    return None
                left = deadline - time.monotonic()
                if record["response"] is not None or left <= 0:
                    return copy.deepcopy(record)
                self.retry_keys_changed.wait(left)

    def accepted_retry_key(self, channel, key):
        """The accepted request of ``key`` (within 24 h), or None."""
        with self.lock:
            record = self.retry_keys.get((channel.channel_id, key))
            if not record or record["response"] is None or self.now() - record["at"] > const.RETRY_KEY_LIFETIME:
                return None
            return record

    def accept_retry_key(self, channel, key, request_id, response):
        with self.retry_keys_changed:
            self.retry_keys[(channel.channel_id, key)] = {"request_id": request_id, "response": response,
                                                         "at": self.now()}
            self.retry_keys_changed.notify_all()
            oldest = self.now() - const.RETRY_KEY_LIFETIME
            self._trim(self.retry_keys, lambda r: r["response"] is not None and r["at"] < oldest)

    def release_retry_key(self, channel, key, request_id):
        """The request holding ``key`` was refused: the key is free again (LINE accepts only a 200)."""
        with self.retry_keys_changed:
            record = self.retry_keys.get((channel.channel_id, key))
            if record and record["request_id"] == request_id and record["response"] is None:
                del self.retry_keys[(channel.channel_id, key)]
            self.retry_keys_changed.notify_all()

    # -- quota ------------------------------------------------------------------------------------

    def consume_quota(self, channel, count):
        """Count ``count`` messages against the monthly quota: False when it would be exceeded."""
        with self.lock:
            if channel.quota is not None and channel.usage + count > channel.quota:
                return False
            channel.usage += count
            return True

    # -- content ----------------------------------------------------------------------------------

    def store_content(self, channel, message_id, message_type, data, content_type, preview=None,
                      file_name=None, polls=None, seconds=None):
        with self.lock:
            transcoded = message_type in const.TRANSCODED_TYPES
            polls = channel.transcoding_polls if polls is None else polls
            seconds = channel.transcoding_seconds if seconds is None else seconds
            self.contents[message_id] = {
                "channel_id": channel.channel_id, "type": message_type, "data": data,
                "content_type": content_type, "preview": preview, "file_name": file_name,
                "polls_left": polls if transcoded else 0,
                "ready_at": self.now() + (seconds if transcoded else 0),
                "unsent": False, "failed": False}
            # LINE keeps content for a while only (no period is published): the oldest goes first.
            self._trim(self.contents)

    def content(self, channel, message_id):
        with self.lock:
            record = self.contents.get(message_id)
            if record and record["channel_id"] == channel.channel_id:
                return record
            return None

    def content_ready(self, record, poll=True):
        """Whether transcoding is over; each poll while it is not counts down ``polls_left``."""
        with self.lock:
            if record["polls_left"] > 0 or self.now() < record["ready_at"]:
                if poll and record["polls_left"] > 0:
                    record["polls_left"] -= 1
                return False
            return True

    # -- chats (what the phone shows) -------------------------------------------------------------

    def add_chat(self, channel_id, chat_id, entry):
        with self.lock:
            entry = dict(entry, seq=self.next_seq(), timestamp=entry.get("timestamp") or int(self.now() * 1000))
            entries = self.chats.setdefault((str(channel_id), chat_id), [])
            entries.append(entry)
            del entries[:max(0, len(entries) - self.limits["chat"])]
            return entry

    def chat(self, channel_id, chat_id, since=0):
        with self.lock:
            return [copy.deepcopy(e) for e in self.chats.get((str(channel_id), chat_id), []) if e["seq"] > since]

    def mark_chat(self, channel_id, chat_id, message_id, **values):
        with self.lock:
            for entry in self.chats.get((str(channel_id), chat_id), []):
                if entry.get("message_id") == message_id:
                    entry.update(values)
                    return entry
            return None

    def mark_read_until(self, channel_id, chat_id, message_id):
        """markAsRead marks that message and every earlier one from the user read."""
        with self.lock:
            entries = self.chats.get((str(channel_id), chat_id), [])
            target = next((e for e in entries if e.get("message_id") == message_id), None)
            for entry in entries:
                if entry["direction"] == "user" and (target is None or entry["seq"] <= target["seq"]):
                    entry["read"] = True

    # -- logs -------------------------------------------------------------------------------------

    def log(self, name, entry):
        """Append to a log; the oldest entry is forgotten when the log is full (``limits["logs"]``)."""
        with self.lock:
            entry = dict(entry, id=self.next_seq())
            rows = getattr(self, name)
            if len(rows) == rows.maxlen:
                self.dropped[name] += 1
            rows.append(entry)
            return entry

    def query(self, name, since=None, **filters):
        """Copies of a log's entries matching ``filters`` (None matches anything); with ``since``, only
        entries whose ``id`` is greater (ids increase: a caller can read only what is new)."""
        with self.lock:
            rows = getattr(self, name)
            return [copy.deepcopy(r) for r in rows
                    if (since is None or r["id"] > since)
                    and all(value is None or r.get(key) == value for key, value in filters.items())]
