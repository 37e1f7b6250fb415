#!/usr/bin/env python3
"""Writes the seed corpus for heap_fuzzer.cpp into tests/fuzz/corpus/.

Each seed is a hand-written program in the fuzzer's input encoding (see the
top of heap_fuzzer.cpp), aimed at one region of behaviour, so fuzzing starts
from inputs that already reach every path: class boundaries, big blocks
growing and shrinking in place, realloc between kinds, over-aligned blocks,
calloc, out-of-memory under a small cap and recovery, impossible requests.
Other files in corpus/ are inputs the fuzzer found, kept as regression tests
(empty_slabs_under_cap: after every block is freed, both pages under a
two-page cap are empty slabs of other classes, and a 16 B request arrives;
map_grows_for_failed_request: under a two-page cap, a request aligned to
2 GiB fails, and the unit map has grown into both pages first).
"""
import os
import random
import struct

ALLOC, FREE_SIZED, FREE_UNSIZED, RESIZE, REMAP, REALLOC, USABLE, CALLOC, ALIGNED, REALLOCARRAY, SET_CAP, FREE_ALL = range(12)
CLASSES = 13


def cap(pages):  # the fuzzer uses 1 + value % 512 pages
    return struct.pack('<H', pages - 1)


def slot(c, delta):  # slot_size(c) + delta, delta in -1..1
    return bytes([0, c, delta + 1])


def tiny(n):
    return bytes([3, n])


def pages(n, delta=0):  # n pages (1..24) + delta
    return bytes([4, n - 1, delta + 1])


def mib(n, delta=0):  # n MiB (1..8) + delta
    return bytes([5, n - 1, delta + 1])


def impossible(i):
    return bytes([6, i])


def raw(n):
    return bytes([7, n & 0xff, n >> 8])


def align(log2=None, invalid=None):
    if invalid is not None:
        return bytes([3, invalid])
    if log2 is None or log2 == 0:
        return bytes([0, 0])
    if log2 <= 16:
        return bytes([1, log2])
    return bytes([2, log2 - 17])


def alloc(length, al=None):
    return bytes([ALLOC]) + length + (al or align())


def resize(i, length, op=RESIZE):
    return bytes([op, i, 1]) + length


def realloc(i, length):
    return bytes([REALLOC, 1, 1]) + length + bytes([i])


def seeds():
    s = {}
    s['class_boundaries'] = cap(512) + b''.join(
        alloc(slot(c, d)) for c in range(CLASSES) for d in (-1, 0, 1)) + b''.join(
        bytes([FREE_SIZED if i % 2 else FREE_UNSIZED, i * 7 % 256]) for i in range(39))
    s['big_grow_in_place'] = cap(512) + alloc(pages(1)) + b''.join(
        resize(0, pages(n, d)) for n in range(2, 24, 3) for d in (-1, 0)) + resize(0, pages(1), REMAP) + realloc(0, mib(2)) + realloc(0, mib(4, 1))
    s['realloc_across_kinds'] = cap(512) + alloc(tiny(4)) + b''.join(
        realloc(0, length) for length in (slot(5, 1), slot(12, 1), pages(3), slot(2, 0), mib(1), tiny(0), slot(12, -1)))
    s['aligned'] = cap(512) + b''.join(alloc(raw(100 + k), align(k)) for k in range(0, 21)) + b''.join(
        bytes([ALIGNED]) + align(k) + slot(3, 0) + bytes([k % 2]) for k in range(0, 18)) + b''.join(
        alloc(slot(4, 0), align(invalid=i)) for i in range(9))
    s['calloc'] = cap(512) + b''.join(bytes([CALLOC, c]) + length for c in range(8)
                                       for length in (slot(2, 1), pages(2), tiny(0)))
    s['out_of_memory'] = cap(3) + b''.join(alloc(slot(c % CLASSES, 0)) for c in range(20)) + alloc(pages(2)) + bytes(
        [SET_CAP, 8]) + alloc(pages(4)) + alloc(mib(1)) + bytes([SET_CAP, 0]) + realloc(0, pages(6)) + bytes([FREE_ALL, 1]) + alloc(pages(3))
    s['impossible'] = cap(64) + b''.join(alloc(impossible(i)) for i in range(7)) + b''.join(
        alloc(slot(2, 0), align(invalid=i)) for i in range(9)) + alloc(tiny(1)) + bytes([CALLOC, 7]) + slot(3, 0) + bytes(
        [REALLOCARRAY, 6]) + pages(1) + bytes([0]) + realloc(0, impossible(0))
    s['reuse_after_free_all'] = cap(256) + b''.join(alloc(slot(c % 8, 1)) for c in range(60)) + bytes(
        [FREE_ALL, 0]) + b''.join(alloc(pages(1 + c % 5)) for c in range(12)) + bytes([FREE_ALL, 2]) + b''.join(
        alloc(slot(c % 8, 0)) for c in range(60))
    rng = random.Random(20240601)
    for n in range(4):
        s[f'random_{n}'] = bytes(rng.getrandbits(8) for _ in range(400 + 300 * n))
    return s


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
