"""Which cell a backend runs next, when several backends share one grid.

Each worker keeps to its current checkpoint+VAE group while it has cells, then takes the largest group
no other worker is on (then any group with at least two cells waiting: loading a model for the last
cell of a group another worker runs costs more than it saves); a failed cell goes back to the queue for a backend that has not
tried it, and a backend that could not load a checkpoint gets no more cells of that checkpoint. Workers
with nothing eligible wait while other cells are in flight (a failure may re-queue work for them).
"""

from __future__ import annotations

import threading

from promptlab.grid.plan import GridPlan


class Scheduler:
    """Hands cells to workers: keep to your group, take a fresh group next, retry failures elsewhere."""

    def __init__(self, plan: GridPlan, todo: set[int], workers: list[str]):
        self.cond = threading.Condition()
        self.pending: dict[tuple, list[int]] = {}
        for group, indices in plan.groups():
            keep = [i for i in indices if i in todo]
            if keep:
                self.pending[group] = keep
        self.group_of = {i: g for g, ix in plan.groups() for i in ix}
        self.tried: dict[int, set[str]] = {}
        self.bad_groups: dict[str, set[tuple]] = {w: set() for w in workers}
        self.good_groups: dict[str, set[tuple]] = {w: set() for w in workers}   # made an image: the model loads
        self.active: dict[str, tuple | None] = {w: None for w in workers}
        self.in_flight = 0
        self.workers = workers
        self.last_error: dict[int, str] = {}
        self.group_error: dict[tuple, str] = {}

    def _eligible(self, worker: str, i: int) -> bool:
        return worker not in self.tried.get(i, ()) and self.group_of[i] not in self.bad_groups[worker]

    def _take(self, worker: str) -> int | None:
        current = self.active[worker]
        candidates = [current] if current in self.pending else []
        others = sorted((g for g in self.pending if g != current), key=lambda g: (
            g in self.active.values(), -len(self.pending[g])))
        for group in candidates + others:
            if group != current and group in self.active.values() and len(self.pending[group]) < 2 \
                    and self._owner_alive(group, worker):
                continue  # loading a model for the last cell of a group another worker runs rarely pays
            for pos, i in enumerate(self.pending[group]):
                if self._eligible(worker, i):
                    del self.pending[group][pos]
                    if not self.pending[group]:
                        del self.pending[group]
                    self.active[worker] = group
                    self.in_flight += 1
                    return i
        return None

    def _owner_alive(self, group: tuple, worker: str) -> bool:
        """Another worker is on ``group`` and may still run a waiting cell of it (not failed there before)."""
        return any(w != worker and g == group and any(self._eligible(w, i) for i in self.pending[group])
                   for w, g in self.active.items())

    def next(self, worker: str, cancel: threading.Event) -> int | None:
        with self.cond:
            while not cancel.is_set():
                i = self._take(worker)
                if i is not None or self.in_flight == 0:
                    return i
                self.cond.wait(0.5)
            return None

    def finished(self, worker: str, i: int) -> None:
        with self.cond:
            self.in_flight -= 1
            self.good_groups[worker].add(self.group_of[i])
            self.cond.notify_all()

    def requeue(self, i: int) -> None:
        """A cell that was stopped by cancel goes back, untried."""
        with self.cond:
            self.in_flight -= 1
            self.pending.setdefault(self.group_of[i], []).insert(0, i)
            self.cond.notify_all()

    def failed(self, worker: str, i: int, error: str, *, group_failed: bool) -> bool:
        """Record a failure; True when another backend may still try the cell (it is queued again)."""
        with self.cond:
            self.in_flight -= 1
            self.tried.setdefault(i, set()).add(worker)
            self.last_error[i] = error
            if group_failed and self.group_of[i] not in self.good_groups[worker]:
                self.bad_groups[worker].add(self.group_of[i])
                self.group_error[self.group_of[i]] = error
            retry = any(self._eligible(w, i) for w in self.workers)
            if retry:
                self.pending.setdefault(self.group_of[i], []).insert(0, i)
            self.cond.notify_all()
            return retry

    def leftovers(self) -> list[tuple[int, str]]:
        """Cells never made, with the error that stopped them ("" when they were simply not run)."""
        out = []
        for group, indices in self.pending.items():
            dead = all(group in self.bad_groups[w] for w in self.workers)
            for i in indices:
                out.append((i, self.last_error.get(i) or (self.group_error.get(group, "") if dead else "")))
        return out
