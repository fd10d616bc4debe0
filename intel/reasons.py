"""The reason codes of the importer: what each means and what it does to a row.

Every rule of the import pipeline (:mod:`intel.pipeline`) that finds a problem with a row adds a
reason code to it. The code decides the row's outcome (see "Outcomes" in :mod:`intel.ingest`):

* a code in :data:`REJECT` rejects the row (listed in the quarantine, not stored as a record);
* a code in :data:`QUARANTINE` holds it back (stored as ``quarantined``, listed in the quarantine);
* a code in neither is a flag kept on the accepted record (``CALIBRE_ASSUMED``, ``DATE_DERIVED``...).

:data:`LOCATION_REASONS` are the codes about the location: a row with one of them loses its
coordinates, and a row held back for those alone is stored as ``unlocated`` (still counted by
country and date). :data:`REASON_TEXT` is the plain sentence shown beside each code.
"""
from __future__ import annotations

REJECT = {"LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE", "INVALID_DMS", "REPEATED_HEADER", "MALFORMED_LINE", "INVALID_H3",
          "COORDINATE_UNREADABLE", "TOTAL_ROW"}
"""Codes that reject a row: the value cannot be used at all."""

QUARANTINE = {
    "CELL_ERROR", "FORMULA_NOT_CALCULATED", "MULTIPLE_LOCATIONS", "ENCODING_INVALID",
    "LATLON_SWAP_SUSPECTED", "PROJECTED_COORDINATES", "NULL_ISLAND", "MISSING_LOCATION", "HEMISPHERE_MISSING",
    "DATE_AMBIGUOUS", "DATE_INVALID", "COUNTRY_UNKNOWN", "COUNTRY_AMBIGUOUS", "PLACE_UNKNOWN",
    "PLACE_NOT_LOCATABLE", "COORDINATE_INVALID", "HEMISPHERE_AXIS_MISMATCH",
    "DATE_ORDER_CONFLICT", "DATE_OUT_OF_RANGE", "DATE_UNREADABLE", "RELEASABILITY_UNREADABLE",
    "DATE_NOT_RECOVERED", "DATE_WEEKDAY_CONFLICT",
}
"""Codes that hold a row back until an analyst decides."""

LOCATION_REASONS = {
    "MULTIPLE_LOCATIONS",
    "LATLON_SWAP_SUSPECTED", "PROJECTED_COORDINATES", "NULL_ISLAND", "MISSING_LOCATION", "HEMISPHERE_MISSING",
    "LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE", "INVALID_DMS", "PLACE_UNKNOWN", "PLACE_NOT_LOCATABLE",
    "COORDINATE_INVALID", "COORDINATE_UNREADABLE", "HEMISPHERE_AXIS_MISMATCH",
}
"""Codes about the location: the row's coordinates are cleared."""

REASON_TEXT = {
    "LATLON_SWAP_SUSPECTED": "latitude and longitude look swapped: checked against the declared country's borders "
                             "(25 km tolerance), the point as given is outside it (or out of range) and the swapped "
                             "point is inside it",
    "LAT_OUT_OF_RANGE": "latitude outside -90..90",
    "LON_OUT_OF_RANGE": "longitude outside -180..180",
    "PROJECTED_COORDINATES": "coordinates look projected (metres), not degrees; give the CRS to convert them",
    "NULL_ISLAND": "placeholder location at (0, 0) (Null Island)",
    "MISSING_LOCATION": "no location given",
    "INVALID_DMS": "degrees-minutes-seconds value with minutes or seconds of 60 or more",
    "HEMISPHERE_MISSING": "degrees-minutes-seconds without sign or hemisphere letter",
    "COORDINATE_INVALID": "coordinate text that cannot be read",
    "DATE_AMBIGUOUS": "date order (day-first or month-first) cannot be decided from the file",
    "DATE_INVALID": "date that cannot be read",
    "DATE_SERIAL_AS_TEXT": "Excel date serial stored as text",
    "COUNTRY_UNKNOWN": "country not recognised",
    "COUNTRY_AMBIGUOUS": "country name matches more than one country",
    "PLACE_UNKNOWN": "place name not in the source's gazetteer",
    "PLACE_NOT_LOCATABLE": "the place has no single location (e.g. CBP preclearance stations abroad)",
    "REPEATED_HEADER": "the line repeats the header",
    "MALFORMED_LINE": "the line has the wrong number of fields",
    "CALIBRE_ASSUMED": "calibre completed by assumption (e.g. '9mm' taken as 9x19mm)",
    "CALIBRE_AMBIGUOUS": "calibre matches several cartridges; kept raw",
    "CALIBRE_UNKNOWN": "calibre not in the nomenclature; kept raw",
    "PROBABLE_DUPLICATE": "probably the same seizure as a record of another agency: merged into its incident, left out of sums",
    "RESEIZURE_LEAD": "serial number already seized in another incident: linked as a re-seizure lead, not merged",
    "COORDINATE_UNREADABLE": "coordinate text that cannot be read as degrees",
    "HEMISPHERE_AXIS_MISMATCH": "hemisphere letter of the other axis (e.g. E in a latitude)",
    "DATE_ORDER_CONFLICT": "the file's dates disagree on day-first or month-first",
    "DATE_OUT_OF_RANGE": "date outside the plausible range (1990-2035 for Excel serials)",
    "DATE_UNREADABLE": "date text that cannot be read",
    "DATE_TWO_DIGIT_YEAR": "two-digit year completed",
    "SERIAL_NUMERIC_IN_SOURCE": "serial number stored as a number in the source (leading zeros may be lost)",
    "SERIAL_SCIENTIFIC_NOTATION": "serial number mangled into scientific notation by a spreadsheet",
    "FIREARM_TYPE_UNKNOWN": "firearm type not in the nomenclature; kept raw",
    "LOCATION_FROM_GAZETTEER": "located at the gazetteer place",
    "CELL_ERROR": "a cell of the row holds a spreadsheet error (#N/A, #REF!, #DIV/0!...) instead of a value; "
                  "the error text is kept in the raw values",
    "FORMULA_NOT_CALCULATED": "a formula cell was never calculated (no cached value, or the dummy 0 written by the "
                              "tool that made the workbook): its value is unknown; open and save the file in Excel",
    "ENCODING_INVALID": "a cell of the row held bytes that are not UTF-8 in a UTF-8 file; they were replaced by "
                        "\ufffd in the raw values: check the value at the source",
    "MULTIPLE_LOCATIONS": "the geometry holds points of several places (a MultiPoint kilometres wide): not one location",
    "LOCATION_FROM_GEOMETRY": "located at the representative point of an area or line; the location precision is "
                              "its extent, not an exact point",
    "DATE_DERIVED": "date lost by the publisher, recovered from the row's weekday and the rows' date order "
                    "(date precision 'day-derived')",
    "DATE_NOT_RECOVERED": "date lost by the publisher and not recoverable from weekday and row order",
    "DATE_WEEKDAY_CONFLICT": "the recorded date falls on another weekday than the row states",
    "TOTAL_ROW": "a line holding only the column total (not a record)",
    "RELEASABILITY_UNREADABLE": "releasability marking that cannot be read (write e.g. 'REL TO BFA, CIV, MLI' "
                                "or 'UNRESTRICTED'); held back until an analyst decides",
}
"""The plain sentence shown beside each code (report, quarantine, Data quality page)."""
