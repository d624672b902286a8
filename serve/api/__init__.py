"""The HTTP service (``make serve`` / ``python -m serve api``): FastAPI, demo page, micro-batching.

:func:`serve.api.app.create_app` builds the app from :class:`serve.api.settings.Settings`;
routes live in :mod:`serve.api.routes`, their dependencies in :mod:`serve.api.deps`.
"""
