"""The logger nanodev's HTTP server reports connection-level errors to.

aiohttp logs every request its parser refuses (smuggling attempts, malformed headers, bad
chunking) with a full traceback, although the client already got its 400 and nothing in
nanodev failed. Here such a request is one line naming the client and the parser's reason;
any other error keeps its traceback, because that one is a bug worth reading.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError


class BadRequestsInOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            reason = " ".join(str(exc.message).split())[:200]
            record.msg = f"{record.getMessage()}: refused with {exc.code} ({reason})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


SERVER_LOG = logging.getLogger("nanodev.http")
SERVER_LOG.addFilter(BadRequestsInOneLine())
