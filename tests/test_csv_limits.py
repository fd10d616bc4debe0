"""CSV size caps and the one-bad-byte encoding case (issue 19).

Caps: like the XLSX caps, a CSV over the row, column, field or byte limit is refused with one
sentence naming the limit and, for a row or a field, the row. The limits are monkeypatched small
so that hand-built files of a few lines cross them. Before: no CSV cap existed (a 60 MB field
ended in the csv module's traceback on the row-by-row path).

Encoding: a file that is UTF-8 except one stray byte was decoded whole as cp1252, so every valid
name was mangled ("Bogotá" became "BogotÃ¡"). Now it is read as UTF-8, the stray byte becomes
U+FFFD and only its row is held back with ``ENCODING_INVALID``.
"""
from __future__ import annotations

import pytest

from intel import ingest, readers, store
from intel.readers import csvfile

HEAD = "record_id,seizure_date,country,place,firearm_type,quantity\n"


def _write(tmp_path, text: str | bytes, name="f.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def test_row_cap_names_the_row(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "CSV_MAX_ROWS", 3)
    ok = _write(tmp_path, HEAD + "".join(f"R{i},2024-01-0{i},COL,Cali,pistol,1\n" for i in range(1, 4)))
    assert len(readers.read_table(ok).frame) == 3       # exactly at the cap: read
    p = _write(tmp_path, HEAD + "".join(f"R{i},2024-01-0{i},COL,Cali,pistol,1\n" for i in range(1, 5)))
    with pytest.raises(readers.ReadError, match=r"more than 3 records \(row 5 is beyond the limit\), more than the 3 "
                                                r"an import reads; nothing was imported"):
        readers.read_table(p)


def test_column_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "CSV_MAX_COLUMNS", 5)
    p = _write(tmp_path, HEAD + "R1,2024-01-01,COL,Cali,pistol,1\n")
    with pytest.raises(readers.ReadError, match="the header has 6 columns, more than the 5"):
        readers.read_table(p)


def test_ragged_row_over_the_column_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "CSV_MAX_COLUMNS", 7)
    p = _write(tmp_path, HEAD + "R1,2024-01-01,COL,Cali,pistol,1\nR2,2024-01-02,COL,Cali,pistol,1,x,y,z\n")
    with pytest.raises(readers.ReadError, match="row 3 has 9 fields, more than the 7"):
        readers.read_table(p)


@pytest.mark.parametrize("ragged", [False, True])
def test_field_cap_names_column_and_row(tmp_path, monkeypatch, ragged):
    monkeypatch.setattr(csvfile, "CSV_MAX_FIELD_CHARS", 10)
    extra = ",extra" if ragged else ""   # a ragged file takes the row-by-row path
    p = _write(tmp_path, HEAD + "R1,2024-01-01,COL,Cali,pistol,1\n"
                       f"R2,2024-01-02,COL,{'Barranquilla'},pistol,1{extra}\n")
    want = (r"a field of row 3 holds 12 characters" if ragged else
            r"the field of column 'place' in row 3 holds 12 characters")
    with pytest.raises(readers.ReadError, match=want + r", more than the 10 an import reads in one field"):
        readers.read_table(p)


def test_byte_cap(tmp_path, monkeypatch):
    p = _write(tmp_path, HEAD + "R1,2024-01-01,COL,Cali,pistol,1\n")
    monkeypatch.setattr(csvfile, "CSV_MAX_BYTES", p.stat().st_size - 1)
    with pytest.raises(readers.ReadError, match=f"holds {p.stat().st_size} bytes, more than the"):
        readers.read_table(p)


def test_cap_is_one_sentence_in_the_cli(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from intel.cli import main

    monkeypatch.setattr(csvfile, "CSV_MAX_ROWS", 1)
    p = _write(tmp_path, HEAD + "R1,2024-01-01,COL,Cali,pistol,1\nR2,2024-01-02,COL,Cali,pistol,1\n")
    r = CliRunner().invoke(main, ["import", str(p), "--db", str(tmp_path / "s.duckdb")])
    assert r.exit_code == 2 and r.output.startswith("error: import failed, the store is unchanged: f.csv: the file has more than 1 records"), r.output
    assert "Traceback" not in r.output


ONE_BAD = ("record_id,seizure_date,country,place,firearm_type,quantity\n"
           "R1,2024-01-01,COL,Bogotá,pistol,1\n").encode("utf-8") + \
          b"R2,2024-01-02,COL,Cali\xff,pistol,1\n" + "R3,2024-01-03,COL,Medellín,rifle,2\n".encode("utf-8")


def test_one_invalid_byte_does_not_make_the_file_cp1252(tmp_path):
    raw = readers.read_table(_write(tmp_path, ONE_BAD))
    assert raw.encoding == readers.UTF8_REPLACED
    assert list(raw.frame["place"].astype(object)) == ["Bogotá", "Cali\ufffd", "Medellín"]
    assert raw.cell_issues == {"place": {3: "ENCODING_INVALID"}}
    assert any("1 invalid byte sequence" in w for w in raw.warnings)
    assert any("row(s) 3" in w for w in raw.warnings)


def test_a_cp1252_file_is_still_cp1252(tmp_path):
    data = ("record_id,place\nR1,Bogotá\nR2,Medellín\nR3,Córdoba\n").encode("cp1252")
    raw = readers.read_table(_write(tmp_path, data))
    assert raw.encoding == "cp1252" and list(raw.frame["place"].astype(object)) == ["Bogotá", "Medellín", "Córdoba"]


def test_row_with_the_invalid_byte_is_held_back(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    r = ingest.import_file(con, _write(tmp_path, ONE_BAD),
                           {"name": None, "source": "t", "kind": "seizure",
                            "columns": {"source_record_id": "record_id", "event_date": "seizure_date",
                                        "country": "country", "place": "place", "firearm_type": "firearm_type",
                                        "quantity": "quantity"}})
    q = con.execute("SELECT source_record_id, list_contains(reasons, 'ENCODING_INVALID'), raw->>'place' "
                    "FROM quarantine WHERE list_contains(reasons, 'ENCODING_INVALID')").fetchall()
    assert q == [("R2", True, "Cali\ufffd")]
    names = dict(con.execute("SELECT source_record_id, location_name FROM events").fetchall())
    assert names.get("R1") in ("Bogotá", None) and "Ã" not in str(names)
    assert r.rows_read == 3
    con.close()
