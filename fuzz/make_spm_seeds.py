#!/usr/bin/env python3
"""Writes the seed SentencePiece models of fuzz/corpus/spm (run once; the files are committed).

Hand-built ModelProto protobufs, small enough for the fuzzer to mutate quickly and covering what the
reader and encoders branch on: a Unigram model with a precompiled charsmap (a darts-clone double array
built here), a BPE model with byte fallback, a user-defined piece and an unused piece, and an identity
model that keeps whitespace. Usage: fuzz/make_spm_seeds.py OUTDIR"""
import struct
import sys


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_varint(f, v):
    return varint(f << 3) + varint(v)


def field_bytes(f, b):
    return varint(f << 3 | 2) + varint(len(b)) + b


def field_float(f, x):
    return varint(f << 3 | 5) + struct.pack("<f", x)


def piece(text, score, ptype=1):
    return field_bytes(1, field_bytes(1, text.encode()) + field_float(2, score) + field_varint(3, ptype))


def darts(rules):
    """A darts-clone double array for {key bytes: value}, as SentencePiece's charsmap stores it."""
    trie = {}
    for key, val in rules.items():
        node = trie
        for c in key:
            node = node.setdefault(c, {})
        node[None] = val
    units = {}
    used_bases = set()

    def place(node, pos):
        labels = sorted(c for c in node if c is not None)
        need = ([0] if None in node else []) + labels
        off = 1
        while True:
            base = pos ^ off
            if base not in used_bases and base != 0 and all((base ^ c) not in units and (base ^ c) != 0 for c in need):
                break
            off += 1
        assert off < (1 << 21)
        used_bases.add(base)
        units[pos] = units.get(pos, 0) | (off << 10) | ((1 << 8) if None in node else 0)
        if None in node:
            units[base] = (1 << 31) | node[None]
        for c in labels:
            units[base ^ c] = c
        for c in labels:
            place(node[c], base ^ c)

    units[0] = 0
    place(trie, 0)
    n = max(units) + 1
    return b"".join(struct.pack("<I", units.get(i, 0)) for i in range(n))


def charsmap(rules):
    strings = b""
    values = {}
    for key, rep in rules.items():
        values[key.encode()] = len(strings)
        strings += rep.encode() + b"\0"
    trie = darts(values)
    return struct.pack("<I", len(trie)) + trie + strings


def model(pieces, trainer, normalizer):
    return b"".join(pieces) + field_bytes(2, trainer) + field_bytes(3, normalizer)


def main(out):
    base = ["<unk>", "<s>", "</s>"]
    words = ["\u2581the", "\u2581cat", "\u2581sat", "\u2581on", "\u2581mat", "at", "th", "e", "c", "s", "o", "n",
             "m", "a", "t", "\u2581", "fi", "\u00e9", "\u2581caf", "\u2581caf\u00e9"]
    ps = [piece(base[0], 0, 2), piece(base[1], 0, 3), piece(base[2], 0, 3)]
    ps += [piece(w, -1.0 - 0.5 * i) for i, w in enumerate(words)]
    rules = {"\uff21": "A", "\ufb01": "fi", "\u0001": "", "\t": " ", "e\u0301": "\u00e9", "\u3000": " "}
    uni = model(ps, field_varint(3, 1) + field_varint(4, len(ps)),
                field_bytes(1, b"nmt_nfkc") + field_bytes(2, charsmap(rules)))
    open(f"{out}/unigram_charsmap.model", "wb").write(uni)

    ps = [piece(base[0], 0, 2), piece(base[1], 0, 3), piece(base[2], 0, 3), piece("<sep>", 0, 4)]
    ps += [piece("<0x%02X>" % b, 0, 6) for b in range(256)]
    merges = ["\u2581t", "he", "\u2581the", "at", "\u2581c", "\u2581cat", "12", "\u2581s", "\u2581sat"]
    ps += [piece(m, -float(i)) for i, m in enumerate(merges)]
    ps += [piece("\u2581cat" + "s", -20.0, 5)]  # unused: split again into its merges
    ps += [piece(c, -30.0 - i) for i, c in enumerate("\u2581thecas12")]
    bpe = model(ps, field_varint(3, 2) + field_varint(35, 1) + field_varint(25, 1),
                field_bytes(1, b"identity") + field_varint(4, 0))
    open(f"{out}/bpe_bytefallback.model", "wb").write(bpe)

    ps = [piece(base[0], 0, 2)] + [piece(w, -1.0 - i) for i, w in enumerate(words)]
    ident = model(ps, field_varint(3, 1), field_bytes(1, b"identity") + field_varint(3, 0) + field_varint(4, 0)
                  + field_varint(5, 0))
    open(f"{out}/identity_spaces.model", "wb").write(ident)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/spm")
