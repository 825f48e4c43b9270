"""The gateway's bounds (:class:`Limits`), its counters (:class:`GatewayStats`) and the connection cap the
process's open-file limit allows (:func:`connection_budget`).

Limits, each with its reason:

* ``max_connections`` (file descriptors and memory per socket), never more than the process's
  open-file limit less a reserve (:func:`connection_budget`): ``ecowatch serve`` runs the web side in
  the same process, and its sign-ins, database connections and journal files need descriptors too.
  At the cap, the connection that has been waiting longest without sending valid credentials is
  closed to make room; if every connection has, the new one is refused;
* ``max_per_address`` (one address cannot take the whole cap; devices behind one carrier NAT share an
  address, hence a cap in the hundreds, not one), with the same eviction within the address;
* ``idle_timeout_s``, restarted by each frame that a device sent with valid credentials, never by
  bytes alone (a byte every 15 minutes kept a socket for ever): the longest silence HJ 212 lets a
  device keep is an hour (hour data, CN 2061; ``RtdInterval`` ≤ 3600 s and ``MinInterval`` ≤ 30 min,
  HJ 212-2017 Table 4, reference §6.8), so the default is 65 minutes;
* ``unauthenticated_timeout_s``: a connection that has not sent valid credentials within this time
  of connecting is closed (default 2 minutes: a data logger connects in order to send, and the
  standard's default answer timeout and retries, 10 s × 3, HJ 212-2017 Table 1, fit four times);
  a device not yet registered simply connects again with its next data;
* ``max_frame_bytes`` (the decoder's bound; default the format's
ceiling, 10 011 bytes), ``max_rejections`` per connection (a peer that sends only junk is closed),
and ``high_water``/``low_water`` on the frames waiting for the disk or the store: above
``high_water`` every connection stops reading (the kernel's TCP window then slows the senders)
until the queue is back under ``low_water``.  A connection whose peer does not read our replies
stops being read too (``pause_writing``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ecowatch.hj212.decoder import DEFAULT_MAX_FRAME_BYTES
from ecowatch.store.frames import DEFAULT_FUTURE, DEFAULT_PAST

__all__ = ["RESERVED_DESCRIPTORS", "GatewayStats", "Limits", "connection_budget", "open_file_soft_limit"]


@dataclass(frozen=True)
class Limits:
    """Bounds of the gateway (the module docstring gives the reason of each)."""

    max_connections: int = 20_000
    #: Connections from one address (see the module docstring).
    max_per_address: int = 1_000
    idle_timeout_s: float = 3_900.0
    unauthenticated_timeout_s: float = 120.0
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    max_rejections: int = 100
    high_water: int = 20_000
    low_water: int = 5_000
    store_batch: int = 100_000
    #: A store transaction starts at most this often: frames reaching the store wait up to this long to
    #: share one; acknowledgements never wait for it. Every device's frames go to a page of their own in
    #: the frame table's indexes, and a transaction writes each page it touched once: with 10,000
    #: devices at one frame a second, 0.25 s transactions wrote a page per frame and the store fell
    #: ~1,200 frames/s behind, 5 s ones keep up (bench/hj212_gateway.py, 90 s). ``stop()`` does not
    #: wait for it.
    store_interval_s: float = 5.0
    #: Journal fsync on the event loop (fast disks) or in a worker thread (see :class:`GroupCommit`).
    journal_inline: bool = True
    #: How long ``stop()`` waits for the store; the rest is replayed from the journal at the next start.
    stop_timeout_s: float = 120.0
    #: The store writer in a process of its own, handed journal positions (it reads the frames back
    #: from the journal, the durable copy), instead of a thread handed the parsed frames. The process
    #: is spawned (multiprocessing), so a script that starts a Gateway needs the usual
    #: ``if __name__ == "__main__":`` guard.
    store_process: bool = True
    #: With ``store_process`` the frames the store has not taken yet are on disk, not in memory: the
    #: intake pauses when the store lags this many frames behind (``high_water`` otherwise).
    store_lag_limit: int = 500_000
    #: Junk (refused frames, garbage) kept per address and in all per window, in bytes; past them a sample
    #: is kept and the rest counted (:mod:`ecowatch.gateway.budget`; defaults in docs/decisions.md).
    junk_bytes_per_address: int = 1 << 20
    junk_bytes_total: int = 32 << 20
    junk_window_s: float = 3600.0
    #: Data frames whose DataTime lies further than this before or after the server's clock are
    #: quarantined (:func:`ecowatch.store.frames.data_time_problem`; defaults in docs/decisions.md).
    data_time_past_days: float = DEFAULT_PAST.days
    data_time_future_minutes: float = DEFAULT_FUTURE.total_seconds() / 60


@dataclass
class GatewayStats:
    """Counters since start (``Gateway.stats``)."""

    connections_open: int = 0
    connections_total: int = 0
    connections_refused: int = 0
    connections_evicted: int = 0
    idle_closed: int = 0
    accept_errors: int = 0
    bytes_received: int = 0
    frames_received: int = 0
    frames_kept: int = 0
    frames_quarantined: int = 0
    frames_rejected: int = 0
    replies_sent: int = 0
    replies_dropped: int = 0
    journal_fsyncs: int = 0
    store_batches: int = 0
    store_frames: int = 0
    store_errors: int = 0
    replayed: int = 0
    paused: int = 0
    junk_sampled: int = 0
    junk_dropped: int = 0
    junk_dropped_bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


#: File descriptors a gateway leaves to the rest of its process: at least this many, or a fifth of the
#: open-file limit (``ecowatch serve``: the web side's connections, the database pool, journal segments,
#: the store process's pipes, log files).
RESERVED_DESCRIPTORS = 1_024


def open_file_soft_limit() -> int:
    """The process's open-file limit (``ulimit -n``); 2**20 where it is unlimited or unknown."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 1 << 20
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def connection_budget(requested: int, open_file_limit: int | None = None) -> int:
    """The connection cap in force: ``requested``, but never beyond the open-file limit less
    ``max(RESERVED_DESCRIPTORS, limit / 5)`` (at least 16).

    >>> connection_budget(20_000, 20_000), connection_budget(20_000, 1_048_576), connection_budget(500, 1_024)
    (16000, 20000, 16)
    """
    limit = open_file_soft_limit() if open_file_limit is None else open_file_limit
    return min(requested, max(16, limit - max(RESERVED_DESCRIPTORS, limit // 5)))
