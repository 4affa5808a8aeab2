"""Helpers that forge saved indexes the way an attacker would: change any
file or field, then re-sign every checksum (files and the manifest's own)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from spasmqa.storage import _manifest_digest


def resign(root: Path, manifest: dict | None = None) -> None:
    """Recompute every checksum of the index at ``root`` (after edits)."""
    m = manifest if manifest is not None else json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for name in list(m.get("files", {})):
        f = root / name
        if f.is_file():
            data = f.read_bytes()
            m["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    m["manifest_sha256"] = _manifest_digest(m)
    (root / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def write_format2(qa, root: Path, *, version: int = 2, stem=None) -> None:
    """Write ``qa`` as spasmqa 0.1.0 did (format 1 or 2: ``counts.npz``, ``passages.npz``)."""
    import numpy as np
    import scipy.sparse as sp

    root.mkdir(parents=True)
    table, index = qa.table_, qa.index_
    with open(root / "documents.jsonl", "w", encoding="utf-8") as f:
        for d in table.documents:
            f.write(json.dumps({"doc_id": d.doc_id, "text": d.text, "path": d.path, "title": d.title,
                                "offset": d.offset}) + "\n")
    (root / "vocabulary.json").write_text(json.dumps(index.terms_), encoding="utf-8")
    sp.save_npz(root / "counts.npz", index.counts_, compressed=False)
    np.savez(root / "passages.npz", **{n: getattr(table, f"occ_{n}") for n in
                                       ("doc", "start", "end", "heading", "fragment", "anaphor", "unit")},
             unit_first_occ=table.unit_first_occ)
    settings = qa.settings.as_dict()
    if stem is not None:
        settings["stem"] = stem
    m = {"format": "spasmqa-index", "format_version": version, "spasmqa_version": "0.1.0", "settings": settings,
         "sizes": {"documents": len(table.documents), "passages": table.n_passages, "units": table.n_units,
                   "terms": len(index.terms_)}, "files": {}}
    for name in ("documents.jsonl", "vocabulary.json", "counts.npz", "passages.npz"):
        data = (root / name).read_bytes()
        m["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (root / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
