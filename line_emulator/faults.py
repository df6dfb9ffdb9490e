"""Faults injected at run time, and rate limits, per named endpoint."""

import random
import threading
import time
from collections import deque

from . import const
from .state import EmulatorError


class Faults:
    """Rules: ``kind`` (an HTTP status such as "500" or "429", "delay", "drop") for an endpoint,
    applied to the next ``count`` calls, or to a share ``rate`` (0..1) of calls, or to every call."""

    def __init__(self, default_limits=None, clock=time.time):
        """:param default_limits: endpoint -> (limit, window seconds), in force after each reset
        :param clock: the time rate-limit windows are measured with (the emulator's clock)"""
        self.lock = threading.Lock()
        self.default_limits = dict(default_limits or {})
        self.clock = clock
        self.rules = []
        self.limits = dict(self.default_limits)  # endpoint -> (limit, window)
        self.windows = {}  # (endpoint or "*", channel_id) -> deque of call times

    def clear(self):
        with self.lock:
            self.rules.clear()

    def reset(self):
        with self.lock:
            self.rules.clear()
            self.limits = dict(self.default_limits)
            self.windows.clear()

    def add(self, endpoint, kind, rate=None, count=None, delay=None, after=None):
        kind = str(kind)
        if kind not in const.FAULT_KINDS:
            raise EmulatorError(f"Unknown fault kind {kind!r}; one of {', '.join(const.FAULT_KINDS)}")
        if rate is not None and not 0 <= float(rate) <= 1:
            raise EmulatorError("rate is a share between 0 and 1")
        if kind == "delay" and not delay:
            raise EmulatorError("A delay fault needs delay (seconds)")
        rule = {"endpoint": endpoint, "kind": kind, "rate": None if rate is None else float(rate),
                "count": None if count is None else int(count), "delay": float(delay or 0),
                # A delayed answer comes after the work is done (LINE accepted it, the answer is lost);
                # a dropped connection, before it, unless told otherwise.
                "after": (kind == "delay") if after is None else bool(after)}
        with self.lock:
            self.rules.append(rule)
        return rule

    def list(self):
        with self.lock:
            return [dict(r) for r in self.rules]

    def pick(self, endpoint):
        """The fault for this call, if any (counting it down)."""
        with self.lock:
            for rule in self.rules:
                if rule["endpoint"] not in (endpoint, const.FAULT_ALL_ENDPOINTS):
                    continue
                if rule["count"] is not None:
                    if rule["count"] <= 0:
                        continue
                    rule["count"] -= 1
                    return dict(rule)
                if rule["rate"] is None or random.random() < rule["rate"]:
                    return dict(rule)
            return None

    # -- rate limits ----------------------------------------------------------------------------------

    def set_limit(self, endpoint, limit, window=1.0):
        """At most ``limit`` calls per ``window`` seconds per channel on ``endpoint`` (None: no limit).
        The ``*`` limit counts the calls of all endpoints together, on top of each endpoint's own."""
        with self.lock:
            if limit is None:
                self.limits.pop(endpoint, None)
            else:
                if float(limit) < 0 or float(window) <= 0:
                    raise EmulatorError("limit must be >= 0 and window > 0 (seconds)")
                self.limits[endpoint] = (float(limit), float(window))
            self.windows = {k: v for k, v in self.windows.items() if k[0] != endpoint}

    def limits_dict(self):
        """endpoint -> calls per second (the limit over its window)."""
        with self.lock:
            return {endpoint: limit / window for endpoint, (limit, window) in self.limits.items()}

    def limit_windows(self):
        """endpoint -> dict(limit, window)."""
        with self.lock:
            return {endpoint: {"limit": limit, "window": window} for endpoint, (limit, window) in self.limits.items()}

    def over_limit(self, endpoint, channel_id):
        """Count this call: True (and not counted) when its endpoint's limit or the ``*`` limit is
        already reached within its window."""
        with self.lock:
            now = self.clock()
            windows = []
            for name in {endpoint, const.FAULT_ALL_ENDPOINTS}:
                if name not in self.limits:
                    continue
                limit, span = self.limits[name]
                window = self.windows.setdefault((name, channel_id), deque())
                while window and now - window[0] >= span:
                    window.popleft()
                if len(window) >= limit:
                    return True
                windows.append(window)
            for window in windows:
                window.append(now)
            return False
