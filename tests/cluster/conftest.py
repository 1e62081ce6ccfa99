"""One local Ray (2 CPUs) for all cluster tests; skipped when ray is not installed."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray", reason="ray not installed (pip install 'promptlab[cluster]')")


@pytest.fixture(scope="session")
def local_ray():
    from promptlab.cluster.runtime import quiet_ray_data

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    quiet_ray_data()
    yield ray
    ray.shutdown()
