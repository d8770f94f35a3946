"""A small thread-safe least-recently-used map: every cache in the app has a fixed size."""
from __future__ import annotations

import threading
from collections import Counter, OrderedDict


class LRU:
    """A small thread-safe least-recently-used map of at most ``size`` entries and ``max_weight`` (the entries'
    weights, given with ``put``, together; an entry heavier than that alone is not kept)."""

    def __init__(self, size: int, max_weight: float = float("inf")):
        # reentrant: discard() may run from a weak reference's callback, i.e. inside any allocation of this thread
        self.size, self.max_weight, self.items, self.lock = size, max_weight, OrderedDict(), threading.RLock()
        self.weights: dict = {}
        self.weight = 0.0

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value, weight: float = 0.0) -> None:
        with self.lock:
            self._drop(key)
            if weight > self.max_weight:
                return
            self.items[key], self.weights[key] = value, weight
            self.weight += weight
            while len(self.items) > self.size or self.weight > self.max_weight:
                self._drop(next(iter(self.items)))

    def discard(self, key, test=lambda value: True) -> None:
        """Remove ``key`` if present and ``test(value)``."""
        with self.lock:
            if key in self.items and test(self.items[key]):
                self._drop(key)

    def _drop(self, key) -> None:
        if key in self.items:
            del self.items[key]
            self.weight -= self.weights.pop(key)


class FairCache:
    """A bounded thread-safe map shared by all sessions, which one session cannot empty.

    Each entry remembers the sessions that used it (up to ``MAX_USERS``). When full, the entry used by the fewest
    sessions goes first; among those used by one session alone, one of the session that holds the most such entries
    (then the least recently used), and keys for which ``pinned(key)`` is true never go: 24 cheap links from one
    student evict each other, not the run 50 students share, nor the lecturer's own prepared link (30 links of one
    student evicted it before). With ``max_weight``, entries also go while their weights (given to ``put``, e.g.
    bytes) add up to more than it."""

    MAX_USERS = 64

    def __init__(self, size: int, pinned=lambda key: False, max_weight: float = float("inf")):
        self.size, self.pinned, self.max_weight = size, pinned, max_weight
        self.items, self.users, self.weights, self.lock = OrderedDict(), {}, {}, threading.Lock()

    def get(self, key, who: str = ""):
        with self.lock:
            if key not in self.items:
                return None
            self.items.move_to_end(key)
            self._use(key, who)
            return self.items[key]

    def entries(self) -> list:
        """(key, value) of every entry, as they are now (not counted as a use)."""
        with self.lock:
            return list(self.items.items())

    def put(self, key, value, who: str = "", weight: float = 0.0) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            self.weights[key] = weight
            self._use(key, who)
            while len(self.items) > self.size or sum(self.weights.values()) > self.max_weight:
                order = {k: i for i, k in enumerate(self.items)}
                victims = [k for k in self.items if not self.pinned(k) and k != key]
                if not victims:
                    break
                alone = {k: next(iter(self.users[k])) for k in self.items if len(self.users.get(k, ())) == 1}
                holds = Counter(alone.values())  # entries each session uses alone
                victim = min(victims, key=lambda k: (len(self.users.get(k, ())), -holds.get(alone.get(k), 0),
                                                     order[k]))
                del self.items[victim]
                self.users.pop(victim, None)
                self.weights.pop(victim, None)

    def _use(self, key, who: str) -> None:
        users = self.users.setdefault(key, set())
        if len(users) < self.MAX_USERS:
            users.add(who)


class UploadStore:
    """Files keyed by (session, kind, id) with a quota: a session replaces its own oldest file of a kind beyond
    ``per_session``; when the store holds ``size`` files, files of sessions that are gone (``alive(session)`` false)
    go first, then the oldest file of the session holding the most. A live session's file is never removed by
    another session's uploads while fewer than size / per_session sessions upload."""

    def __init__(self, size: int, per_session: int, alive=lambda session: True):
        self.size, self.per_session, self.alive = size, per_session, alive
        self.items, self.lock = OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            return self.items.get(key)

    def put(self, key, data: bytes) -> None:
        who, kind, _ = key
        with self.lock:
            self.items[key] = data
            self.items.move_to_end(key)
            own = [k for k in self.items if k[0] == who and k[1] == kind]
            for k in own[:-self.per_session]:
                del self.items[k]
            while len(self.items) > self.size:
                gone = [k for k in self.items if not self.alive(k[0])]
                if gone:
                    del self.items[gone[0]]
                    continue
                counts = Counter(k[0] for k in self.items)
                heaviest = max(counts, key=counts.get)
                del self.items[next(k for k in self.items if k[0] == heaviest)]
