"""Batch scoring (``make score`` / ``python -m serve score``): tag a dump of articles into JSONL.

:mod:`serve.batch.run` reads the inputs (:mod:`model.inputs`), skips what an earlier run did,
and writes results and errors through :mod:`serve.batch.logs`; the documents are tagged by an
engine behind one interface (:data:`serve.batch.engines.Engine`): the local one
(:func:`serve.batch.engines.local_engine`) or Ray Data (:mod:`serve.batch.ray_engine`).
:mod:`serve.batch.chrome` blanks page chrome (share buttons, menus) before tagging;
:mod:`serve.batch.published` reads each record's publication date, and
:mod:`serve.batch.events` writes the events CSV (``--events``) from the results.
"""
