"""`unrolled serve`: start the app on the built-in models, no configuration needed."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from server.addresses import serving_banner

# Every request computes in its own thread on small matrices (H <= 256). Thread pools inside
# BLAS and OpenMP would split each tiny product across cores that other requests already use,
# which measured 2-5x slower under load; one thread each, unless the environment says otherwise.
THREAD_POOL_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="unrolled", description="Unrolled: RNN internals, live.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the web app")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args(argv)
    os.environ["UNROLLED_WORKERS"] = str(args.workers)  # sessions need to know (settings)
    for variable in THREAD_POOL_VARIABLES:  # before the app imports NumPy or torch
        os.environ.setdefault(variable, "1")
    sys.stdout.write(serving_banner(args.host, args.port))
    if args.workers > 1 and not os.environ.get("UNROLLED_REDIS_URL"):
        sys.stdout.write(
            f"Live classroom sessions are off with {args.workers} workers (they answer 503): "
            "each worker would keep its own. Serve a lecture with one worker, or set "
            "UNROLLED_REDIS_URL=redis://host:6379/0 for the workers to share.\n"
        )
    sys.stdout.flush()
    uvicorn.run(
        "server.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        http="server.protocol:GuardedHttpProtocol",  # bounds slow and huge requests
        ws="none",  # no route speaks WebSocket: an upgrade request stays plain HTTP
    )


if __name__ == "__main__":
    main()
