/* tree-sitter (the runtime from the npm package tree-sitter, the JavaScript
 * grammar from tree-sitter-javascript) parsing a large real JavaScript file,
 * embedded in the module by a generated C file (build/gen/js_input.c, see
 * lib/build.mjs). One run: a new parser; a full parse; a walk over every
 * node; an edit (a statement inserted in the middle) and an incremental
 * re-parse reusing the old tree; the changed ranges; a walk of the new tree;
 * everything freed. tree-sitter allocates with malloc, calloc, realloc and
 * free (its defaults), so every block comes from the variant's allocator. */
#include <tree_sitter/api.h>

#include "real.h"

extern const unsigned char real_js_input[];
extern const unsigned int real_js_input_len;
/* real_js_input_len + REAL_JS_SCRATCH_EXTRA bytes, for the edited copy. */
extern unsigned char real_js_scratch[];
#define REAL_JS_SCRATCH_EXTRA 256

const TSLanguage* tree_sitter_javascript(void);

/* Every node in document order: its count, and a hash of each node's symbol
 * and length. */
static uint64_t walk(TSTree* tree, uint64_t h, uint64_t* nodes) {
  TSNode root = ts_tree_root_node(tree);
  h = real_hash_u64(h, ts_node_has_error(root));
  TSTreeCursor c = ts_tree_cursor_new(root);
  uint64_t n = 0;
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(&c);
    h = real_hash_u64(h, ((uint64_t)ts_node_symbol(node) << 32) | (ts_node_end_byte(node) - ts_node_start_byte(node)));
    n++;
    if (ts_tree_cursor_goto_first_child(&c)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&c)) {
      if (!ts_tree_cursor_goto_parent(&c)) {
        ts_tree_cursor_delete(&c);
        *nodes = n;
        return real_hash_u64(h, n);
      }
    }
  }
}

static const char inserted[] = "var benchEdit = [1, 2, 3];\n";

void wl_treesitter_parse(void) {
  const char* src = (const char*)real_js_input;
  uint32_t len = real_js_input_len;
  TSParser* parser = ts_parser_new();
  if (!ts_parser_set_language(parser, tree_sitter_javascript())) real_fatal("ts_parser_set_language", "ABI version mismatch");

  TSTree* tree = ts_parser_parse_string(parser, NULL, src, len);
  if (!tree) real_fatal("ts_parser_parse_string", "no tree");
  uint64_t nodes = 0, nodes2 = 0;
  uint64_t h = walk(tree, REAL_HASH_SEED, &nodes);

  /* Insert a line after the first newline past the middle of the file. */
  uint32_t at = len / 2;
  while (at < len && src[at] != '\n') at++;
  if (at < len) at++;
  uint32_t row = 0;
  for (uint32_t i = 0; i < at; i++) row += src[i] == '\n';
  uint32_t add = sizeof inserted - 1;
  if (add > REAL_JS_SCRATCH_EXTRA) real_fatal("treesitter_parse", "scratch too small");
  memcpy(real_js_scratch, src, at);
  memcpy(real_js_scratch + at, inserted, add);
  memcpy(real_js_scratch + at + add, src + at, len - at);
  TSInputEdit edit = {
      .start_byte = at,
      .old_end_byte = at,
      .new_end_byte = at + add,
      .start_point = {row, 0},
      .old_end_point = {row, 0},
      .new_end_point = {row + 1, 0},
  };
  ts_tree_edit(tree, &edit);
  TSTree* tree2 = ts_parser_parse_string(parser, tree, (const char*)real_js_scratch, len + add);
  if (!tree2) real_fatal("ts_parser_parse_string", "no tree after the edit");
  uint32_t changed = 0;
  TSRange* ranges = ts_tree_get_changed_ranges(tree, tree2, &changed);
  free(ranges);
  h = real_hash_u64(h, changed);
  h = walk(tree2, h, &nodes2);
  if (nodes2 <= nodes) real_fatal("treesitter_parse", "the edit added no nodes");

  ts_tree_delete(tree);
  ts_tree_delete(tree2);
  ts_parser_delete(parser);
  bench_c.checksum = h;
}
