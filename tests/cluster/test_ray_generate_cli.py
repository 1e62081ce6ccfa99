"""Ray generation from the command line, and refusals before any work (own module: the actors of
test_ray_generate.py are gone, so the local Ray's CPUs are free)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cluster.test_ray_generate import models_root  # noqa: F401 - fixture

pytest.importorskip("diffusers")
pytestmark = [pytest.mark.usefixtures("local_ray"), pytest.mark.slow]


def test_actors_without_checkpoints_are_refused(local_ray, tmp_path):
    from promptlab.cluster.generate import RayCluster
    from promptlab.errors import ClusterError

    (tmp_path / "Stable-diffusion").mkdir()
    c = RayCluster.connect(None)
    with pytest.raises(ClusterError, match="no checkpoint in its models folder"):
        c.backends(models=str(tmp_path), device="cpu", actors=1)


def test_cli_grid_ray(local_ray, models_root, tmp_path, capsys):
    import json

    import yaml

    from promptlab.cli import main

    spec = tmp_path / "grid.yaml"
    spec.write_text(yaml.safe_dump({
        "base": {"prompt": "a cat", "steps": 2, "seed": 3, "width": 64, "height": 64},
        "x": {"type": "sampler", "values": ["Euler a", "DDIM"]},
        "y": {"type": "checkpoint", "values": ["tinyA.safetensors", "tinyB.safetensors"]},
    }))
    code = main(["grid", str(spec), "--out", str(tmp_path / "out"), "--ray", "--models-root", str(models_root),
                 "--device", "cpu", "--dtype", "float32", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["counts"]["done"] == 4 and report["model_loads"] == 2
    assert len(list((tmp_path / "out" / "cells").glob("*.png"))) == 4


def test_cli_generate_ray_equals_local(local_ray, models_root, tmp_path, capsys):
    import json

    from PIL import Image

    from promptlab.cli import main

    common = ["--prompt", "a dog", "--steps", "2", "--seed", "5", "--width", "64", "--height", "64",
              "--batch-count", "3", "--models", str(models_root), "--device", "cpu", "--dtype", "float32",
              "--model", "tinyA.safetensors", "--json"]
    assert main(["generate", *common, "--out", str(tmp_path / "local")]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(["generate", *common, "--out", str(tmp_path / "ray"), "--ray"]) == 0
    on_ray = json.loads(capsys.readouterr().out)
    assert [i["seed"] for i in on_ray] == [i["seed"] for i in local] == [5, 6, 7]
    for a, b in zip(local, on_ray):
        assert np.array_equal(np.asarray(Image.open(a["path"])), np.asarray(Image.open(b["path"])))


def test_more_actors_than_free_cpus_is_refused_not_hung(local_ray, models_root):  # noqa: F811
    from promptlab.cluster.generate import RayCluster
    from promptlab.errors import ClusterError

    c = RayCluster.connect(None)
    with pytest.raises(ClusterError, match="has room for 2 generation actor"):
        c.backends(models=str(models_root), device="cpu", actors=3)
