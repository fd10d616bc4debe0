"""The DuckDB extensions the store loads, found offline in their Python wheels.

Part of :mod:`intel.store`. The spatial extension (every connection) and the DuckLake, SQLite and
PostgreSQL scanner extensions (a DuckLake store) are shipped as ``duckdb-extension-*`` wheels;
they are LOADed from the wheel's folder for the installed DuckDB version, never INSTALLed (that
needs the network). A missing wheel is a :class:`FileNotFoundError` naming the package to install.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import duckdb_extension_spatial


def spatial_extension_path() -> str:
    """Path of the DuckDB spatial extension shipped by the ``duckdb-extension-spatial`` wheel.

    Returns
    -------
    str
        Absolute path of ``spatial.duckdb_extension`` for the installed DuckDB version.

    Raises
    ------
    FileNotFoundError
        When the wheel is missing or was built for another DuckDB version.
    """
    base = Path(duckdb_extension_spatial.__file__).resolve().parent / "extensions"
    path = base / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
    if not path.exists():
        raise FileNotFoundError(
            f"DuckDB spatial extension for DuckDB {duckdb.__version__} not found under {base}; "
            "install duckdb-extension-spatial with the same version as duckdb"
        )
    return str(path)


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Load the offline spatial extension into ``con`` (no network, no ``INSTALL``)."""
    con.execute(f"LOAD '{spatial_extension_path()}'")


_EXTENSION_WHEELS = {
    "ducklake": ("duckdb_extension_ducklake", "duckdb-extension-ducklake"),
    "sqlite_scanner": ("duckdb_extension_sqlite_scanner", "duckdb-extension-sqlite-scanner"),
    "postgres_scanner": ("duckdb_extension_postgres_scanner", "duckdb-extension-postgres-scanner"),
}


def extension_path(name: str) -> str:
    """Path of the DuckDB extension ``name`` shipped by its ``duckdb-extension-*`` wheel.

    Found as :func:`spatial_extension_path` finds the spatial one: ``extensions/v<duckdb
    version>/<name>.duckdb_extension`` inside the wheel's package (``INSTALL`` needs the network).

    Parameters
    ----------
    name : str
        ``"ducklake"``, ``"sqlite_scanner"`` or ``"postgres_scanner"``.

    Raises
    ------
    FileNotFoundError
        The wheel is not installed, or was built for another DuckDB version; the message names
        the package to install.
    """
    import importlib

    module, package = _EXTENSION_WHEELS[name]
    hint = f"install {package}=={duckdb.__version__} (the same version as duckdb)"
    try:
        mod = importlib.import_module(module)
    except ImportError:
        raise FileNotFoundError(f"the DuckDB extension {name} is not installed; {hint}") from None
    base = Path(mod.__file__).resolve().parent / "extensions"
    path = base / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        raise FileNotFoundError(f"DuckDB extension {name} for DuckDB {duckdb.__version__} not found under {base}; {hint}")
    return str(path)
