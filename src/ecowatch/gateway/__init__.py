"""The HJ 212 gateway: TCP server (:mod:`.server`), journal (:mod:`.journal`), device registry
(:mod:`.registry`) and simulated devices (:mod:`.simulator`).

The protocol itself (frames, replies, SM4) is :mod:`ecowatch.hj212`, which does no I/O; this package
is the only place where HJ 212 meets sockets, files and the clock.
"""
