"""Communication: a status update posted, and the right team paged where it is required.

Paging the owning team is always fine; paging a team with no part in the incident costs
``spam_page_cost`` each (paging everyone is noise, not communication). Repeating an update
or a page earns nothing more.
"""

from __future__ import annotations

from .configs import RewardConfig
from .groundtruth import GroundTruth
from .ledger import Ledger
from .rubric import Node, leaf, mean, not_applicable


def paged(ledger: Ledger) -> list[str]:
    return [a.target for a in ledger.actions if a.tool == "page_team" and a.target]


def grade(gt: GroundTruth, ledger: Ledger, cfg: RewardConfig) -> Node:
    updates = sum(a.tool == "post_update" for a in ledger.actions)
    teams = paged(ledger)
    spam = sorted({t for t in teams if t not in gt.owner_teams | gt.page_teams})
    children = [leaf("update", 1.0 if updates else 0.0, f"{updates} update(s) posted")]
    if gt.page_teams:
        got = sorted(gt.page_teams & set(teams))
        children.append(leaf("page", len(got) / len(gt.page_teams),
                             f"paged {', '.join(got) or 'nobody'} of "
                             f"{', '.join(sorted(gt.page_teams))}"))
    else:
        children.append(not_applicable("page", "no team must be paged"))
    node = mean("communication", children)
    if spam:
        node.score = max(0.0, node.score - cfg.spam_page_cost * len(spam))
        node.note = f"paged uninvolved team(s): {', '.join(spam)}"
    return node
