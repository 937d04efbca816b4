"""Team incidents over MCP: one client per role joins the same team episode.

``start_team_incident(scenario, seed)`` opens a ``TeamEpisode`` and returns its
``episode_id``; ``join_incident(episode_id, role)`` returns a ``seat_id`` for that role
(one seat per role; a person and agents can share an incident, each holding a seat). A
seat id goes wherever the other tools take an ``episode_id``: the call acts as the seat's
role, only on that role's turn (out of turn it is refused and nothing happens), and its
answer is what the role sees since its last turn (own output and chat). ``say`` and
``stand_by`` are tools here too. Framework-free like ``mcp_tools``: pass an instance to
``mcp_server.build_server`` to serve it.
"""

from __future__ import annotations

import copy
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import warroom

from ..env.roles import ROLES, team_schemas
from ..env.team import TeamEpisode
from ..types import ToolCall
from .episodes import EpisodeError, EpisodeStore, choose_scenario
from .mcp_tools import _EPISODE_ID, CallOutcome, IncidentTools

START_TEAM, JOIN = "start_team_incident", "join_incident"


@dataclass
class Room:
    """One team episode and its seats (role -> seat id)."""

    id: str
    team: TeamEpisode
    seats: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _team_definitions() -> list[dict[str, Any]]:
    flags = {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False,
             "openWorldHint": False}
    start = {"name": START_TEAM, "title": "Start team incident",
             "description": "Open a team incident (roles sre, oversight, developer, "
                            "commander) and get its episode_id for join_incident.",
             "inputSchema": {"type": "object", "additionalProperties": False, "required": [],
                             "properties": {"scenario": {"type": "string",
                                                         "description": "Scenario id."},
                                            "seed": {"type": "integer", "minimum": 0,
                                                     "description": "World seed."}}},
             "annotations": flags}
    join = {"name": JOIN, "title": "Join incident",
            "description": "Take a role in a team incident; returns the seat_id to pass as "
                           "episode_id to every tool you call as that role.",
            "inputSchema": {"type": "object", "additionalProperties": False,
                            "required": ["episode_id", "role"],
                            "properties": {"episode_id": _EPISODE_ID,
                                           "role": {"type": "string",
                                                    "enum": list(ROLES)}}},
            "annotations": flags}
    out = [start, join]
    for schema in team_schemas(list(ROLES)):
        fn = schema["function"]
        params = copy.deepcopy(fn["parameters"])
        params["properties"] = {"episode_id": _EPISODE_ID, **params["properties"]}
        params["required"] = ["episode_id", *params["required"]]
        out.append({"name": fn["name"], "title": fn["name"].replace("_", " ").capitalize(),
                    "description": fn["description"], "inputSchema": params,
                    "annotations": flags})
    return out


class TeamIncidentTools(IncidentTools):
    """``IncidentTools`` plus team incidents with one seat per role."""

    def __init__(self, store: EpisodeStore | None = None) -> None:
        super().__init__(store)
        self.definitions = self.definitions + _team_definitions()
        self.names = frozenset(d["name"] for d in self.definitions)
        self.slow = self.slow | {START_TEAM}
        self.rooms: dict[str, Room] = {}
        self.seats: dict[str, tuple[Room, str]] = {}
        self._lock = threading.Lock()

    def call(self, name: str, arguments: dict[str, Any] | None) -> CallOutcome:
        args = dict(arguments or {})
        try:
            if name == START_TEAM:
                return self._start_team(args)
            if name == JOIN:
                return self._join(args)
            seat = args.get("episode_id")
            if isinstance(seat, str) and seat in self.seats:
                args.pop("episode_id")
                return self._act(seat, name, args)
            if name in ("say", "stand_by"):
                raise EpisodeError(f"{name} needs a seat_id from join_incident as episode_id")
        except EpisodeError as exc:
            return CallOutcome(f"ERROR: {exc}", {"ok": False, "error": str(exc)}, True)
        return super().call(name, args)

    def _start_team(self, args: dict[str, Any]) -> CallOutcome:
        scenario, seed = args.get("scenario"), args.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise EpisodeError(f"{START_TEAM}: seed must be an integer, got {seed!r}")
        try:
            team = warroom.make_team(choose_scenario(scenario, seed))
        except KeyError as exc:
            raise EpisodeError(str(exc.args[0]) if exc.args else str(exc)) from None
        team.reset(seed)
        room = Room(secrets.token_urlsafe(16), team)
        with self._lock:
            self.rooms[room.id] = room
        return CallOutcome(f"episode_id: {room.id}\nroles: {', '.join(team.order)}; join one "
                           f"with join_incident", {"episode_id": room.id,
                                                   "roles": list(team.order)})

    def _join(self, args: dict[str, Any]) -> CallOutcome:
        room = self.rooms.get(args.get("episode_id"))  # type: ignore[arg-type]
        role = args.get("role")
        if room is None:
            raise EpisodeError("no open team incident with that episode_id; start one with "
                               f"{START_TEAM}")
        if role not in room.team.roles:
            raise EpisodeError(f"role must be one of {', '.join(room.team.roles)}")
        with self._lock:
            if role in room.seats:
                raise EpisodeError(f"the {role} seat is taken")
            seat = secrets.token_urlsafe(16)
            room.seats[role] = seat
            self.seats[seat] = (room, str(role))
        tools = [t["function"]["name"] for t in room.team.tools_for(str(role))]
        return CallOutcome(f"seat_id: {seat} ({role})\n\n{room.team.unread(str(role))}",
                           {"seat_id": seat, "role": role, "tools": tools,
                            "current_role": room.team.current_role})

    def _act(self, seat: str, name: str, args: dict[str, Any]) -> CallOutcome:
        room, role = self.seats[seat]
        team = room.team
        with room.lock:
            if team.done:
                raise EpisodeError("the team incident is over")
            if team.current_role != role:
                raise EpisodeError(f"not your turn: it is {team.current_role}'s turn")
            res = team.step(ToolCall(name, args))
            text = team.unread(role) or res.observation.text
        data = {"role": role, "ok": res.observation.ok, "done": res.done,
                "truncated": res.truncated, "next_role": res.info.get("next_role")}
        if team.done:
            data["result"] = team.result
        return CallOutcome(text, data, not res.observation.ok)
