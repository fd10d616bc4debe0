"""Releasability markings: the one strict grammar, the effective marking, and the marking text.

Part of :mod:`intel.auth`. :func:`parse_releasability` reads ``REL TO`` followed by ISO 3166-1
alpha-3 codes or named groups of :func:`marking_groups` (``data/marking_groups.toml``),
``NOFORN``, ``UNRESTRICTED``/``PUBLIC`` or nothing; anything else is unreadable. A record's
effective marking is the most restrictive of its own and its batch's
(:func:`effective_releasability`), and :func:`visible_to` is the visibility rule in Python
(fail closed on an unreadable marking). :func:`canonical_marking`, :func:`marking_for` and
:func:`combined_marking` write markings back as text. The grammar is written once as regular
expressions that Python and DuckDB read the same way, so :mod:`intel.auth.visibility` builds the
same rule in SQL.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Mapping

from intel import config
from intel.auth.roles import User


UNRESTRICTED_WORDS = ("UNRESTRICTED", "PUBLIC")
UNRESTRICTED_MARKING = "UNRESTRICTED (public sources)"


# --------------------------------------------------------------------------------------------
# releasability
# --------------------------------------------------------------------------------------------

# The marking grammar, written once as a regular expression that Python (``re``) and DuckDB
# (RE2) read the same way: explicit character classes (no locale, no Unicode case folding),
# the same whitespace class, no flags.
MARKING_WS = r"[ \t\n\r\f]"
MARKING_SEP_RE = MARKING_WS + r"*[,;/]" + MARKING_WS + r"*"
_TOKEN = r"[A-Za-z0-9_]+"
GROUP_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")
NOFORN_MARKING = "NOFORN"
"""Marking of records releasable to no other country: administrators and the account that
imported the batch (its owner) see them."""


def _ci(word: str) -> str:
    """``word`` as a case-insensitive pattern of ASCII classes (``REL`` -> ``[Rr][Ee][Ll]``)."""
    return "".join(f"[{ch.upper()}{ch.lower()}]" if ch.isalpha() else re.escape(ch) for ch in word)


REL_TO_PREFIX = (_ci("REL") + "(?:" + _ci("EASABLE") + ")?" + MARKING_WS + "+" + _ci("TO")
                 + "(?:" + MARKING_WS + "*:" + MARKING_WS + "*|" + MARKING_WS + "+)")
OPEN_MARKING_PATTERN = MARKING_WS + "*(?:" + _ci("UNRESTRICTED") + "|" + _ci("PUBLIC") + ")" + MARKING_WS + "*"
NOFORN_MARKING_PATTERN = MARKING_WS + "*" + _ci("NOFORN") + MARKING_WS + "*"
_SHAPE_RE = re.compile(MARKING_WS + "*" + REL_TO_PREFIX + "(" + _TOKEN + "(?:" + MARKING_SEP_RE + _TOKEN + ")*)"
                       + MARKING_WS + "*")


def _known_iso3() -> set[str]:
    import pycountry

    return {c.alpha_3 for c in pycountry.countries} | {"XKX"}


_GROUPS_CACHE: dict[tuple, dict[str, tuple[str, ...]]] = {}


def marking_groups(path: str | os.PathLike | None = None) -> dict[str, tuple[str, ...]]:
    """Named groups of countries a marking may name after ``REL TO`` (``FVEY``, ``KAFO``).

    Parameters
    ----------
    path : path, optional
        A TOML file with a ``[groups]`` table of ``NAME = ["ISO3", ...]``; default
        :data:`intel.config.MARKING_GROUPS_FILE` (``data/marking_groups.toml``). A missing
        file gives no groups (then ``REL TO FVEY`` is unreadable, never guessed).

    Returns
    -------
    dict of str to tuple of str
        Group name -> sorted distinct ISO 3166-1 alpha-3 codes.

    Raises
    ------
    ValueError
        A group name that is not 2-16 capital letters, digits or ``_``, that is itself a
        country code, or a group with no member or a member that is not a known country code.
    """
    p = Path(path) if path is not None else config.MARKING_GROUPS_FILE
    try:
        stamp = (str(p), p.stat().st_mtime_ns)
    except OSError:
        return {}
    if stamp in _GROUPS_CACHE:
        return _GROUPS_CACHE[stamp]
    import tomllib

    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"The marking groups file {p} cannot be read: {e}") from None
    known = _known_iso3()
    out: dict[str, tuple[str, ...]] = {}
    for name, members in (doc.get("groups") or {}).items():
        if not GROUP_NAME_RE.match(str(name)) or name in known:
            raise ValueError(f"Marking groups file {p}: {name!r} cannot be a group name (2 to 16 capital letters, "
                             "digits or '_', and not a country code).")
        if isinstance(members, str):
            members = [m for m in re.split(MARKING_SEP_RE, members.strip()) if m]
        codes = [str(m).strip().upper() for m in members or []]
        bad = [c for c in codes if c not in known]
        if not codes or bad:
            raise ValueError(f"Marking groups file {p}: group {name} must list ISO 3166-1 alpha-3 country codes"
                             + (f" ({', '.join(bad)} is not one)." if bad else "."))
        out[name] = tuple(sorted(set(codes)))
    _GROUPS_CACHE[stamp] = out
    return out


def marking_pattern(groups: Mapping[str, tuple[str, ...]]) -> str:
    """The whole grammar of a ``REL TO`` marking with its tokens restricted to known codes and
    group names (the same text for :mod:`re` and for DuckDB's RE2)."""
    names = sorted(_known_iso3() | set(groups), key=lambda s: (-len(s), s))   # longest first
    alt = "(?:" + "|".join(_ci(n) for n in names) + ")"
    return MARKING_WS + "*" + REL_TO_PREFIX + alt + "(?:" + MARKING_SEP_RE + alt + ")*" + MARKING_WS + "*"


def parse_releasability(text, groups: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...] | None:
    """Countries a marking releases to, by one strict grammar.

    The grammar (case does not matter; spaces, tabs and line breaks around the parts)::

        marking  = "" | "UNRESTRICTED" | "PUBLIC" | "NOFORN" | rel
        rel      = ("REL" | "RELEASABLE") "TO" [":"] item (sep item)*
        sep      = "," | ";" | "/"
        item     = ISO 3166-1 alpha-3 code (or XKX) | group name of marking_groups()

    Anything else is unreadable: prose (``REL TO USA AND GBR`` is not Andorra, ``USA ARE GBR``
    not the United Arab Emirates), codes without ``REL TO``, codes separated by spaces only,
    an empty item (``REL TO BFA,``), a classification or caveat word (``SECRET``,
    ``REL TO CIV; NOFORN``) and a marking of only spaces (unreadable, never unrestricted).

    Parameters
    ----------
    text : str or None
        The marking as written.
    groups : mapping, optional
        Group name -> countries; default :func:`marking_groups`.

    Returns
    -------
    tuple of str or None
        Sorted distinct ISO3 codes with groups expanded, e.g. ``('BFA', 'CIV', 'MLI')`` for
        ``REL TO KAFO``; ``()`` for ``NOFORN`` (releasable to no other country); ``None`` for
        no marking (``None``, NaN, ``''``), ``UNRESTRICTED`` or ``PUBLIC`` (everyone).

    Raises
    ------
    ValueError
        An unreadable marking, with a plain sentence saying how to write one.
    """
    if text is None:
        return None
    if isinstance(text, float) and text != text:  # NaN from pandas
        return None
    s = str(text)
    if s == "" or re.fullmatch(OPEN_MARKING_PATTERN, s):
        return None
    if re.fullmatch(NOFORN_MARKING_PATTERN, s):
        return ()
    if re.fullmatch(MARKING_WS + "+", s) or not s.strip():
        raise ValueError(f"Releasability {text!r} is only spaces: it cannot be read (leave the cell empty for no "
                         "marking, or write e.g. 'REL TO BFA, CIV, MLI').")
    groups = marking_groups() if groups is None else groups
    m = _SHAPE_RE.fullmatch(s)
    if not m:
        raise ValueError(f"Releasability {text!r} is not readable: write 'REL TO' followed by ISO3 country codes or "
                         "group names separated by commas, semicolons or slashes (e.g. 'REL TO BFA, CIV, MLI' or "
                         "'REL TO FVEY'), 'NOFORN' or 'UNRESTRICTED'.")
    tokens = [t.upper() for t in re.split(MARKING_SEP_RE, m.group(1))]
    known = _known_iso3()
    bad = [t for t in tokens if t not in known and t not in groups]
    if bad:
        raise ValueError(f"Releasability {text!r} is not readable: {', '.join(dict.fromkeys(bad))} is neither an "
                         "ISO 3166-1 alpha-3 country code nor a group of the marking groups file"
                         + (f" ({', '.join(sorted(groups))})." if groups else "."))
    out: set[str] = set()
    for t in tokens:
        out.update(groups.get(t, (t,)))
    return tuple(sorted(out))


def effective_releasability(own, batch, groups: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...] | None:
    """The most restrictive of a record's own marking and its batch's.

    A record can never widen its batch's marking: the countries that may see it are those
    both markings release to (an unrestricted or absent marking releases to everyone).

    Parameters
    ----------
    own, batch : str or None
        Marking texts (:func:`parse_releasability`).

    Returns
    -------
    tuple of str or None
        ``None`` when both are unrestricted or absent; else the sorted intersection, ``()``
        (releasable to no other country, as ``NOFORN``) when it is empty.

    Raises
    ------
    ValueError
        When either marking is unreadable (the record is then for administrators only).
    """
    o = parse_releasability(own, groups)
    b = parse_releasability(batch, groups)
    if o is None:
        return b
    if b is None:
        return o
    return tuple(sorted(set(o) & set(b)))


def visible_to(user: User, own, batch=None, owner: str | None = None,
               groups: Mapping[str, tuple[str, ...]] | None = None) -> bool:
    """Whether ``user`` may see a record marked ``own`` in a batch marked ``batch`` imported by ``owner``.

    Administrators see everything; an unreadable marking is for administrators only; an
    unrestricted effective marking is for everyone; ``REL TO`` countries for users of those
    countries; an effective marking releasable to no country (``NOFORN``, or two markings with
    no country in common) for the account that imported the batch. :func:`visible_sql` is the
    same rule in SQL.
    """
    if user.role == "admin":
        return True
    try:
        rels = effective_releasability(own, batch, groups)
    except ValueError:
        return False
    if rels is None:
        return True
    if not rels:
        return owner is not None and owner == user.name
    return user.country_iso3 is not None and user.country_iso3 in rels


def canonical_marking(text, groups: Mapping[str, tuple[str, ...]] | None = None) -> str | None:
    """The marking to store for a batch: ``None`` for no marking or unrestricted, else
    :func:`marking_for` of the parsed countries (groups expanded, ``NOFORN`` kept).

    Raises
    ------
    ValueError
        An unreadable marking.
    """
    rels = parse_releasability(text, groups)
    return None if rels is None else marking_for(rels)


def marking_for(rels) -> str:
    """The marking line for one releasability.

    Parameters
    ----------
    rels : tuple of str, str or None
        Parsed countries (``()`` for ``NOFORN``), raw marking text, or ``None``.

    Returns
    -------
    str
        ``'REL TO BFA, CIV, MLI'``, ``'NOFORN'`` or ``'UNRESTRICTED (public sources)'``.
    """
    if isinstance(rels, str) or rels is None:
        rels = parse_releasability(rels)
    if rels is None:
        return UNRESTRICTED_MARKING
    if not rels:
        return NOFORN_MARKING
    return "REL TO " + ", ".join(sorted(set(rels)))


def combine_markings(rels_list: Iterable, unreadable: bool) -> str:
    common: set[str] | None = None
    noforn = False
    for rels in rels_list:
        if rels is None:
            continue
        noforn = noforn or not rels
        common = set(rels) if common is None else common & set(rels)
    if unreadable:
        return "NOT RELEASABLE: contains records with an unreadable releasability marking"
    if common is None:
        return UNRESTRICTED_MARKING
    if not common:
        if noforn:
            return NOFORN_MARKING
        return "NOT RELEASABLE: records with different releasability (no country may see all of them)"
    return marking_for(tuple(common))


def combined_marking(markings: Iterable) -> str:
    """The most restrictive marking of a set of records (for an export that mixes them).

    The countries that may see *every* record are the intersection of the restricted
    markings. Unreadable markings make the set ``NOT RELEASABLE`` beyond administrators.

    Parameters
    ----------
    markings : iterable of str or None
        Effective releasability of each record (raw text).

    Returns
    -------
    str
        ``'UNRESTRICTED (public sources)'`` when every record is unrestricted,
        ``'REL TO ...'`` for the common countries, ``'NOFORN'`` when a ``NOFORN`` record
        leaves no country, or ``'NOT RELEASABLE: ...'`` when no country may see all of them.
    """
    parsed, unreadable = [], False
    for m in markings:
        try:
            parsed.append(parse_releasability(m))
        except ValueError:
            unreadable = True
    return combine_markings(parsed, unreadable)
