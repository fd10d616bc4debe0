"""Column mapping: which column of a file holds each standard field.

Part of ingest (see the README's layout table): :data:`FIELDS` names the standard fields a
column can be mapped onto, with the column names that suggest each one in several languages;
:func:`suggest_mapping` proposes a ``{field: column}`` mapping from a file's column names (and,
where names cannot decide, from its first values). The Import page shows the suggestion for the
analyst to confirm, :func:`intel.ingest.import_file` uses it when no profile is given, and
:mod:`intel.readers` uses it to recognise a header line. It depends only on :mod:`intel.parse`
and :mod:`intel.coords` (value parsers), so the readers can use it without importing the import
path.
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

from intel import coords, parse

FIELDS: dict[str, list[str]] = {
    "source_record_id": ["record_id", "id", "record", "folio", "event_id", "case_id", "case", "caso", "expediente", "numero", "id_registro", "reference", "ref", "n_pv", "no_pv", "numero_pv", "proces_verbal"],
    "incident_key": ["incident_key", "incident", "event", "seizure_id"],
    "event_date": ["seizure_date", "date", "fecha", "data", "datum", "date_saisie", "date_start", "start_date", "fecha_incautacion", "fecha_decomiso", "occ_date", "datum_oduzimanja", "recovery_date"],
    "latitude": ["latitude", "lat", "latitud", "y", "breite", "geo_lat", "sirina", "širina"],
    "longitude": ["longitude", "lon", "lng", "long", "longitud", "x", "laenge", "geo_lon", "duzina", "dužina"],
    "point": ["geometry", "point", "wkt", "geom", "coordenadas", "coordinates", "coords", "coordonnees", "coordenadas_gps",
              "latlon", "lat_lon", "lat_long", "latlng", "lat_lng", "gps", "gps_coordinates", "position", "mgrs",
              "mgrs_ref", "grid", "grid_ref", "grid_reference", "usng", "utm", "carroyage"],
    "easting": ["easting", "utm_easting", "utm_x", "x_utm", "utm_e", "este_utm", "e_utm"],
    "northing": ["northing", "utm_northing", "utm_y", "y_utm", "utm_n", "norte_utm", "n_utm"],
    "utm_zone": ["utm_zone", "zone_utm", "zone", "zona", "zona_utm", "huso", "fuseau"],
    "place": ["place_name", "place", "location", "lugar", "localidad", "ciudad", "city", "town", "ville", "mjesto", "municipio", "locality", "lieu", "localite"],
    "country": ["country", "pais", "país", "pays", "land", "drzava", "država", "country_code", "iso3", "iso2",
                "seizure_country", "recovery_country", "country_of_seizure"],
    "admin1": ["admin1", "adm_1", "adm1", "state", "province", "provincia", "estado", "departamento", "region_admin", "entity"],
    "region": ["region", "región"],
    "place_type": ["place_type", "tipo_lugar", "location_type", "type_lieu"],
    "seizing_agency": ["seizing_agency", "agency", "agencia", "institucion", "institución", "organisme", "agencija"],
    "unit": ["unit", "unidad", "division", "area_of_responsibility"],
    "criminal_context": ["criminal_context", "context", "contexto", "delito", "offence", "offense", "infraction"],
    "firearm_type": ["firearm_type", "type", "tipo", "tipo_arma", "weapon_type", "type_arme", "vrsta", "vrsta_oruzja", "category", "categoria", "type_d_arme", "type_arme_saisie"],
    "make": ["make", "marca", "marque", "manufacturer", "fabricante", "proizvodjac"],
    "model": ["model", "modelo", "modele", "modèle"],
    "calibre": ["calibre", "caliber", "calibro", "kalibar", "kaliber", "cal"],
    "serial_number": ["serial_number", "serial", "serie", "numero_serie", "n_serie", "no_serie", "serijski_broj", "serial_no", "sn", "n_de_serie", "no_de_serie", "numero_de_serie"],
    "other_markings": ["other_markings", "markings", "marcajes", "marquages"],
    "country_of_manufacture": ["country_of_manufacture", "pais_fabricacion", "manufacture_country"],
    "last_legal_import_country": ["last_legal_import_country", "last_import_country", "pais_importacion"],
    "origin_country": ["origin_country", "origin", "origen", "pais_origen", "departure_country", "provenance"],
    "destination_country": ["destination_country", "destination", "destino", "pais_destino"],
    "quantity": ["quantity", "cantidad", "quantite", "quantité", "kolicina", "količina", "qty", "number_of_firearms", "armas", "quantity_seized",
                 "cantidad_armas", "firearms", "n_firearms", "nombre_armes", "quantidade"],
    "ammunition": ["ammunition_rounds", "ammunition", "rounds", "municiones", "cantidad_municiones", "munitions", "municao", "municija"],
    "parts_components": ["parts_components", "parts", "piezas", "pieces"],
    "direction": ["direction", "inbound_outbound", "sentido", "direccion"],
    "transport_mode": ["transport_mode", "mode_of_transportation", "mode", "transporte"],
    "item_description": ["item_description", "description", "descripcion"],
    "kind": ["kind", "event_kind"],
    "notes": ["notes", "notas", "observaciones", "remarks", "comments"],
    "location_name": ["location_name", "neighbourhood", "barrio"],
    "releasability": ["releasability", "rel_to"],
}
"""Standard fields a column can be mapped onto, each with the column names that suggest it."""


def _norm_name(s: str) -> str:
    s = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


_NOISE_SUFFIX = re.compile(r"_(raw|txt|text|orig|original|value|val|str|string|given|as_given|src)$")
_NOISE_PREFIX = re.compile(r"^(recovery|seizure|seized|event|incident|occ|rec|record|reported|fecha_de)_")


def _name_variants(name: str) -> list[str]:
    v = [_norm_name(name)]
    for _ in range(2):
        more = []
        for x in v:
            more += [_NOISE_SUFFIX.sub("", x), _NOISE_PREFIX.sub("", x)]
        v += [m for m in more if m and m not in v]
    return v


def suggest_mapping(columns: list[str], frame: pd.DataFrame | None = None) -> dict[str, str]:
    """Suggest which column holds each standard field, from column names in several languages.

    A column name is compared with each field's synonyms (:data:`FIELDS`) as is, then without
    noise such as a ``_raw`` suffix or a ``recovery_`` prefix (``lat_raw`` -> latitude,
    ``recovery_country`` -> country). Exact matches win over stripped ones.

    With ``frame``, values decide where names cannot: when no coordinate field is suggested and
    the column suggested as a place name (``location``, ``lugar``, ``position``...) holds points
    in at least 80 % of its first 20 values ("lat, lon" pairs, WKT, MGRS, UTM), it is suggested
    as ``point`` instead (a place name column of "12.6392; -8.0029" is a point, not a name).

    Parameters
    ----------
    columns : list of str
        Column names as read.
    frame : pandas.DataFrame, optional
        The rows as read (only the first 20 values of the place column are looked at).

    Returns
    -------
    dict
        ``{field: column}`` for the fields found; a column is used for one field at most.
    """
    syn = {fld: {_norm_name(n) for n in [fld, *names]} for fld, names in FIELDS.items()}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for level in range(3):  # 0: exact name, 1-2: names with noise removed
        for c in columns:
            if c in used or str(c).startswith("__"):
                continue
            variants = _name_variants(c)
            cand = variants[:1] if level == 0 else variants[1:]
            for fld, names in syn.items():
                if fld not in mapping and any(v in names for v in cand):
                    mapping[fld] = c
                    used.add(c)
                    break
    if "latitude" in mapping and "longitude" in mapping:
        mapping.pop("point", None)
    coord_fields = {"latitude", "longitude", "point", "easting", "northing"}
    if frame is not None and "place" in mapping and not coord_fields & set(mapping) \
            and mapping["place"] in frame.columns and _holds_points(frame[mapping["place"]]):
        mapping["point"] = mapping.pop("place")
    return mapping


def _holds_points(col: pd.Series, sample: int = 20) -> bool:
    """Whether at least 80 % of the first ``sample`` non-missing values of ``col`` read as points."""
    v = parse.without_placeholders(col).dropna().head(sample)
    if len(v) == 0:
        return False
    p, _ = coords.split_point_column(v.astype(object))
    return bool(p["form"].notna().mean() >= 0.8)
