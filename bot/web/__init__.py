"""The coordinators' dashboard: a read-only web view of a space, opened by one-time links.

`app.py` routes, `auth.py` links and sessions, `scope.py` who sees what, `panels/` the data of each
section, `charts.py` the images, `render.py` the HTML templates (prompts/<lang>/web/*.html.j2).
"""
