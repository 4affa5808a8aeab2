"""Atomic index replacement, recovery after kills, consistent snapshots, and the readers-writer lock.

Synthetic directories (a manifest.json and two files), so these tests do not
depend on the index format.
"""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import spasmqa
from spasmqa import atomicdir
from spasmqa.atomicdir import _leftovers, is_index_dir, make_temp_dir, recover, replace_directory
from spasmqa.errors import IndexFormatError
from spasmqa.safearrays import ArraySpec, parse_npy
from spasmqa.snapshot import Snapshot, open_snapshot, read_snapshot

FORMAT = "test-index"
is_ours = partial(is_index_dir, format_name=FORMAT)
PKG = str(Path(spasmqa.__file__).parent)


def build(target, gen):
    """A complete synthetic index of generation ``gen`` beside ``target``; returns its temp dir."""
    tmp = make_temp_dir(target)
    files = {"a.txt": (f"generation {gen}\n" * (1 + gen % 50)).encode(), "b.bin": bytes([gen % 256]) * 3000}
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    manifest = {"format": FORMAT, "gen": gen, "files": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}}
    (tmp / "manifest.json").write_text(json.dumps(manifest))
    return tmp


def save(target, gen, durable=False):
    tmp = build(target, gen)
    try:
        replace_directory(tmp, target, is_ours=is_ours, durable=durable)
    finally:
        if tmp.exists():
            import shutil
            shutil.rmtree(tmp)


def load(target):
    """Read a synthetic index through one snapshot and check it is complete and consistent; return its gen."""
    def read(snap):
        manifest = json.loads(snap.read("manifest.json", max_bytes=10_000))
        data = {n: snap.read(n, max_bytes=100_000) for n in manifest["files"]}
        return manifest, data
    manifest, data = read_snapshot(target, read)
    assert manifest["format"] == FORMAT
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(data[name]).hexdigest() == digest, f"{name} is from another save"
    gen = manifest["gen"]
    assert data["a.txt"].startswith(f"generation {gen}\n".encode()) and data["b.bin"][:1] == bytes([gen % 256])
    return gen


@pytest.fixture(params=[True, False], ids=["exchange", "two-renames"])
def mode(request, monkeypatch):
    monkeypatch.setattr(atomicdir, "USE_RENAME_EXCHANGE", request.param)
    return request.param


# ---------------------------------------------------------------- replace_directory

def test_save_new_and_replace(tmp_path, mode):
    target = tmp_path / "idx"
    save(target, 1, durable=True)
    assert load(target) == 1
    save(target, 2, durable=True)
    assert load(target) == 2
    assert _leftovers(target) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


@pytest.mark.parametrize("make", ["file", "plain-dir", "other-manifest", "symlink", "bad-manifest"])
def test_refuses_to_replace_what_is_not_ours(tmp_path, mode, make):
    target = tmp_path / "idx"
    if make == "file":
        target.write_text("precious")
    elif make == "symlink":
        save(tmp_path / "elsewhere", 1)
        target.symlink_to(tmp_path / "elsewhere")
    else:
        target.mkdir()
        (target / "precious.txt").write_text("precious")
        if make == "other-manifest":
            (target / "manifest.json").write_text(json.dumps({"format": "something-else"}))
        elif make == "bad-manifest":
            (target / "manifest.json").write_text("[" * 100_000)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    tmp = build(target, 5)
    with pytest.raises(FileExistsError, match="refusing to replace"):
        replace_directory(tmp, target, is_ours=is_ours)
    assert tmp.is_dir()  # the caller deletes it
    import shutil
    shutil.rmtree(tmp)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_new_dir_must_be_beside_target(tmp_path):
    (tmp_path / "a").mkdir()
    tmp = make_temp_dir(tmp_path / "a" / "x")
    with pytest.raises(ValueError, match="same directory"):
        replace_directory(tmp, tmp_path / "idx", is_ours=is_ours)


