"""HJ 212-2025 SM4 encryption of the data area (reference Part B4, HJ 212-2025 §6.4 and Annex A.2).

What the reference establishes (two independent sources agree, and the Annex A.2 vectors decrypt with
an independent SM4 implementation):

* SM4 (GB/T 32907), 16-byte key, ECB mode, **no padding**: 「采用SM4加密算法，16字节（128位）密钥，工作
  模式ECB，填充Nopadding，对数据段CP=&&到&&CRC校验码之间的字符加密」 (§6.4.2) — SM4, a 128-bit key,
  ECB, NoPadding, over the characters between ``CP=&&`` and ``&&``.
* 「每16个字符为一组加密 … 不足16个字符的部分使用明文」 (Annex A.2): every 16 characters are one block;
  a remainder shorter than 16 stays plaintext, written after the ciphertext.
* The ciphertext is written as ASCII text in C-array style, ``{0xE4,0x3E,…}`` (upper-case hex).
* 「先完成CRC校验并组包，再对数据段加密」: the CRC is computed over the *plaintext* segment, so a
  receiver decrypts first and then checks the CRC.

UNVERIFIED (single source or not found): whether "characters" means UTF-8 bytes for non-ASCII CP
text (all published examples are ASCII; blocks here are UTF-8 bytes, so the CRC and the decoder's
byte-level framing stay exact); whether lower-case hex is allowed on the wire (accepted when reading,
never written).

>>> key = b"0" * 16                    # Annex A.2 test key, "16个0x30"
>>> wire = encrypt_cp(b"DataTime=20240520210600;a01011-Min=1.35", key)
>>> wire[:25], wire[-9:]                 # 2 blocks as in Annex A.2 example 2, then 7 plain bytes
(b'{0xE4,0x3E,0x15,0x9A,0xCF', b'D}in=1.35')
>>> decrypt_cp(wire, key)
b'DataTime=20240520210600;a01011-Min=1.35'
"""

from __future__ import annotations

import csv

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ecowatch.hj212.errors import BuildError, FrameError, KeyTableError

__all__ = [
    "KEY_TABLE_COLUMNS",
    "SM4_BLOCK",
    "SM4_KEY_BYTES",
    "decrypt_cp",
    "encrypt_cp",
    "must_encrypt",
    "parse_key_table",
    "split_ciphertext",
]

SM4_BLOCK = 16
SM4_KEY_BYTES = 16
KEY_TABLE_COLUMNS = ("mn", "sm4_key_hex")


def must_encrypt(cn: int) -> bool:
    """Whether HJ 212-2025 requires the CP of command ``cn`` (sent by a field unit) to be encrypted.

    「现场机向上位机发送的数据命令应加密（命令编码2000～2999）…其他命令无须加密」 (§6.4.4, single source):
    data commands 2000-2999, plus 1014 (new key) and 3020 (field-unit information).

    >>> must_encrypt(2051), must_encrypt(1014), must_encrypt(9014)
    (True, True, False)
    """
    return 2000 <= cn <= 2999 or cn in (1014, 3020)


# Cipher objects by key: building one validates the key each time, which costs more than decrypting a
# typical data area. Bounded (cleared when full) because keys come from a registry of any size.
_CIPHERS: dict[bytes, Cipher[modes.ECB]] = {}
_CIPHERS_CAP = 4096


def _cipher(key: bytes) -> Cipher[modes.ECB]:
    cipher = _CIPHERS.get(key)
    if cipher is None:
        if len(key) != SM4_KEY_BYTES:
            raise ValueError(f"SM4 key must be {SM4_KEY_BYTES} bytes, got {len(key)}")
        if len(_CIPHERS) >= _CIPHERS_CAP:
            _CIPHERS.clear()
        cipher = _CIPHERS[bytes(key)] = Cipher(algorithms.SM4(key), modes.ECB())
    return cipher


def encrypt_cp(plain: bytes, key: bytes) -> bytes:
    """The wire form of a data area: whole 16-byte blocks SM4-ECB-encrypted as ``{0x..,…}``, then
    the plaintext remainder (Annex A.2). A data area shorter than one block is sent as is."""
    if len(key) != SM4_KEY_BYTES:
        raise BuildError(f"SM4 key must be {SM4_KEY_BYTES} bytes, got {len(key)}")
    whole = len(plain) - len(plain) % SM4_BLOCK
    if not whole:
        return plain
    encryptor = _cipher(key).encryptor()
    cipher = encryptor.update(plain[:whole]) + encryptor.finalize()
    return b"{" + ",".join(f"0x{b:02X}" for b in cipher).encode("ascii") + b"}" + plain[whole:]


