"""Spreading a batch over several backends: order kept, failures retried elsewhere, dead backends skipped."""

from __future__ import annotations

import threading

import pytest

from promptlab.backend.pool import BackendPool
from promptlab.backend.remote_a1111 import RemoteA1111Backend
from promptlab.errors import BackendError, CancelledError
from promptlab.params import GenerationParams
from tests.serve.conftest import PaintBackend


class FlakyBackend(PaintBackend):
    """Fails its n-th job with a BackendError (a GPU falling over)."""

    def __init__(self, name, fail_on=(), **kw):
        super().__init__(name, **kw)
        self.fail_on, self.count = set(fail_on), 0

    def generate(self, params, **kw):
        self.count += 1
        if self.count in self.fail_on:
            raise BackendError(f"{self.name} crashed")
        return super().generate(params, **kw)


def test_batch_spread_and_same_order_as_single_backend():
    params = GenerationParams(prompt="x", steps=2, seed=100, batch_count=4, batch_size=3, width=64, height=64)
    single = PaintBackend("one").generate(params)
    a, b, c = PaintBackend("a", step_delay=0.001), PaintBackend("b", step_delay=0.001), PaintBackend("c", step_delay=0.001)
    pooled = BackendPool([a, b, c]).generate(params)
    assert [im.params.seed for im in pooled] == [im.params.seed for im in single] == list(range(100, 112))
    assert [im.image.getpixel((0, 0)) for im in pooled] == [im.image.getpixel((0, 0)) for im in single]
    assert sum(len(x.calls) for x in (a, b, c)) == 12
    assert sum(1 for x in (a, b, c) if x.calls) >= 2  # work really was shared


def test_failed_job_is_retried_on_another_backend():
    bad = FlakyBackend("bad", fail_on={1})
    good = PaintBackend("good")
    pool = BackendPool([bad, good])
    images = pool.generate(GenerationParams(steps=1, seed=5, batch_count=6, width=64, height=64))
    assert [im.params.seed for im in images] == list(range(5, 11))
    assert pool.states[0].failures == 1 and "crashed" in pool.states[0].last_error


def test_every_backend_failing_is_a_clear_error():
    pool = BackendPool([FlakyBackend("x", fail_on={1, 2, 3}), FlakyBackend("y", fail_on={1, 2, 3})])
    with pytest.raises(BackendError, match="failed on every backend"):
        pool.generate(GenerationParams(steps=1, batch_count=2, width=64, height=64))


def test_cancel_stops_the_pool():
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    pool = BackendPool([PaintBackend("a", step_delay=0.02), PaintBackend("b", step_delay=0.02)])
    with pytest.raises(CancelledError):
        pool.generate(GenerationParams(steps=50, batch_count=20, width=64, height=64), cancel=cancel)


def test_remote_backend_killed_mid_batch_its_jobs_finish_elsewhere(serve):
    """Two `promptlab serve` servers over HTTP; one is stopped while the batch runs."""
    fast = serve([PaintBackend("local-a", step_delay=0.01)])
    doomed = serve([PaintBackend("local-b", step_delay=0.01)])
    remote_fast = RemoteA1111Backend(fast.url, retries=0, connect_timeout=0.5)
    remote_doomed = RemoteA1111Backend(doomed.url, retries=0, connect_timeout=0.5)
    threading.Timer(0.3, doomed.stop).start()
    params = GenerationParams(steps=10, seed=1, batch_count=24, width=64, height=64)
    images = BackendPool([remote_fast, remote_doomed]).generate(params)
    assert [im.params.seed for im in images] == list(range(1, 25))


def test_pool_lists_what_every_backend_has():
    a = PaintBackend("a", models=("x.safetensors", "y.safetensors"))
    b = PaintBackend("b", models=("y.safetensors", "z.safetensors"))
    pool = BackendPool([a, b])
    assert pool.list_models() == ["y.safetensors"]
    assert pool.list_samplers() == ["Euler a", "Euler", "DPM++ 2M"]
