"""Where the web app turns an AdvieszoekerError into what a user reads.

The page renders the message in its results area (`app.render`); an API
endpoint raises it as a `gr.Error`, which Gradio's client shows as the
error text. Anything that is not an AdvieszoekerError is a bug: it is logged
with its traceback and the user gets a general Dutch sentence instead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import gradio as gr

from ingest.errors import AdvieszoekerError

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

UNEXPECTED = "Er ging iets mis. Probeer het opnieuw; blijft het misgaan, meld het dan."


def as_api_error(err: AdvieszoekerError) -> gr.Error:
    return gr.Error(str(err))


def api_endpoint(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap an API function so every failure reaches the caller as one readable message."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except AdvieszoekerError as err:
            raise as_api_error(err) from None
        except Exception:
            log.exception("API call %s failed", fn.__name__)
            raise gr.Error(UNEXPECTED) from None

    return wrapper