def test_failed_second_rename_puts_the_old_index_back(tmp_path, monkeypatch):
    monkeypatch.setattr(atomicdir, "USE_RENAME_EXCHANGE", False)
    target = tmp_path / "idx"
    save(target, 1)
    tmp = build(target, 2)
    real_rename, calls = os.rename, []

    def flaky(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise OSError("disk on fire")
        return real_rename(src, dst)

    monkeypatch.setattr(atomicdir.os, "rename", flaky)
    with pytest.raises(OSError, match="disk on fire"):
        replace_directory(tmp, target, is_ours=is_ours)
    monkeypatch.setattr(atomicdir.os, "rename", real_rename)
    assert load(target) == 1


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_recover_after_a_kill_between_the_two_renames(tmp_path):
    target = tmp_path / "idx"
    save(target, 1)
    pid = _dead_pid()
    aside = tmp_path / f".idx.spasmqa-old-{pid}-abcd1234"
    os.rename(target, aside)                      # killed here: no target
    leftover_tmp = tmp_path / f".idx.spasmqa-tmp-{pid}-0000ffff"
    leftover_tmp.mkdir()
    (leftover_tmp / "half").write_text("x")
    live_tmp = make_temp_dir(target)              # ours, still running: kept
    done = recover(target, is_ours=is_ours)
    assert any("restored" in d for d in done)
    assert load(target) == 1
    assert not leftover_tmp.exists() and live_tmp.exists()
    assert recover(target) == []                  # idempotent


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_recover_sees_through_a_reused_process_id(tmp_path):
    target = tmp_path / "idx"
    save(target, 1)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        reused = tmp_path / f".idx.spasmqa-tmp-{sleeper.pid}-0000aaaa"   # made long before that process started
        reused.mkdir()
        os.utime(reused, (time.time() - 3600, time.time() - 3600))
        parent = tmp_path / f".idx.spasmqa-tmp-{os.getppid()}-0000bbbb"  # a live process older than the dir
        parent.mkdir()
        recover(target)
        assert not reused.exists() and parent.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


CHILD = r"""
import sys, types
pkg = types.ModuleType("spasmqa"); pkg.__path__ = [sys.argv[1]]; sys.modules["spasmqa"] = pkg
sys.path.insert(0, sys.argv[4])
from spasmqa import atomicdir
atomicdir.USE_RENAME_EXCHANGE = sys.argv[3] == "1"
import test_atomicdir_child as t
target = sys.argv[2]
t.save(target, 0)
print("ready", flush=True)
gen = 1
while True:
    t.save(target, gen)
    gen += 1
"""


def test_kill_at_random_moments_always_leaves_a_complete_index(tmp_path):
    helper = tmp_path / "helper"
    helper.mkdir()
    # the child reuses build/save from this file without importing pytest fixtures or the spasmqa package
    src = Path(__file__).read_text()
    (helper / "test_atomicdir_child.py").write_text(
        "import hashlib, json, os, shutil\nfrom functools import partial\nfrom pathlib import Path\n"
        "from spasmqa.atomicdir import is_index_dir, make_temp_dir, replace_directory\n"
        f"FORMAT = {FORMAT!r}\nis_ours = partial(is_index_dir, format_name=FORMAT)\n"
        + src[src.index("def build("):src.index("def load(")])
    rng = random.Random(13)
    target = tmp_path / "idx"
    gens = []
    t_end = time.monotonic() + 6
    runs = 0
    while runs < 4 or (time.monotonic() < t_end and runs < 30):
        exchange = runs % 2 == 0
        child = subprocess.Popen([sys.executable, "-c", CHILD, PKG, str(target), "1" if exchange else "0",
                                  str(helper)], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.08))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        recover(target, is_ours=is_ours)
        gens.append(load(target))                 # complete, consistent, old or new
        assert _leftovers(target) == []
        runs += 1
    assert len(set(gens)) > 1                     # kills landed at different generations


def test_race_reader_never_sees_a_mix_or_a_missing_index(tmp_path, mode):
    target = tmp_path / "idx"
    save(target, 0)
    stop = threading.Event()
    errors, seen = [], []

    def writer():
        gen = 1
        while not stop.is_set():
            save(target, gen)
            gen += 1

    def reader():
        while not stop.is_set():
            try:
                seen.append(load(target))
            except BaseException as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(2.5)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) > 20 and len(set(seen)) > 5


# ---------------------------------------------------------------- snapshots

def test_snapshot_reads_and_refusals(tmp_path):
    target = tmp_path / "idx"
    save(target, 3)
    (target / "link").symlink_to(target / "a.txt")
    os.mkfifo(target / "fifo")
    got = open_snapshot(target, ["manifest.json", "a.txt", "b.bin"], max_bytes={"manifest.json": 1000,
                                                                                "a.txt": 10_000, "b.bin": 10_000},
                        mmap={"b.bin"})
    assert got["a.txt"] == (target / "a.txt").read_bytes() and bytes(got["b.bin"]) == (target / "b.bin").read_bytes()
    with pytest.raises(IndexFormatError, match="manifest.json: is .* bytes, more than the limit of 10"):
        open_snapshot(target, ["manifest.json"], max_bytes=10)
    np.save(target / "c.npy", np.arange(100, dtype=np.int64))
    with Snapshot(target) as snap:
        assert bytes(snap.mmap("b.bin", max_bytes=10_000)) == (target / "b.bin").read_bytes()
        arr = parse_npy(snap.mmap("c.npy", max_bytes=10_000), ArraySpec(np.int64, max_items=100), name="c.npy")
        assert np.array_equal(arr, np.arange(100)) and not arr.flags.writeable
        for bad in ("../idx/a.txt", ".hidden", "a/b", "", ".."):
            with pytest.raises(IndexFormatError, match="not a valid file name"):
                snap.read(bad, max_bytes=100)
        with pytest.raises(IndexFormatError, match="link: is a symbolic link"):
            snap.read("link", max_bytes=100)
        with pytest.raises(IndexFormatError, match="not a regular file"):
            snap.read("fifo", max_bytes=100)
        with pytest.raises(IndexFormatError, match="missing"):
            snap.read("nothere", max_bytes=100)
        with pytest.raises(IndexFormatError, match="more than the limit"):
            snap.read("b.bin", max_bytes=100)
    with pytest.raises(FileNotFoundError):
        read_snapshot(tmp_path / "nope", lambda s: None, attempts=2, wait=0)
    with pytest.raises(IndexFormatError, match="not a directory"):
        Snapshot(target / "a.txt")


def test_is_index_dir(tmp_path):
    save(tmp_path / "idx", 1)
    assert is_ours(tmp_path / "idx")
    assert not is_index_dir(tmp_path / "idx", format_name="other")
    assert not is_ours(tmp_path / "nope") and not is_ours(tmp_path / "idx" / "a.txt")
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "manifest.json").symlink_to("/dev/zero")
    assert not is_ours(tmp_path / "z")
