"""``warroom serve web``: the leaderboard, episode replays and live incidents in a browser.

Server-rendered pages (Starlette + Jinja2) with SVG charts drawn here and one small
JavaScript file; no asset comes from the network. Needs the ``web`` extra; nothing in the
core imports this package.
"""
