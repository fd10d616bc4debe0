"""The analyses' error type: a statistic that cannot be computed, said in one sentence.

Sits under the analyses (see the README's layout table): :mod:`intel.studyarea`,
:mod:`intel.hotspots`, :mod:`intel.emerging`, :mod:`intel.backtest` and :mod:`intel.risk` raise
:class:`HotspotError` when the data cannot answer (too few events, records too coarse for the
resolution, a study area too large), and pages and CLI verbs show its message as it is. It
imports nothing from ``intel``, so any analysis can raise it without importing another
analysis. :mod:`intel.hotspots` names it too (``intel.hotspots.HotspotError``), as it always has.
"""
from __future__ import annotations


class HotspotError(ValueError):
    """The statistic cannot be computed; the message is one plain sentence for the analyst."""
