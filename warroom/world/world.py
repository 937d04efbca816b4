"""The World: a topology, a timeline of state versions, a simulated clock and an event queue.

Time is in simulated seconds since the start of recorded history; the incident page arrives
at ``incident_at`` (one hour of history before it is observable). Between events the system
sits near a steady state, so telemetry is computed on demand from the version in force at an
instant (``at(t)``) plus counter-based noise, never by ticking components.
"""

from __future__ import annotations

import bisect
import copy
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .physics.flow import solve
from .physics.integrate import checkpoint
from .state import State, canonical_hash, to_plain
from .topology import Topology

HISTORY_S = 3600.0
SCRAPE_S = 30  # physics is evaluated on a 30 s grid, like a metrics scrape interval
SNAPSHOT_CACHE = 64  # solved instants kept per world (about 15 KB each), oldest dropped first
MEMO_CACHE = 256  # rendered telemetry pieces kept per world
SHARED_CACHE = 256  # solved or rendered pieces of a shared past kept for all forks of a base
EPOCH = 1_794_900_000  # 2026-11-17T10:40:00Z; scenarios add a seeded offset


@dataclass
class Event:
    t: float
    seq: int
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)

    def __lt__(self, other: Event) -> bool:
        return (self.t, self.seq) < (other.t, other.seq)


@dataclass
class AuditEntry:
    t: float
    agent: str
    action: str
    target: str
    detail: str
    rationale: str


@dataclass
class LogRecord:
    """Something discrete that happened (a restart, an OOM kill, a config change) at ``t``."""

    t: float
    source: str
    kind: str
    text: str


STATE_DICTS = ("services", "releases", "nodes", "flags", "databases", "caches", "topics",
               "providers", "fleet")


def _shallow_state(state: State) -> State:
    """A copy of ``state`` whose collections are new dicts holding the same items."""
    new = copy.copy(state)
    for name in STATE_DICTS:
        setattr(new, name, dict(getattr(state, name)))
    return new


EventHandler = Callable[["World", dict[str, Any]], None]
EVENT_HANDLERS: dict[str, EventHandler] = {}


def on_event(kind: str) -> Callable[[EventHandler], EventHandler]:
    """Register the handler for an event kind (handlers are looked up by name: picklable)."""

    def deco(fn: EventHandler) -> EventHandler:
        EVENT_HANDLERS[kind] = fn
        return fn

    return deco


