"""The web console: static pages (static/), how they are served (assets.py), and the local proxy (server.py)."""
