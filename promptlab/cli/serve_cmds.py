"""`promptlab serve`: the A1111 API subset over promptlab's local engine."""

from __future__ import annotations

import argparse
import ipaddress

from promptlab.errors import InvalidInputError

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the A1111 API (txt2img, img2img, models, progress, png-info, interrogate) on the local engine",
        description="Serve AUTOMATIC1111's HTTP API subset backed by promptlab's diffusers engine, so "
        "another promptlab (or any A1111 API client) can use this machine's GPU. Binds 127.0.0.1 unless "
        "told otherwise; a non-local bind needs --api-auth (or --insecure).",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7861)
    p.add_argument("--api-auth", default=None, metavar="USER:PASS[,USER:PASS]", help="HTTP basic auth")
    p.add_argument("--insecure", action="store_true", help="allow a non-local bind without --api-auth")
    p.add_argument("--model", default=None, help="default checkpoint (name under models/, path or hub id)")
    p.add_argument("--models-dir", default=None, help="models folder (default ./models or $PROMPTLAB_MODELS)")
    p.add_argument("--devices", default="auto",
                   help="comma-separated devices, one job queue worker each (e.g. cuda:0,cuda:1); default auto")
    p.add_argument("--tagger", default=None, help="tagger for /sdapi/v1/interrogate (name or folder)")
    p.add_argument("--max-size", type=int, default=2048, help="largest width/height accepted (default 2048)")
    p.add_argument("--max-steps", type=int, default=150, help="most steps accepted (default 150)")
    p.add_argument("--max-batch", type=int, default=16, help="most images per request, batch_size x n_iter")
    p.add_argument("--max-queue", type=int, default=1000, help="most jobs waiting (default 1000)")
    p.add_argument("--allow-pickle", action="store_true", help="allow .ckpt/.pt checkpoints (weights_only)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, has_auth: bool, insecure: bool) -> None:
    if not is_loopback(host) and not has_auth and not insecure:
        raise InvalidInputError(
            f"Refusing to serve on {host} without authentication: anyone on the network could use this "
            "GPU. Add --api-auth user:password, bind --host 127.0.0.1, or pass --insecure if you mean it."
        )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from promptlab import __version__
    from promptlab.serve.server import ServerConfig, ServerLimits, create_app, parse_credentials

    credentials = parse_credentials(args.api_auth)
    check_bind(args.host, bool(credentials), args.insecure)
    try:
        import uvicorn
    except ImportError:
        from promptlab.errors import missing_dependency

        raise missing_dependency("uvicorn", "serve") from None
    from promptlab.backend.diffusers_backend import DiffusersBackend

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    devices = [d.strip() for d in args.devices.split(",") if d.strip()] or ["auto"]
    root = Path(args.models_dir) if args.models_dir else None
    backends = [DiffusersBackend(root, device=d, allow_pickle=args.allow_pickle) for d in devices]
    limits = ServerLimits(max_width=args.max_size, max_height=args.max_size, max_steps=args.max_steps,
                          max_images=args.max_batch, max_waiting=args.max_queue)
    app = create_app(backends, ServerConfig(limits=limits, credentials=credentials, tagger=args.tagger,
                                            default_model=args.model, version=__version__))
    print(f"promptlab serve: http://{args.host}:{args.port}  (API docs at /docs, {len(backends)} worker(s))")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
