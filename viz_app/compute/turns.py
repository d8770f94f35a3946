"""Turns across clients, for the worker queue (worker.Pool) and the render service (export.render.FairLock).

A client is the address of a connection (a device's tabs share it); None is the machine the server runs on, the
lecturer's, whose items go first. Every other item's turn is how many of its client's items were served since the
client last had nothing waiting or running, plus its items waiting before this one: each client's next item in turn,
so one student asking for many things does not put them all before the next student's one. Within a turn, items
marked ``first`` go first, then arrival. Not thread-safe: its owner holds its own lock.
"""
from __future__ import annotations

from collections import Counter


class Turns:
    def __init__(self):
        self.served: Counter = Counter()  # client -> items served since it was last idle

    def order(self, waiting: list[tuple], active: set) -> list[tuple]:
        """``waiting``: (clients, first, arrival, item) tuples; ``active``: every client with an item waiting or
        running. Returns (item, the client whose turn it is) in the order they are to be served; a shared item
        (several clients) takes its best client's turn."""
        for client in [c for c in self.served if c not in active]:  # idle: its count starts again
            del self.served[client]
        taken, ranked = Counter(self.served), []
        for clients, first, arrival, item in sorted(waiting, key=lambda w: (not w[1], w[2])):
            turn, charged = min(((-1 if c is None else taken[c], c) for c in clients), key=lambda tc: tc[0],
                                default=(-1, None))
            taken.update(clients)
            ranked.append(((turn, not first, arrival), item, charged))
        return [(item, charged) for _, item, charged in sorted(ranked, key=lambda r: r[0])]

    def serve(self, client) -> None:
        """An item of ``client`` (the one ``order`` named) starts."""
        self.served[client] += 1
