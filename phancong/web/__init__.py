"""The agency portal: server-rendered pages, a JSON API and exports (FastAPI + Jinja2).

Build it with :func:`phancong.web.app.create_app` on a wiring (:mod:`phancong.bootstrap`);
the portal addresses that emails carry are made by :mod:`phancong.services.links`.
"""
