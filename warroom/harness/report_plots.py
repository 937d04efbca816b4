"""The report's figures, drawn with matplotlib (the ``report`` extra) as base64 PNG URIs.

Each function takes summary groups or metric rows and returns a ``data:image/png`` URI,
or None when there is nothing to draw.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from .stats import TIER_ORDER


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    _plt().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def heatmap(groups: list[dict[str, Any]], policies: list[str]) -> str | None:
    """Success rate by family (rows) and policy (columns)."""
    families = sorted({g["family"] for g in groups if g.get("family")})
    if not families or not policies:
        return None
    cell = {(g["family"], g["policy"]): g for g in groups}
    plt = _plt()
    grid = [[(cell[(f, p)]["success_rate"] if (f, p) in cell else float("nan"))
             for p in policies] for f in families]
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(policies), 0.9 + 0.42 * len(families)))
    im = ax.imshow(grid, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(len(policies)), policies, rotation=20, ha="right")
    ax.set_yticks(range(len(families)), families)
    for i, f in enumerate(families):
        for j, p in enumerate(policies):
            g = cell.get((f, p))
            if g:
                ax.text(j, i, f"{g['success_rate']:.0%}\nn={g['n']}", ha="center", va="center",
                        fontsize=8)
    fig.colorbar(im, ax=ax, label="success rate")
    ax.set_title("Success by fault family and policy")
    return _uri(fig)


def tier_bars(groups: list[dict[str, Any]], policies: list[str]) -> str | None:
    """Success rate per tier for each policy, with 95% Wilson intervals."""
    tiers = sorted({g["tier"] for g in groups if g.get("tier")},
                   key=lambda t: TIER_ORDER.get(t, 9))
    if not tiers or not policies:
        return None
    cell = {(g["policy"], g["tier"]): g for g in groups}
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.8 + 1.5 * len(tiers), 3.4))
    width = 0.8 / len(policies)
    for k, p in enumerate(policies):
        xs, ys, lo, hi = [], [], [], []
        for i, t in enumerate(tiers):
            g = cell.get((p, t))
            if g is None:
                continue
            xs.append(i + (k - (len(policies) - 1) / 2) * width)
            ys.append(g["success_rate"])
            lo.append(max(0.0, g["success_rate"] - g["success_ci"][0]))
            hi.append(max(0.0, g["success_ci"][1] - g["success_rate"]))
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=p)
    ax.set_xticks(range(len(tiers)), tiers)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("success rate (95% CI)")
    ax.set_title("Success by tier")
    ax.legend(fontsize=8, loc="upper right")
    return _uri(fig)


def score_distribution(rows: list[dict[str, Any]], policies: list[str]) -> str | None:
    """Histogram of episode scores for each policy."""
    if not rows or not policies:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    bins = [i / 20 for i in range(21)]
    for p in policies:
        scores = [r["score"] for r in rows if r["policy"] == p]
        ax.hist(scores, bins=bins, alpha=0.55, label=p)
    ax.set_xlabel("episode score")
    ax.set_ylabel("episodes")
    ax.set_title("Score distribution")
    ax.legend(fontsize=8)
    return _uri(fig)
