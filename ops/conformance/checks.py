"""Account-number checks the KillB accounts page (seed 002, "账户验证") and the digest name:
CLABE check digit, ABA routing checksum, wallet addresses per network (EVM with EIP-55,
Tron base58check, Solana base58 32-byte key). Standard library only (Keccak-256 is written
out here because hashlib's sha3_256 is the NIST variant, not Ethereum's Keccak).
"""

from __future__ import annotations

import hashlib
import re

# ---------------------------------------------------------------- bank numbers


def clabe_ok(clabe: str) -> bool:
    """18 digits; last = (10 - sum((d_i * w_i) mod 10) mod 10) mod 10, weights 3,7,1."""
    if not re.fullmatch(r"\d{18}", clabe):
        return False
    w = [3, 7, 1] * 6
    s = sum((int(d) * w[i]) % 10 for i, d in enumerate(clabe[:17]))
    return (10 - s % 10) % 10 == int(clabe[17])


def clabe_with_check(first17: str) -> str:
    w = [3, 7, 1] * 6
    s = sum((int(d) * w[i]) % 10 for i, d in enumerate(first17))
    return first17 + str((10 - s % 10) % 10)


def aba_ok(routing: str) -> bool:
    """9 digits, weights 3,7,1 repeated, total mod 10 == 0."""
    if not re.fullmatch(r"\d{9}", routing):
        return False
    return sum(int(d) * w for d, w in zip(routing, [3, 7, 1] * 3)) % 10 == 0


# ---------------------------------------------------------------- Keccak-256

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
        [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_M = (1 << 64) - 1


def _rol(x, n):
    n %= 64
    return ((x << n) | (x >> (64 - n))) & _M


def _keccak_f(a):
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data: bytes) -> bytes:
    rate = 136
    msg = bytearray(data) + b"\x01"
    while len(msg) % rate:
        msg.append(0)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = _keccak_f(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out[:32]


def eip55(addr_hex40: str) -> str:
    low = addr_hex40.lower()
    h = keccak256(low.encode()).hex()
    return "".join(ch.upper() if ch.isalpha() and int(h[i], 16) >= 8 else ch for i, ch in enumerate(low))


def evm_problem(address: str) -> str | None:
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", address):
        return "EVM address must be 0x followed by 40 hex characters"
    body = address[2:]
    if body != body.lower() and body != body.upper() and eip55(body) != body:
        return "EVM address fails its EIP-55 checksum"
    return None


# ---------------------------------------------------------------- base58

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(s: str) -> bytes | None:
    n = 0
    for ch in s:
        i = _B58.find(ch)
        if i < 0:
            return None
        n = n * 58 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(s) - len(s.lstrip("1"))
    return b"\x00" * pad + raw


def b58encode(b: bytes) -> str:
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    pad = len(b) - len(b.lstrip(b"\x00"))
    return "1" * pad + out


def tron_problem(address: str) -> str | None:
    if not re.fullmatch(r"T[1-9A-HJ-NP-Za-km-z]{33}", address):
        return "Tron address must be base58, 34 characters starting with T"
    raw = b58decode(address)
    if raw is None or len(raw) != 25 or raw[0] != 0x41:
        return "Tron address does not decode to a 0x41-prefixed 21-byte address"
    if hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] != raw[21:]:
        return "Tron address fails its base58check checksum"
    return None


def tron_address(body20: bytes) -> str:
    raw = b"\x41" + body20
    return b58encode(raw + hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4])


def solana_problem(address: str) -> str | None:
    if not re.fullmatch(r"[1-9A-HJ-NP-Za-km-z]{32,44}", address):
        return "Solana address must be base58, 32-44 characters"
    raw = b58decode(address)
    if raw is None or len(raw) != 32:
        return "Solana address does not decode to a 32-byte key"
    return None


EVM_NETWORKS = {"POLYGON", "ETHEREUM", "ARBITRUM", "BSC"}
WALLET_NETWORKS = EVM_NETWORKS | {"SOLANA", "TRON"}


def wallet_problem(network: str, address: str) -> str | None:
    if network in EVM_NETWORKS:
        return evm_problem(address)
    if network == "TRON":
        return tron_problem(address)
    if network == "SOLANA":
        return solana_problem(address)
    return None
