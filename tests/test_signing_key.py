"""The key that signs artifact links: made once, and the same for processes that start
together (else each would sign with a key the others reject)."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from skyvern_core.asgi.links import ArtifactLinks, load_signing_key
from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError


def _race_in_threads(data_dir: Path, count: int) -> list[bytes]:
    settings = Settings(data_dir=data_dir)
    barrier = threading.Barrier(count)
    keys: list[bytes] = []

    def load() -> None:
        barrier.wait()
        keys.append(load_signing_key(settings))

    threads = [threading.Thread(target=load) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return keys


def test_threads_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    for round_ in range(30):
        data_dir = tmp_path / f"round-{round_}"
        keys = _race_in_threads(data_dir, 8)
        assert len(keys) == 8 and len(set(keys)) == 1, f"round {round_}: {len(set(keys))} keys"
        assert (data_dir / "artifact-key").read_text().strip() == keys[0].hex()
        assert [p.name for p in data_dir.iterdir()] == ["artifact-key"]  # no temp file left
        assert (data_dir / "artifact-key").stat().st_mode & 0o777 == 0o600


def _load_in_process(data_dir: str, barrier: object, out: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    out.put(load_signing_key(Settings(data_dir=Path(data_dir))).hex())  # type: ignore[attr-defined]


def test_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(5):
        data_dir = tmp_path / f"round-{round_}"
        barrier = context.Barrier(4)
        out = context.Queue()
        procs = [
            context.Process(target=_load_in_process, args=(str(data_dir), barrier, out))
            for _ in range(4)
        ]
        for proc in procs:
            proc.start()
        keys = [out.get(timeout=30) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
            assert proc.exitcode == 0
        assert len(set(keys)) == 1, f"round {round_}: {keys}"
        # A link signed by one process opens in another.
        links = ArtifactLinks(bytes.fromhex(keys[0]), 60)
        other = ArtifactLinks(load_signing_key(Settings(data_dir=data_dir)), 60)
        url = links.url("http://127.0.0.1:8000", "art_1")
        query = dict(part.split("=") for part in url.split("?")[1].split("&"))
        assert other.check("art_1", int(query["expires"]), query["signature"]) is None


def test_the_key_survives_a_restart_and_a_broken_file_is_named(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_signing_key(settings)
    assert load_signing_key(settings) == first
    (tmp_path / "artifact-key").write_text("not a key\n")
    with pytest.raises(ConfigurationError, match="artifact-key does not hold"):
        load_signing_key(settings)
    assert load_signing_key(Settings(data_dir=tmp_path, artifact_signing_secret="s")) == b"s"
