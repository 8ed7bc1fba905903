"""Replay mode: the replica serves real labelled captchas byte for byte and takes their labels as answers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from replica.captcha_store import ReplayDataError
from replica.config import ReplicaConfig
from replica.server import ReplicaServer


def test_serves_the_real_images_and_accepts_their_labels(replica, visitor, real_captchas: Path) -> None:
    replica.use_replay(real_captchas)
    labels = dict(line.split(",") for line in (real_captchas / "labels.csv").read_text().split()[1:])
    digests = {hashlib.sha256((real_captchas / file).read_bytes()).hexdigest(): label for file, label in labels.items()}
    form = visitor.open_form()
    image = visitor.captcha(form)
    assert image.headers["content-type"] == "image/jpeg"
    label = digests[hashlib.sha256(image.content).hexdigest()]
    assert visitor.captcha(form).content == image.content, "a replayed image is served as-is"
    assert visitor.submit(form, "2330", label.lower()).download_href
    replica.reset()
    assert replica.config.captcha_source == "synthetic"


def test_replay_mode_from_the_config(real_captchas: Path) -> None:
    with ReplicaServer(ReplicaConfig(captcha_source="replay", replay_dir=real_captchas)) as server:
        assert server.config.captcha_source == "replay"
        assert server.base_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (None, "no labels.csv"),
        ("name,answer\na.jpg,ACDEF\n", "header `file,label`"),
        ("file,label\n", "lists no captchas"),
        ("file,label\nmissing.jpg,ACDEF\n", "lists missing.jpg"),
        ("file,label\na.jpg,\n", "needs a file and a label"),
    ],
)
def test_a_malformed_replay_folder_is_a_clear_error(replica, tmp_path: Path, labels: str | None, message: str) -> None:
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    if labels is not None:
        (tmp_path / "labels.csv").write_text(labels)
    with pytest.raises(ReplayDataError, match=message):
        replica.use_replay(tmp_path)
    assert replica.config.captcha_source == "synthetic"
