"""Credentials out of sight: the one function that masks secrets in URLs and in text quoting them.

A base URL may carry credentials (``http://user:token@host/``, ``...?token=abc``): requests
uses them, but no message, log line or provenance sidecar may show them. Every place that
prints, logs or stores a URL passes it through :func:`redact`; the command line also redacts
every log record (third-party debug logs quote request lines).
"""

from __future__ import annotations

import logging
import re

__all__ = ["redact", "RedactingFilter", "MASK"]

MASK = "***"

# scheme://userinfo@ : the user info ends at the first '@' before any '/', '?', '#' or blank
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#\s@'\"<>]+)@")
# ?name=value or &name=value (also in a bare path such as urllib3's "url: /data?token=...")
# for parameter names that commonly hold secrets
_SECRET_PARAM = re.compile(
    r"(?P<lead>[?&;](?P<name>[A-Za-z0-9_.-]*(?:token|secret|passw|pwd|api[-_]?key|apikey|auth|credential|"
    r"session|signature)[A-Za-z0-9_.-]*|key|sig|code|pass)=)(?P<value>[^&;#\s'\"<>]*)",
    re.IGNORECASE,
)


def redact(text: object) -> str:
    """``text`` (a URL or any message quoting URLs) with user info and secret query values masked.

    ``http://user:token@host/a?token=x&startPeriod=2020`` becomes
    ``http://***@host/a?token=***&startPeriod=2020``; text without credentials is returned
    unchanged.
    """
    s = str(text)
    if "@" in s:
        s = _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", s)
    if "=" in s:
        s = _SECRET_PARAM.sub(lambda m: f"{m.group('lead')}{MASK}" if m.group("value") else m.group(0), s)
    return s


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
