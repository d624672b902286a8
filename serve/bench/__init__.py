"""Benchmark (``make bench`` / ``python -m serve bench``): rasd against the transformers pipeline.

:mod:`serve.bench.run` drives a run, :mod:`serve.bench.engines` times one batch engine in a
child process, :mod:`serve.bench.api_load` loads the served API with concurrent clients, and
:mod:`serve.bench.report` writes BENCHMARKS.md and the chart. The defaults of a run live here
(importing this package is cheap; the command line reads them for its options).
"""

SYNTHETIC = "bert-base"  # CAMeLBERT's shape with random weights, built by the run
BATCH_ENGINES = ("pipeline", "fp32", "int8")
DEFAULT_MODELS = (SYNTHETIC, "models/current")
DEFAULT_CLIENTS = (1, 8, 32)