def split_ciphertext(wire: bytes) -> tuple[bytes, bytes]:
    """``(ciphertext, plaintext tail)`` of a wire-form data area that starts with ``{0x``.

    Raises :class:`FrameError` naming what is malformed.
    """
    close = wire.find(b"}")
    inner = wire[1:close]
    count = (len(inner) + 1) // 5
    # Checked by slicing rather than a regex over the (5 x longer) text: every 5-character unit is
    # "0x" + two hex digits + "," (none after the last).
    if (
        close < 0
        or len(inner) != 5 * count - 1
        or inner[0::5] != b"0" * count
        or inner[1::5].translate(None, b"xX")
        or inner[4::5] != b"," * (count - 1)
    ):
        where = f"before the closing '}}' at offset {close}" if close >= 0 else "and no closing '}'"
        raise FrameError(f"SM4 ciphertext is not a list of 0xNN bytes {where}")
    digits = bytearray(2 * count)
    digits[0::2] = inner[2::5]
    digits[1::2] = inner[3::5]
    try:
        cipher = bytes.fromhex(digits.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        cipher = b""
    if len(cipher) != count:
        raise FrameError(
            f"SM4 ciphertext is not a list of 0xNN bytes before the closing '}}' at offset {close}"
        )
    if count % SM4_BLOCK:
        raise FrameError(f"SM4 ciphertext is {count} bytes, not a multiple of {SM4_BLOCK}")
    return cipher, wire[close + 1 :]


def decrypt_cp(wire: bytes, key: bytes) -> bytes:
    """Plaintext data area from its wire form (inverse of :func:`encrypt_cp`).

    A wire form not starting with ``{0x`` was never encrypted (shorter than one block) and is
    returned as is. Raises :class:`FrameError` for malformed ciphertext or a key of the wrong size.
    """
    if not wire.startswith((b"{0x", b"{0X")):
        return wire
    if len(key) != SM4_KEY_BYTES:
        raise FrameError(f"SM4 key must be {SM4_KEY_BYTES} bytes, got {len(key)}")
    cipher, tail = split_ciphertext(wire)
    decryptor = _cipher(key).decryptor()
    return decryptor.update(cipher) + decryptor.finalize() + tail


def parse_key_table(text: str, *, source: str = "keys") -> dict[str, bytes]:
    """Per-device SM4 keys from CSV text with the header ``mn,sm4_key_hex`` (one device a line).

    The text is given, not a path (the library reads no files). Every problem is a
    :class:`KeyTableError` naming ``source``, the line and the field.

    >>> keys = parse_key_table("mn,sm4_key_hex\\nMN01,30303030303030303030303030303030\\n")
    >>> keys["MN01"]
    b'0000000000000000'
    >>> from ecowatch.hj212.errors import KeyTableError
    >>> try:
    ...     parse_key_table("mn,sm4_key_hex\\nMN01,3030\\n", source="k.csv")
    ... except KeyTableError as error:
    ...     print(error)
    k.csv line 2, field sm4_key_hex: '3030' is not 32 hex digits (a 16-byte SM4 key)
    """
    keys: dict[str, bytes] = {}
    first_line: dict[str, int] = {}
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if header is None or [c.strip().lower() for c in header] != list(KEY_TABLE_COLUMNS):
        raise KeyTableError(
            f"{source} line 1: header must be {','.join(KEY_TABLE_COLUMNS)}, got "
            f"{','.join(header) if header else 'nothing'}"
        )
    for line, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise KeyTableError(f"{source} line {line}: expected 2 fields (mn,sm4_key_hex), got {len(row)}")
        mn, key_hex = row[0].strip(), row[1].strip()
        if not mn:
            raise KeyTableError(f"{source} line {line}, field mn: empty")
        try:
            key = bytes.fromhex(key_hex)
        except ValueError:
            key = b""
        if len(key) != SM4_KEY_BYTES or len(key_hex) != 2 * SM4_KEY_BYTES:
            raise KeyTableError(
                f"{source} line {line}, field sm4_key_hex: {key_hex!r} is not "
                f"{2 * SM4_KEY_BYTES} hex digits (a 16-byte SM4 key)"
            )
        if mn in keys and keys[mn] != key:
            raise KeyTableError(
                f"{source} line {line}, field mn: {mn} already has another key on line {first_line[mn]}"
            )
        keys[mn] = key
        first_line.setdefault(mn, line)
    return keys
