"""The import pipeline: a raw table in, store-ready records, quarantine rows and a report out.

:func:`run` is the whole pipeline as a list of named stages, each a function of a few dozen lines
over whole columns; :func:`intel.ingest.prepare` calls it after loading the reference data the
profile names (its gazetteer), and :func:`intel.ingest.import_file` writes what it returns. Nothing
here touches the store.

The stages, in the order they run (the order matters: reason codes, raw values and warnings are
kept in the order they are found):

1. :func:`read_rows` -- the rows as read, with their line faults: cells that hold no value
   (spreadsheet errors, formulas never calculated), repeated headers, malformed lines, a total line;
2. :func:`read_ids` -- source record id and incident key;
3. :func:`read_dates` -- a fiscal year and month, dates recovered from weekdays, or parsed dates;
4. :func:`read_country` -- the country of each record (ISO 3166-1 alpha-3);
5. :func:`locate` -- coordinates from a gazetteer place, a point column (WKT, pairs, MGRS, UTM),
   easting/northing, latitude/longitude or a file's geometry; the swap check; location precision;
6. :func:`describe_items` -- category, firearm type, calibre, make, context, serial numbers;
7. :func:`read_counts` -- quantity, firearms, ammunition;
8. :func:`read_markings_and_route` -- releasability markings, direction, the other countries;
9. :func:`decide_outcomes` -- accepted, quarantined or rejected; H3 cells of the binable rows;
10. :func:`events_frame`, :func:`quarantine_frame`, :func:`report_builder` -- the outputs.

Every stage reads and writes the shared :class:`Rows` (the frame, the mapping, the reason masks,
the raw values kept per field, the warnings) and returns its own columns. Reason codes and their
effect are in :mod:`intel.reasons`; the column building blocks in :mod:`intel.columns`.

Layout: :mod:`intel.pipeline.rows` (shared rows, stages 1-2, errors), :mod:`intel.pipeline.when_where`
(stages 3-4), :mod:`intel.pipeline.location` (stage 5), :mod:`intel.pipeline.items` (stages 6-8),
:mod:`intel.pipeline.outcomes` (stages 9-10) and :mod:`intel.pipeline.runner` (:func:`run`). The
stage functions and the names the importer uses are re-exported here.
"""
from __future__ import annotations

from intel.pipeline.rows import (  # noqa: F401
    ImportError_,
    MONTHS,
    NeedsChoice,
    Prepared,
    Rows,
    read_ids,
    read_rows,
    total_rows,
    warn_shared_problems,
    without_cell_issues,
)
from intel.pipeline.when_where import (  # noqa: F401
    fiscal_dates,
    read_country,
    read_dates,
)
from intel.pipeline.location import (  # noqa: F401
    Location,
    convert_grid,
    locate,
    location_like_columns,
    place_code,
)
from intel.pipeline.items import (  # noqa: F401
    DIRECTIONS,
    Items,
    Route,
    describe_items,
    own_marking,
    plain_digits,
    read_counts,
    read_markings_and_route,
    releasability_flags,
)
from intel.pipeline.outcomes import (  # noqa: F401
    Outcomes,
    decide_outcomes,
    events_frame,
    quarantine_frame,
    report_builder,
)
from intel.pipeline.runner import (  # noqa: F401
    run,
)
