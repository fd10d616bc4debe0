"""The domain package of the dashboard: everything but the Streamlit pages, by layer.

The README's layout table names every module in its layer; data travels through them in this
order (``../shared/DESIGN.md``):

configuration
    :mod:`intel.config` (paths, H3 resolution ranges per use), :mod:`intel.settings`,
    :mod:`intel.periods` (the period grammar), :mod:`intel.h3cells`, :mod:`intel.geodesy`.
store
    :mod:`intel.store` (schema, migrations, shared SQL), :mod:`intel.queries` (the named queries
    pages need).
ingest
    :mod:`intel.ingest` (the one road in), :mod:`intel.pipeline`, :mod:`intel.mapping`,
    :mod:`intel.readers`, the value parsers, :mod:`intel.reference` (the bundled sources).
analyses
    plain tables and small typed results: :mod:`intel.hexbin`, :mod:`intel.hotspots`,
    :mod:`intel.emerging`, :mod:`intel.trends`, :mod:`intel.borders`, :mod:`intel.corridors`,
    :mod:`intel.links`, :mod:`intel.risk`, :mod:`intel.backtest`.
renderers
    :mod:`intel.render` (palettes, labels, pydeck layers, the offline deck), the PDFs
    (:mod:`intel.briefing`, :mod:`intel.target_package`).
access and command line
    :mod:`intel.auth`, :mod:`intel.sessions`; :mod:`intel.cli`.

Nothing in this package imports Streamlit; the pages (``pages/``) read widgets, call an analysis
and a renderer, and run no SQL.
"""
