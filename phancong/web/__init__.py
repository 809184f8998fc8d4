"""The agency portal: server-rendered pages, a JSON API and exports (FastAPI + Jinja2).

Build it with :func:`phancong.web.app.create_app`; :mod:`phancong.web.links` (no FastAPI needed)
makes the portal addresses that emails carry.
"""