class World:
    """The simulated production system of one episode."""

    def __init__(self, topology: Topology, seed: int, initial: State, epoch: int) -> None:
        self.topology = topology
        self.seed = seed
        self.epoch = epoch
        self.versions: list[State] = [initial]
        self._since: list[float] = [initial.since]
        self.now = initial.since
        self.incident_at = initial.since + HISTORY_S
        self.events: list[Event] = []
        self._event_seq = 0
        self.audit: list[AuditEntry] = []
        self.records: list[LogRecord] = []
        self._fresh: set[tuple[str, str]] = set()
        self._snap_cache: dict[tuple[int, float, int], Any] = {}
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._mutations = 0  # edits and records: what rendered telemetry depends on
        self._stamps: list[int] = [0]  # per version, the edit count of its last edit
        # what every fork of a frozen base world (see ``share_past``) may reuse
        self._shared: dict[tuple[Any, ...], Any] = {}
        self._shared_upto = -1  # snapshots of versions last edited up to this count
        self._shared_before = 0  # rendered pieces of versions older than this index
        self._pod_plans: dict[tuple[int, int, int], Any] = {}  # the solver's, per version

    # -- time-travel -------------------------------------------------------------------
    @property
    def head(self) -> State:
        return self.versions[-1]

    def at(self, t: float) -> State:
        """The state version in force at simulated time ``t``."""
        i = bisect.bisect_right(self._since, t) - 1
        return self.versions[max(i, 0)]

    def version_index(self, t: float) -> int:
        return max(bisect.bisect_right(self._since, t) - 1, 0)

    # -- editing (copy on write) ---------------------------------------------------------
    def edit(self) -> State:
        """The head state, made a fresh version at ``now`` if it is not already."""
        head = self.versions[-1]
        self._mutations += 1
        if head.since == self.now:
            self._stamps[-1] = self._mutations
            return head
        new = _shallow_state(head)  # a version boundary freezes integrators (checkpoint)
        new.since = self.now
        new.seq = head.seq + 1
        self._fresh = set()
        checkpoint(self, head, new)
        self.versions.append(new)
        self._since.append(self.now)
        self._stamps.append(self._mutations)
        return new

    def fork(self) -> World:
        """An independent copy for what-if runs (the grader's fast-forwards), far cheaper
        than a deep copy: past versions are immutable and shared, the head is copied
        shallowly, and later edits copy items on write as usual."""
        new = copy.copy(self)
        new.versions = [*self.versions[:-1], _shallow_state(self.versions[-1])]
        new._since = list(self._since)
        new._stamps = list(self._stamps)
        new.events = list(self.events)
        new.audit = list(self.audit)
        new.records = list(self.records)
        new._fresh = set()
        self._fresh = set()  # items both heads share must be copied before either edits them
        new._snap_cache = dict(self._snap_cache)
        new._memo = dict(self._memo)
        new._shared = self._shared  # the one cache of a base's past (copy.copy dropped it)
        new._pod_plans = {}
        return new

    def share_past(self) -> None:
        """Make this world a frozen base: what it has solved and rendered so far is kept in
        a cache shared by all its forks (never edit the base itself afterwards). Sharing is
        sound because past versions are immutable and every later edit carries a higher
        edit count than any the base has seen."""
        self._shared = {("snap", *k): v for k, v in self._snap_cache.items()}
        self._shared.update({("memo", *k): v for k, v in self._memo.items()
                             if k[1] < self.head.seq})
        self._shared_upto = self._mutations
        self._shared_before = len(self.versions) - 1
        self._snap_cache = {}
        self._memo = {}

    def _share(self, key: tuple[Any, ...], value: Any) -> None:
        if len(self._shared) < SHARED_CACHE:
            self._shared[key] = value

    def edit_item(self, collection: str, key: str) -> Any:
        """A private copy of ``head.<collection>[key]`` placed in a fresh version."""
        st = self.edit()
        if (collection, key) in self._fresh:
            return getattr(st, collection)[key]
        items = getattr(st, collection)
        item = copy.deepcopy(items[key])
        items[key] = item
        self._fresh.add((collection, key))
        return item

    def edit_single(self, attr: str) -> Any:
        """A private copy of a single-object field (``edge`` or ``traffic``)."""
        st = self.edit()
        if (attr, "") not in self._fresh:
            setattr(st, attr, copy.deepcopy(getattr(st, attr)))
            self._fresh.add((attr, ""))
        return getattr(st, attr)

    def service(self, name: str) -> Any:
        return self.edit_item("services", name)

    # -- events and the clock ------------------------------------------------------------
    def schedule(self, t: float, kind: str, **payload: Any) -> None:
        self._event_seq += 1
        heapq.heappush(self.events, Event(t, self._event_seq, kind, payload))

    def advance(self, seconds: float) -> None:
        """Move the clock forward, firing every event that falls due in order."""
        end = self.now + seconds
        while self.events and self.events[0].t <= end:
            ev = heapq.heappop(self.events)
            self.now = max(self.now, ev.t)
            EVENT_HANDLERS[ev.kind](self, ev.payload)
        self.now = end

    def advance_to(self, t: float) -> None:
        if t > self.now:
            self.advance(t - self.now)

    def record(self, source: str, kind: str, text: str, t: float | None = None) -> None:
        self._mutations += 1  # rendered telemetry of the current instant may change
        self.records.append(LogRecord(self.now if t is None else t, source, kind, text))

    def log_audit(self, agent: str, action: str, target: str, detail: str, why: str) -> None:
        self.audit.append(AuditEntry(self.now, agent, action, target, detail, why))

    # -- physics -------------------------------------------------------------------------
    def snapshot(self, t: float | None = None) -> Any:
        """Every component's metrics at ``t`` (default: now) on the scrape grid, cached."""
        t = self.now if t is None else t
        i = self.version_index(t)
        version = self.versions[i]
        t = max(float(int(t) // SCRAPE_S * SCRAPE_S), version.since)
        key = (version.seq, t, self._stamps[i])  # physics reads state, never the records
        shared = self._stamps[i] <= self._shared_upto
        snap = self._shared.get(("snap", *key)) if shared else self._snap_cache.get(key)
        if snap is None:
            snap = solve(self, t)
            if shared:
                self._share(("snap", *key), snap)
            else:
                if len(self._snap_cache) >= SNAPSHOT_CACHE:
                    del self._snap_cache[next(iter(self._snap_cache))]
                self._snap_cache[key] = snap
        return snap

    def memo(self, kind: str, t: float, compute: Callable[[], Any], *extra: Any) -> Any:
        """Cache ``compute()`` for telemetry rendered at ``t`` (valid while history holds)."""
        i = self.version_index(t)
        seq = self.versions[i].seq
        key = (kind, seq, t, self._mutations if seq == self.head.seq else 0, *extra)
        if i < self._shared_before:
            shared_key = ("memo", *key)
            if shared_key not in self._shared:
                value = compute()
                self._share(shared_key, value)
                return value
            return self._shared[shared_key]
        if key not in self._memo:
            if len(self._memo) >= MEMO_CACHE:
                del self._memo[next(iter(self._memo))]
            self._memo[key] = compute()
        return self._memo[key]

    def wallclock(self, t: float) -> int:
        """Unix time for a simulated instant (for rendering)."""
        return self.epoch + int(t)

    # -- identity ------------------------------------------------------------------------
    def state_hash(self) -> str:
        return canonical_hash({
            "now": self.now,
            "head": self.head,
            "since": self._since,
            "events": [to_plain(e) for e in sorted(self.events)],
            "audit": self.audit,
            "records": self.records,
        })

    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["_snap_cache"] = {}
        d["_memo"] = {}
        d["_pod_plans"] = {}
        d["_shared"] = {}  # a copy in another process shares nothing: it keeps its own
        return d
