//! The zig variant: Zig 0.11's std.heap.WasmAllocator behind the C malloc
//! family, plus the sized API used for the code-size comparison.
//!
//! Zig's allocator is sized: free and resize must be told the block's length
//! and alignment. C's free(ptr) is not, so each malloc-family block carries a
//! header of `a` bytes in front of it (a = the block's alignment, at least 8),
//! whose last 8 bytes hold the log2 of `a` and the requested length. That
//! header is this shim's cost, not the allocator's: it makes every block `a`
//! bytes bigger, which can push it into the next power-of-two class (a 32 B
//! malloc takes a 64 B slot). The sized API has no header.
//!
//! malloc's alignment is 8, like emmalloc's. The header also makes
//! malloc_usable_size exact (the requested length).

const std = @import("std");

const heap = std.heap.wasm_allocator;

/// Alignment of plain malloc, and the smallest header.
const min_log2_align: u8 = 3;

const Header = extern struct {
    log2_align: u32,
    len: u32,
};

inline fn headerOf(p: [*]u8) *Header {
    return @ptrFromInt(@intFromPtr(p) - @sizeOf(Header));
}

fn allocWithHeader(len: usize, log2_align: u8) ?[*]u8 {
    const a = @as(usize, 1) << @intCast(log2_align);
    const total = std.math.add(usize, len, a) catch return null;
    const raw = heap.rawAlloc(total, log2_align, 0) orelse return null;
    const p = raw + a;
    headerOf(p).* = .{ .log2_align = log2_align, .len = @intCast(len) };
    return p;
}

fn freeWithHeader(p: [*]u8) void {
    const h = headerOf(p).*;
    const a = @as(usize, 1) << @intCast(h.log2_align);
    heap.rawFree((p - a)[0 .. h.len + a], @intCast(h.log2_align), 0);
}

fn log2AlignFor(alignment: usize) ?u8 {
    if (alignment == 0 or !std.math.isPowerOfTwo(alignment)) return null;
    return @max(min_log2_align, @as(u8, @intCast(std.math.log2_int(usize, alignment))));
}

export fn malloc(len: usize) ?[*]u8 {
    return allocWithHeader(len, min_log2_align);
}

export fn free(p: ?[*]u8) void {
    if (p) |q| freeWithHeader(q);
}

export fn calloc(count: usize, size: usize) ?[*]u8 {
    const len = std.math.mul(usize, count, size) catch return null;
    const p = allocWithHeader(len, min_log2_align) orelse return null;
    // A freed slot keeps its old bytes (and the free-list link), so zero it.
    @memset(p[0..len], 0);
    return p;
}

export fn realloc(old: ?[*]u8, len: usize) ?[*]u8 {
    const p = old orelse return allocWithHeader(len, min_log2_align);
    const h = headerOf(p);
    const a = @as(usize, 1) << @intCast(h.log2_align);
    const new_total = std.math.add(usize, len, a) catch return null;
    // In place when the allocator allows it: inside the same size class.
    if (heap.rawResize((p - a)[0 .. h.len + a], @intCast(h.log2_align), new_total, 0)) {
        h.len = @intCast(len);
        return p;
    }
    // C's realloc promises malloc's alignment only.
    const q = allocWithHeader(len, min_log2_align) orelse return null;
    @memcpy(q[0..@min(len, h.len)], p[0..@min(len, h.len)]);
    freeWithHeader(p);
    return q;
}

export fn aligned_alloc(alignment: usize, len: usize) ?[*]u8 {
    const l2 = log2AlignFor(alignment) orelse return null;
    return allocWithHeader(len, l2);
}

export fn memalign(alignment: usize, len: usize) ?[*]u8 {
    return aligned_alloc(alignment, len);
}

export fn posix_memalign(out: *?[*]u8, alignment: usize, len: usize) c_int {
    const einval = 28; // WASI's EINVAL
    const enomem = 48; // WASI's ENOMEM
    if (alignment % @sizeOf(usize) != 0) return einval;
    const l2 = log2AlignFor(alignment) orelse return einval;
    out.* = allocWithHeader(len, l2) orelse return enomem;
    return 0;
}

export fn malloc_usable_size(p: ?[*]u8) usize {
    const q = p orelse return 0;
    return headerOf(q).len;
}

// wasi-libc's own callers (atexit, locales) use these names; defining them
// here keeps its dlmalloc out of the link.
export fn __libc_malloc(len: usize) ?[*]u8 {
    return malloc(len);
}
export fn __libc_free(p: ?[*]u8) void {
    free(p);
}
export fn __libc_calloc(count: usize, size: usize) ?[*]u8 {
    return calloc(count, size);
}

// ---- the sized API: straight to the allocator, no header -----------------

fn log2Exact(alignment: usize) u8 {
    return @intCast(std.math.log2_int(usize, @max(alignment, 1)));
}

export fn bench_sized_alloc(len: usize, alignment: usize) ?[*]u8 {
    if (alignment != 0 and !std.math.isPowerOfTwo(alignment)) return null;
    return heap.rawAlloc(len, log2Exact(alignment), 0);
}

export fn bench_sized_free(p: ?[*]u8, len: usize, alignment: usize) void {
    const q = p orelse return;
    heap.rawFree(q[0..len], log2Exact(alignment), 0);
}

export fn bench_sized_resize(p: [*]u8, len: usize, alignment: usize, new_len: usize) c_int {
    return @intFromBool(heap.rawResize(p[0..len], log2Exact(alignment), new_len, 0));
}
