/* Makes a recording for the heap inspector: a program that goes through a few
 * phases (small strings, records, big buffers, frees that leave holes, a
 * growing array, a trim) and takes a snapshot of the heap after each one.
 *
 *   clang-19 --target=wasm32-wasi -O2 tools/inspector/record.c -Iinclude \
 *       -Lbuild/wasm32-wasi -lwasmheap -o record.wasm
 *   node --no-warnings tests/node/run_wasi.mjs record.wasm recording.whsn
 *
 * writes the snapshots one after another to recording.whsn (open it with
 * tools/inspector/index.html) and prints, for each, one JSON line with what
 * wasmheap_get_stats() and wasmheap_get_fragmentation() said at the same
 * moment (tests/inspector/ compares the page with these). */
#include <wasmheap/wasmheap.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything the program keeps is in static arrays, so the heap holds only
 * what the phases allocate (and stdio's buffers). */
#define STRINGS 4000
#define RECORDS 900
#define BUFFERS 12
#define MEDIUM 90
static char* strings[STRINGS];
static void* records[RECORDS];
static void* buffers[BUFFERS];
static void* medium[MEDIUM];
static unsigned char* vec;
static size_t vec_len;

static uint32_t recording[1 << 19]; /* 2 MiB: room for many snapshots */
static size_t recorded;             /* bytes */
static struct wasmheap_fragmentation frag;
static struct wasmheap_stats stats;

static uint32_t seed = 12345;
static uint32_t next_random(void) {
  seed = seed * 1664525u + 1013904223u;
  return seed >> 8;
}
static size_t between(size_t lo, size_t hi) { return lo + next_random() % (hi - lo + 1); }

/* Takes a snapshot after the phase `label`, with the C API's own figures for
 * the same moment (nothing allocates between them). */
static void snapshot(const char* label) {
  wasmheap_get_stats(&stats);
  wasmheap_get_fragmentation(&frag);
  size_t room = sizeof recording - recorded;
  size_t n = wasmheap_snapshot((char*)recording + recorded, room);
  if (n == 0 || n > room) {
    fprintf(stderr, "record: no room for a snapshot of %zu bytes\n", n);
    exit(1);
  }
  const uint32_t* h = (const uint32_t*)((char*)recording + recorded);
  recorded += n;
  printf("{\"label\":\"%s\",\"sequence\":%u,\"snapshot_bytes\":%zu,\"units\":%u,\"memory_pages\":%zu,"
         "\"bytes_live\":%zu,\"bytes_held\":%zu,\"bytes_held_peak\":%zu,\"pages_grown\":%zu,"
         "\"blocks_live\":%zu,\"big_blocks_live\":%zu,"
         "\"heap_bytes\":%zu,\"map_bytes\":%zu,\"foreign_bytes\":%zu,\"slab_bytes\":%zu,\"big_bytes\":%zu,"
         "\"big_blocks\":%zu,\"free_runs\":%zu,\"free_run_bytes\":%zu,\"largest_free_run\":%zu,\"top_free_bytes\":%zu,"
         "\"free_runs_by_length\":[",
         label, h[17], n, h[7], (size_t)__builtin_wasm_memory_size(0), stats.bytes_live, stats.bytes_held,
         stats.bytes_held_peak, stats.pages_grown, stats.blocks_live, stats.big_blocks_live, frag.heap_bytes,
         frag.map_bytes, frag.foreign_bytes, frag.slab_bytes, frag.big_bytes, frag.big_blocks, frag.free_runs,
         frag.free_run_bytes, frag.largest_free_run, frag.top_free_bytes);
  for (int b = 0; b < WASMHEAP_RUN_BUCKETS; ++b) printf("%s%zu", b ? "," : "", frag.free_runs_by_length[b]);
  printf("],\"classes\":[");
  int first = 1;
  for (size_t c = 0; c < frag.class_count; ++c) {
    const struct wasmheap_class_summary* k = &frag.classes[c];
    if (k->slabs == 0 && k->slots_live == 0) continue;
    printf("%s{\"id\":%zu,\"slot_size\":%zu,\"slabs\":%zu,\"slots_live\":%zu,\"slots_free\":%zu}", first ? "" : ",", c,
           k->slot_size, k->slabs, k->slots_live, k->slots_free);
    first = 0;
  }
  printf("]}\n");
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: record OUT.whsn\n");
    return 2;
  }
  /* stdout's buffer, before the first snapshot. */
  printf("{\"program\":\"record\"}\n");
  snapshot("start");

  /* Short strings of mixed lengths, as a parser or a DOM would make. */
  for (int i = 0; i < STRINGS; ++i) {
    size_t len = i % 7 == 0 ? between(40, 200) : between(4, 48);
    strings[i] = malloc(len);
    memset(strings[i], 'a' + i % 26, len);
  }
  snapshot("strings");

  /* Records of a few hundred bytes. */
  for (int i = 0; i < RECORDS; ++i) records[i] = calloc(1, between(160, 900));
  snapshot("records");

  /* Big buffers, 20 KiB to 200 KiB. */
  for (int i = 0; i < BUFFERS; ++i) buffers[i] = malloc(between(20, 200) << 10);
  snapshot("buffers");

  /* Two strings in three die: slabs stay, partly empty. */
  for (int i = 0; i < STRINGS; ++i)
    if (i % 3) {
      free(strings[i]);
      strings[i] = NULL;
    }
  snapshot("free strings");

  /* Every other buffer goes: holes between the ones that stay. */
  for (int i = 0; i < BUFFERS; i += 2) {
    free(buffers[i]);
    buffers[i] = NULL;
  }
  snapshot("free buffers");

  /* An array that doubles as it grows, as a vector does. */
  vec_len = 1024;
  vec = malloc(vec_len);
  while (vec_len < (512u << 10)) {
    vec_len *= 2;
    vec = realloc(vec, vec_len);
    memset(vec + vec_len / 2, 7, vec_len / 2);
  }
  snapshot("growing array");

  /* Blocks of 1 to 8 KiB: slabs of the classes above 1 KiB. */
  for (int i = 0; i < MEDIUM; ++i) medium[i] = malloc(between(1100, 8000));
  snapshot("medium blocks");

  /* Most records and half the medium blocks die. */
  for (int i = 0; i < RECORDS; ++i)
    if (i % 5) {
      free(records[i]);
      records[i] = NULL;
    }
  for (int i = 0; i < MEDIUM; i += 2) {
    free(medium[i]);
    medium[i] = NULL;
  }
  snapshot("free records");

  /* Empty slabs go back to the free runs. */
  wasmheap_trim();
  snapshot("trim");

  /* The array goes, and new small strings fill the gaps. */
  free(vec);
  vec = NULL;
  for (int i = 0; i < STRINGS; ++i)
    if (!strings[i] && i % 2) strings[i] = malloc(between(8, 64));
  snapshot("refill");

  FILE* out = fopen(argv[1], "wb");
  if (!out || fwrite(recording, 1, recorded, out) != recorded || fclose(out) != 0) {
    fprintf(stderr, "record: cannot write %s\n", argv[1]);
    return 1;
  }
  fprintf(stderr, "record: %zu bytes of snapshots written to %s\n", recorded, argv[1]);
  return 0;
}
