"""Helpers for the browser and API tests: paths, and the server/browser launchers of bench."""

from __future__ import annotations

from bench.server import CHROMIUM, CHROMIUM_ARGS, ROOT, cli, cli_env, free_port, running_app

SEEDS = ROOT / "seeds"
ARTIFACTS = ROOT / "tests" / "artifacts"

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "ROOT",
    "SEEDS",
    "cli",
    "cli_env",
    "free_port",
    "running_app",
]
