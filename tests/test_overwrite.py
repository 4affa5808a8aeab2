"""Saving over an index never loses it: atomic replacement, recovery after a kill, readers never see a mix."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from spasmqa import QA

Q = "what causes lower back spasms"


@pytest.fixture(scope="module")
def two():
    return QA.from_corpus(), QA.from_corpus(weighting="bm25")


def _key(qa):
    return [(p.id, round(p.score, 9)) for p in qa.ask(Q)]


def test_overwrite_only_replaces_an_index(tmp_path, two):
    a, _ = two
    (tmp_path / "file.txt").write_text("precious")
    with pytest.raises(FileExistsError):
        a.save(tmp_path / "file.txt", overwrite=True)
    assert (tmp_path / "file.txt").read_text() == "precious"
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"format": "not-spasmqa"}))
    (other / "data.csv").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a spasmqa index"):
        a.save(other, overwrite=True)
    assert (other / "data.csv").read_text() == "keep me"


def test_readers_see_old_or_new_never_a_mix(tmp_path, two):
    a, b = two
    path = tmp_path / "idx"
    a.save(path)
    want = {str(_key(a)), str(_key(b))}
    errors, seen = [], []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.append(str(_key(QA.load(path))))
            except Exception as exc:  # any failure is the finding
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 6
    flips = 0
    while time.monotonic() < deadline:
        (b if flips % 2 == 0 else a).save(path, overwrite=True)
        flips += 1
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert seen and set(seen) <= want
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # no leftovers


def test_a_killed_save_never_loses_the_index(tmp_path, two):
    a, b = two
    path = tmp_path / "idx"
    a.save(path)
    want = {str(_key(a)), str(_key(b))}
    code = textwrap.dedent(f"""
        import spasmqa
        qa = spasmqa.QA.from_corpus(weighting="bm25")
        print("ready", flush=True)
        while True:
            qa.save({str(path)!r}, overwrite=True)
    """)
    rng = random.Random(7)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        loaded = QA.load(path)  # recovers a copy moved aside, cleans leftovers of the dead process
        assert str(_key(loaded)) in want
    a.save(path, overwrite=True)  # the next save cleans whatever is left
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []
