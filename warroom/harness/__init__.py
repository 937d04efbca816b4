"""The evaluation harness, in layers.

- ``episode``: one episode, purely: (policy, scenario, seed, reward config) -> trace + result.
- ``policies`` / ``tasks``: build policies and tasks from names, so any process can run them.
- ``batch``: many tasks inline, on a local process pool, or on Ray (same results).
- ``plan`` / ``rundir`` / ``runner``: what a run does, its directory, resumable execution.
- ``metrics`` / ``stats``: per-episode metrics and grouped statistics with Wilson intervals.
- ``report`` / ``report_plots``: the self-contained HTML report and Markdown summary.
- ``bench``: speed and memory figures (``warroom bench``).
"""
