"""Worker processes for the recorder's pure part (``diffs.reading``), so that both cores read.

A pool lives as long as its owner needs it: the crawl (``kb.pipeline.crawl``) keeps one for
its whole fetch, since it records every half second while its child fetches; a backlog
recorded on its own gets one for the call. Its workers (``kb.workers``) import only the pure
modules (``diffs``); each response whose result was lost is read again in the recorder's
process, with the same result.
"""

from __future__ import annotations

from concurrent.futures import Future

from diffs.reading import Reading, Response, read_or_none, read_response
from kb.workers import WorkerPool

PER_WORKER = 4  # responses in flight per worker: enough to keep it busy while the recorder writes


class RecordPool(WorkerPool):
    """``submit`` a response to read, then take its ``result`` in the order submitted."""

    def __init__(self, workers: int | None = None) -> None:
        """``workers``: how many (default: one per core); 0 reads everything in this process."""
        super().__init__(workers)
        self.window = PER_WORKER * max(1, self.workers)

    def submit(self, response: Response) -> Future | None:
        """Start reading ``response`` in a worker; None when the pool cannot (then ``result``
        reads it here)."""
        return self.start(read_or_none, response)

    def result(self, future: Future | None, response: Response) -> Reading:
        """What ``response`` reads as: the worker's result, else read here (a worker that died,
        or the code's own failure, which is then raised here as it would be without a pool)."""
        reading = self.outcome(future)
        return reading if reading is not None else read_response(response)
