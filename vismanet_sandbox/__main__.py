"""``python -m vismanet_sandbox --port N [--host H] [--data FILE] [--seed demo|empty]``"""

from __future__ import annotations

import argparse

import uvicorn

from .sandbox import create_app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the sandbox with uvicorn until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m vismanet_sandbox",
                                     description="Local emulator of Visma.net ERP, Sales Orders v3 and Visma Connect.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data", default=None, help="SQLite file for the state (default: memory)")
    parser.add_argument("--seed", choices=("demo", "empty"), default="demo",
                        help="seed used when the state is new (default: demo)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    app = create_app(args.data, args.seed)
    # h11 lets the fault layer reach the transport to drop connections on purpose.
    uvicorn.run(app, host=args.host, port=args.port, http="h11", log_level=args.log_level,
                proxy_headers=False, lifespan="on", timeout_graceful_shutdown=1)


if __name__ == "__main__":
    main()
