"""ecowatch.hj212.__all__: sorted (constants, classes, functions) and complete (STYLE.md, httpx)."""

import ecowatch.hj212 as hj212


def test_all_is_sorted_and_complete():
    names = hj212.__all__
    assert names == sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    assert all(hasattr(hj212, n) for n in names)
    public = {
        n
        for n, v in vars(hj212).items()
        if not n.startswith("_") and getattr(v, "__module__", "").startswith("ecowatch.hj212")
    }
    assert public <= set(names)
    for name in (
        "parse_frame",
        "parse_frames",
        "FrameDecoder",
        "build_frame",
        "make_frame",
        "SplitReassembler",
        "Recipient",
        "set_new_key",
        "decrypt_cp",
        "encrypt_cp",
        "hj212_crc16_many",
    ):
        assert name in names
