"""Sample-quality evaluation: plausibility, distribution distances, novelty, learned features.

``import mcgen.evaluate`` (and :mod:`mcgen.evaluate.metrics`) needs numpy only; the learned
feature net in :mod:`mcgen.evaluate.features` imports torch when it is first used.

Public entry points:
    :func:`evaluate` - the full report (JSON contract, baselines, bootstrap intervals);
    :func:`quick_eval` - cheap metrics for a training run's ``--eval-every`` hook;
    :func:`format_table` - the report as a text table.
"""

from mcgen.evaluate.report import CONTRACT_KEYS, EvaluationError, evaluate, format_table, quick_eval

__all__ = ["CONTRACT_KEYS", "EvaluationError", "evaluate", "format_table", "quick_eval"]
