"""Uploads live in a private folder only while they are read, and are deleted after (issue 19).

Before: the Import page kept every upload forever, world-readable, in ``<tmp>/intel_uploads``.
The AppTest below imports a file through the page with the upload base in ``tmp_path``, records
the folder's mode each time a reader or the import opens the file, and checks that nothing of
the upload is left afterwards, also when the import fails.
"""
from __future__ import annotations

import os
import stat

import pytest
from streamlit.testing.v1 import AppTest

from intel import ingest, readers, safety, store

CSV = (b"record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
       b"A1,2024-01-05,GHA,5.6037,-0.1870,pistol,2\nA2,2024-01-06,GHA,6.6885,-1.6244,rifle,1\n")


@pytest.fixture()
def page_env(tmp_path, app_env, monkeypatch):
    db = tmp_path / "page.duckdb"
    store.connect(db).close()
    app_env(db)
    base = tmp_path / "uploads"
    monkeypatch.setenv(safety.UPLOAD_DIR_ENV, str(base))
    seen = []

    def spy(fn):
        def wrapped(*a, **k):
            path = next(x for x in list(a) + list(k.values()) if hasattr(x, "parent") and hasattr(x, "suffix"))
            seen.append((fn.__name__, path.exists(), stat.S_IMODE(os.stat(path.parent).st_mode),
                         stat.S_IMODE(os.stat(path).st_mode), path.read_bytes() == CSV))
            return fn(*a, **k)
        return wrapped
    monkeypatch.setattr(readers, "read_table", spy(readers.read_table))
    monkeypatch.setattr(ingest, "import_file", spy(ingest.import_file))
    return db, base, seen


def test_upload_is_private_while_read_and_gone_after_import(page_env):
    db, base, seen = page_env
    at = AppTest.from_file("../pages/import_file.py", default_timeout=60)
    at.session_state["_test_upload"] = ("seizures.csv", CSV)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert list(base.iterdir()) == []           # read for the preview, then deleted
    at.button(key="imp_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(m.label == "Accepted" and m.value == "2" for m in at.metric)
    assert {s[0] for s in seen} >= {"read_table", "import_file"}
    # every time the file was opened: it existed, in a 0700 folder, as a 0600 file with the bytes sent
    assert all(s[1:] == (True, 0o700, 0o600, True) for s in seen), seen
    assert stat.S_IMODE(os.stat(base).st_mode) == 0o700
    assert list(base.iterdir()) == []           # nothing of the upload remains


def test_upload_deleted_when_the_reader_fails(tmp_path, monkeypatch):
    monkeypatch.setenv(safety.UPLOAD_DIR_ENV, str(tmp_path / "u"))
    with pytest.raises(RuntimeError):
        with safety.private_upload("../../x.csv", b"a,b\n1,2\n") as p:
            assert p.parent.parent == tmp_path / "u" and p.name == "x.csv"
            raise RuntimeError("reader failed")
    assert list((tmp_path / "u").iterdir()) == []


def test_upload_base_refuses_a_link(tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv(safety.UPLOAD_DIR_ENV, str(tmp_path / "link"))
    with pytest.raises(PermissionError, match="not a private folder"):
        safety.upload_base()
    os.chmod(tmp_path / "elsewhere", 0o755)
    monkeypatch.setenv(safety.UPLOAD_DIR_ENV, str(tmp_path / "elsewhere"))
    assert stat.S_IMODE(os.stat(safety.upload_base()).st_mode) == 0o700   # narrowed
