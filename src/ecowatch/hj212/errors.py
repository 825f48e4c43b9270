"""Exceptions of the HJ 212 library.

Bytes received from a peer never raise out of :class:`~ecowatch.hj212.decoder.FrameDecoder`: they
become :class:`~ecowatch.hj212.events.FrameRejected` events. Exceptions are reserved for *our* misuse
of the library (h11's ``LocalProtocolError``)::

    Hj212Error                 base class, never raised directly
    ├── BuildError             we asked to build a frame that cannot be encoded
    │                          (e.g. a field containing ';', a CN that is not 4 digits)
    ├── FrameError             parse_frame() was handed bytes that are not one valid frame;
    │                          the message names what is wrong ("field CN missing",
    │                          "length field 0123 but data segment is 0456 bytes")
    ├── DecoderStateError      FrameDecoder used wrongly (feed after EOF, bad bounds)
    └── KeyTableError          a table of SM4 device keys is malformed; the message names the
                               source, line and field ("keys.csv line 3, field sm4_key_hex: …")
"""

from __future__ import annotations


class Hj212Error(Exception):
    """Base of every exception raised by ``ecowatch.hj212``."""


class BuildError(Hj212Error, ValueError):
    """A frame (or reply) we were asked to build cannot be encoded."""


class FrameError(Hj212Error, ValueError):
    """``parse_frame`` was given bytes that are not one valid HJ 212 frame."""


class DecoderStateError(Hj212Error, RuntimeError):
    """The stream decoder was used wrongly (fed after EOF, inconsistent bounds)."""


class KeyTableError(Hj212Error, ValueError):
    """A table of per-device SM4 keys (``mn,sm4_key_hex``) cannot be read."""
