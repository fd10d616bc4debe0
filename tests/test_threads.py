"""Slices and threads of intel.threads (hand-computed)."""
from intel import threads


def test_slices_cover_rows_once_in_order(monkeypatch):
    monkeypatch.setattr(threads, "cores", lambda: 3)
    assert threads.slices(10, min_rows=5) == [slice(0, 3), slice(3, 6), slice(6, 10)]
    assert threads.slices(4, min_rows=5) == [slice(0, 4)]
    monkeypatch.setattr(threads, "cores", lambda: 1)
    assert threads.slices(10, min_rows=5) == [slice(0, 10)]


def test_map_threads_keeps_order_and_raises():
    assert threads.map_threads(lambda x: x * x, range(7)) == [0, 1, 4, 9, 16, 25, 36]
    assert threads.map_threads(str, []) == []

    def boom(x):
        if x == 2:
            raise ValueError("two")
        return x

    try:
        threads.map_threads(boom, [1, 2, 3])
    except ValueError as e:
        assert str(e) == "two"
    else:
        raise AssertionError("the exception of a thread must reach the caller")
