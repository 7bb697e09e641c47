"""How long an OSP request may take and how large its answer may be: :class:`FetchLimits`,
the defaults and the environment variables that override them."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from ...exceptions import ConfigError

__all__ = ["FetchLimits", "DEFAULT_LIMITS", "LIMIT_ENV", "limits_from_env"]


@dataclass(frozen=True)
class FetchLimits:
    """How long a request may take and how large its answer may be.

    connect_timeout, read_timeout
        Seconds to open the connection; seconds of silence allowed between two bytes.
    attempt_deadline
        Seconds one attempt (connect, headers and whole body) may take.
    deadline
        Seconds one request may take with all its retries, waits and base-URL fallbacks;
        :func:`fetch_dataset` gives it to a whole dataset (data and names together).
    max_bytes
        Largest body accepted (decoded size).
    retries
        Extra attempts per base URL after the first, for transient failures.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    attempt_deadline: float = 180.0
    deadline: float = 300.0
    max_bytes: int = 256 * 2**20
    retries: int = 2

    def worst_case_dead_server(self, backoff: float = 1.0) -> float:
        """Seconds a request to a host that accepts connections but never answers costs:
        every attempt waits one read timeout, with the backoff waits between them."""
        waits = sum(backoff * 2**i for i in range(self.retries))
        return min(self.deadline, (self.retries + 1) * self.read_timeout + waits)


#: The defaults of every fetch: a dataset costs at most ``deadline`` seconds (5 minutes).
DEFAULT_LIMITS = FetchLimits()
#: Environment variables overriding the limits (seconds; megabytes for the size).
LIMIT_ENV: dict[str, str] = {
    "read_timeout": "CITYINDICATORS_OSP_TIMEOUT",
    "attempt_deadline": "CITYINDICATORS_OSP_ATTEMPT_DEADLINE",
    "deadline": "CITYINDICATORS_OSP_DEADLINE",
    "max_bytes": "CITYINDICATORS_OSP_MAX_MB",
}


def limits_from_env(base: FetchLimits = DEFAULT_LIMITS) -> FetchLimits:
    """``base`` with the values of the :data:`LIMIT_ENV` variables that are set."""
    changes: dict[str, Any] = {}
    for name, var in LIMIT_ENV.items():
        text = os.environ.get(var, "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise ConfigError(f"${var}={text!r}: expected a positive number of "
                              f"{'megabytes' if name == 'max_bytes' else 'seconds'}")
        changes[name] = int(value * 2**20) if name == "max_bytes" else value
    return replace(base, **changes)
