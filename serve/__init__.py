"""Using a trained model, one sub-package per job: the HTTP service (:mod:`serve.api`), batch
scoring of article dumps (:mod:`serve.batch`) and the benchmark (:mod:`serve.bench`), all
behind ``python -m serve api|score|bench`` (:mod:`serve.cli`)."""
