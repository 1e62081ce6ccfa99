"""Start a local Ray or join a cluster, and turn Ray's own failures into messages that say what to do.

``--ray`` alone starts a local Ray sized to this machine (and stops it afterwards); ``--ray auto`` joins
the cluster this machine belongs to (``ray start`` was run here); ``--ray ray://host:10001`` joins
through Ray Client; ``--ray host:6379`` joins a head node's GCS directly. An address that does not
answer is refused within seconds, before Ray's own minute-long retries.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from promptlab.errors import ClusterError, InvalidInputError, missing_dependency

LOCAL = "local"
REACH_TIMEOUT_S = 5.0
# Environment the workers need to find the same models and data as the driver.
FORWARDED_ENV = ("PROMPTLAB_HOME", "PROMPTLAB_MODELS", "HF_HOME", "HF_ENDPOINT", "HF_HUB_OFFLINE",
                 "TRANSFORMERS_OFFLINE")


def require_ray():
    """``ray`` (and ``ray.data``), or a clear message naming the extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401 - the captioning pipeline needs it; fail here, not mid-run
    except ImportError:
        raise missing_dependency("ray[data]", "cluster") from None
    return ray


def parse_address(value: str | None) -> str | None:
    """``None``/``""``/``local`` -> None (start a local Ray); ``auto``, ``ray://host:port`` and
    ``host:port`` are kept."""
    text = (value or "").strip()
    if not text or text.lower() == LOCAL:
        return None
    if text.lower() == "auto":
        return "auto"
    match = re.fullmatch(r"(ray://)?([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})", text)
    if not match or not 0 < int(match.group(3)) < 65536:
        raise InvalidInputError(
            f"--ray {value!r} is not a Ray address. Use nothing (a local Ray on this machine), 'auto' "
            "(the cluster this machine joined with `ray start`), ray://HOST:10001 (Ray Client) or HOST:6379."
        )
    return text


def _host_port(address: str) -> tuple[str, int]:
    host, port = address.removeprefix("ray://").rsplit(":", 1)
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float = REACH_TIMEOUT_S) -> None:
    """Refuse an address nothing listens on, within ``timeout`` seconds."""
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ClusterError(
            f"Cannot reach a Ray cluster at {address} ({exc.strerror or exc}). Check that the head node runs "
            "(`ray start --head` there; Ray Client listens on 10001, the GCS on 6379) and that this machine "
            "may connect to it, or drop the address to run on a local Ray."
        ) from None


@dataclass(frozen=True)
class ClusterInfo:
    address: str | None           # None: a local Ray this process started
    started_here: bool
    cpus: float
    gpus: float
    nodes: int
    ray_version: str


def _runtime_env() -> dict:
    env = {name: os.environ[name] for name in FORWARDED_ENV if os.environ.get(name)}
    return {"env_vars": env} if env else {}


def _init(ray, address: str | None, num_cpus: int | None, num_gpus: int | None) -> None:
    kwargs = dict(include_dashboard=False, log_to_driver=False, configure_logging=False,
                  runtime_env=_runtime_env() or None)
    if address is None:
        kwargs.update(num_cpus=num_cpus or os.cpu_count() or 1)
        if num_gpus is not None:
            kwargs["num_gpus"] = num_gpus
    else:
        kwargs.pop("include_dashboard")
    try:
        ray.init(address=address, **kwargs)
    except (ConnectionError, TimeoutError) as exc:
        where = address or "this machine"
        hint = ("no Ray is running on this machine: run `ray start --head` (or `ray start --address=HEAD:6379` to "
                "join a cluster) first, or drop 'auto' to start a local Ray" if address == "auto"
                else "check that the head node runs and is reachable")
        raise ClusterError(f"Could not join Ray at {where}: {exc}. {hint}.") from None
    except RuntimeError as exc:
        text = str(exc)
        if "version" in text.lower():
            raise ClusterError(
                f"The Ray cluster at {address} runs another Ray or Python version than this machine "
                f"(ray {ray.__version__} here): {text.splitlines()[0]} Install the cluster's exact Ray version "
                "here (pip install 'ray[data]==X.Y.Z'), in the same Python minor version."
            ) from None
        raise ClusterError(f"Ray could not start: {text}") from None


def connect(address: str | None = None, *, num_cpus: int | None = None,
            num_gpus: int | None = None) -> tuple[object, str | None, bool]:
    """(ray, parsed address, started here): a Ray already initialised in this process is used as it is;
    otherwise a local Ray is started or the address joined (refused fast when nothing answers)."""
    ray = require_ray()
    address = parse_address(address)
    if ray.is_initialized():
        return ray, address, False
    if address not in (None, "auto"):
        check_reachable(address)
    _init(ray, address, num_cpus, num_gpus)
    return ray, address, True


@contextlib.contextmanager
def ray_session(address: str | None = None, *, num_cpus: int | None = None,
                num_gpus: int | None = None) -> Iterator[ClusterInfo]:
    """A connected Ray for the ``with`` block (see :func:`connect`); one started or joined here is shut
    down at the end."""
    ray, address, started = connect(address, num_cpus=num_cpus, num_gpus=num_gpus)
    try:
        resources = ray.cluster_resources()
        nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
        yield ClusterInfo(address, started and address is None, float(resources.get("CPU", 0)),
                          float(resources.get("GPU", 0)), nodes, ray.__version__)
    finally:
        if started:
            ray.shutdown()


def quiet_ray_data() -> None:
    """Ray Data's own progress bars would fight ours (tqdm in the CLI, the app's bar)."""
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    with contextlib.suppress(AttributeError):
        ctx.print_on_execution_start = False


def alive_nodes(ray) -> list[dict]:
    return [n for n in ray.nodes() if n.get("Alive")]


def on_every_node(ray, fn, *args) -> list:
    """Run ``fn(*args)`` once on each alive node (results in node order); used for checks before work."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    task = ray.remote(num_cpus=0)(fn)
    refs = [task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(*args)
            for n in alive_nodes(ray)]
    return ray.get(refs)
