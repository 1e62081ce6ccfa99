"""Grids and batches on Ray actors: a local run's pixels, one model load per actor, a killed actor's
cell retried elsewhere, Ray actors mixed with a local backend in one pool."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")
pytestmark = [pytest.mark.usefixtures("local_ray"), pytest.mark.slow]


@pytest.fixture(scope="module")
def models_root(tmp_path_factory):
    import torch

    from promptlab.backend.tiny import make_tiny_checkpoint

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    folder = root / "Stable-diffusion"
    make_tiny_checkpoint(folder / "tinyA.safetensors", "sd1", seed=0)
    make_tiny_checkpoint(folder / "tinyB.safetensors", "sd1", seed=1)
    return root


@pytest.fixture(scope="module")
def cluster(local_ray, models_root):
    from promptlab.cluster.generate import RayCluster

    c = RayCluster.connect(None)
    backends = c.backends(models=str(models_root), device="cpu", dtype="float32")
    yield c, backends
    c.close()


@pytest.fixture(scope="module")
def local(models_root):
    from promptlab.backend.diffusers_backend import DiffusersBackend

    b = DiffusersBackend(models_root, device="cpu", dtype="float32")
    yield b
    b.close()


def _spec(steps: int = 2):
    from promptlab.grid import GridSpec

    return GridSpec.from_dict({
        "base": {"prompt": "a cat, (sky:1.2)", "negative_prompt": "lowres", "steps": steps, "seed": 3,
                 "width": 64, "height": 64},
        "x": {"type": "sampler", "values": ["Euler a", "DPM++ 2M"]},
        "y": {"type": "checkpoint", "values": ["tinyA.safetensors", "tinyB.safetensors"]},
    })


def _pixels(run):
    return [np.asarray(r.image) for r in run.results]


def test_grid_on_two_actors_equals_local(cluster, local):
    from promptlab.grid import make_plan, run_grid

    _, backends = cluster
    assert len(backends) == 2
    plan = make_plan(_spec())
    expected = run_grid(plan, local, record_timing=False)
    got = run_grid(plan, backends, record_timing=False)
    assert got.counts()["done"] == 4
    assert [r.cell.key for r in got.results] == [r.cell.key for r in expected.results]
    for a, b in zip(_pixels(expected), _pixels(got)):
        assert np.array_equal(a, b)
    assert got.model_loads == 2          # each actor kept to one checkpoint
    assert {r.backend for r in got.results} == {"ray-0", "ray-1"}
    assert got.results[0].infotext == expected.results[0].infotext


def test_killed_actor_cell_is_retried_on_another(cluster, local):
    import ray

    from promptlab.grid import make_plan, run_grid

    c, backends = cluster
    plan = make_plan(_spec(steps=24))   # long enough for the progress poll to see a step before the cell ends
    killed = []

    def progress(p):
        if not killed and p.backend == "ray-0" and p.step >= 1:
            ray.kill(backends[0]._actor, no_restart=False)
            killed.append(p.cell.key)

    got = run_grid(plan, backends, on_progress=progress, record_timing=False)
    assert killed, "the grid ran without reaching a step on ray-0"
    assert got.counts()["done"] == 4 and got.counts()["failed"] == 0
    expected = run_grid(plan, local, record_timing=False)
    for a, b in zip(_pixels(expected), _pixels(got)):
        assert np.array_equal(a, b)


def test_pool_mixes_ray_actors_and_a_local_backend(cluster, local):
    from promptlab.backend.pool import BackendPool
    from promptlab.params import GenerationParams

    _, backends = cluster
    params = GenerationParams(prompt="a dog", steps=2, seed=11, width=64, height=64, batch_count=2, batch_size=2,
                              model="tinyA.safetensors", cfg_scale=5.0)
    expected = BackendPool([local]).generate(params)    # the pool runs one job per image (seed+i)
    got = BackendPool([*backends, local]).generate(params)
    assert [g.params.seed for g in got] == [e.params.seed for e in expected] == [11, 12, 13, 14]
    for e, g in zip(expected, got):
        assert np.array_equal(np.asarray(e.image), np.asarray(g.image))


def test_cancel_reaches_the_actor(cluster):
    import threading

    from promptlab.errors import CancelledError
    from promptlab.params import GenerationParams

    _, backends = cluster
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        backends[0].generate(GenerationParams(prompt="x", steps=50, seed=1, width=64, height=64,
                                              model="tinyA.safetensors"), cancel=cancel)
