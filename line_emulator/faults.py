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

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.limits = {}  # endpoint -> per_second
        self.windows = {}  # (endpoint, channel_id) -> deque of monotonic times

    def clear(self):
        with self.lock:
            self.rules.clear()

    def reset(self):
        with self.lock:
            self.rules.clear()
            self.limits.clear()
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

    def set_limit(self, endpoint, per_second):
        with self.lock:
            if per_second is None:
                self.limits.pop(endpoint, None)
            else:
                self.limits[endpoint] = float(per_second)
            self.windows = {k: v for k, v in self.windows.items() if k[0] != endpoint}

    def limits_dict(self):
        with self.lock:
            return dict(self.limits)

    def over_limit(self, endpoint, channel_id):
        """Count this call; True when more than the limit were made in the last second."""
        with self.lock:
            limit = self.limits.get(endpoint, self.limits.get(const.FAULT_ALL_ENDPOINTS))
            if limit is None:
                return False
            now = time.monotonic()
            window = self.windows.setdefault((endpoint, channel_id), deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                return True
            window.append(now)
            return False
