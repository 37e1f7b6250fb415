/* The inspector's live demo (tools/inspector/demo.html): a program built with
 * Emscripten over wasmheap (-sMALLOC=none) whose phases the page steps from
 * JS, taking a snapshot (wasmheap_snapshot) after each. It has no main: the
 * page calls the exported functions. Build: tools/inspector/build_demo.sh.
 *
 *   int demo_steps(void)              how many phases there are
 *   const char* demo_step_name(int i) a phase's name
 *   int demo_step(int i)              runs phase i (in order, from 0); its
 *                                     live blocks after it
 */
#include <wasmheap/wasmheap.h>

#include <emscripten/emscripten.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A linked list of small nodes, a hash table of strings, a growing vector, a
 * few images: what a program might hold. All the bookkeeping is static. */
struct node {
  struct node* next;
  int value;
  char payload[20];
};
#define WORDS 3000
#define IMAGES 10
#define BLOBS 400
static struct node* list;
static char* words[WORDS];
static unsigned char* images[IMAGES];
static void* blobs[BLOBS];
static double* vec;
static size_t vec_len, vec_cap;

static uint32_t seed = 2024;
static uint32_t next_random(void) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 8) & 0xffffff;
}
static size_t between(size_t lo, size_t hi) { return lo + next_random() % (hi - lo + 1); }

static void push(double x) {
  if (vec_len == vec_cap) {
    vec_cap = vec_cap ? vec_cap * 2 : 16;
    vec = realloc(vec, vec_cap * sizeof *vec);
  }
  vec[vec_len++] = x;
}

static const char* const names[] = {
    "start",
    "list of 5,000 nodes",
    "3,000 words of 4-60 B",
    "10 images of 32-256 KiB",
    "vector grows to 64 K doubles",
    "400 blobs of 1-12 KiB",
    "every other node freed",
    "most words freed",
    "images 0, 2, 4, ... freed",
    "half the blobs freed",
    "trim: empty slabs back to free runs",
    "vector freed; 2,000 new words",
    "everything freed",
};
#define STEPS ((int)(sizeof names / sizeof names[0]))

EMSCRIPTEN_KEEPALIVE int demo_steps(void) { return STEPS; }
EMSCRIPTEN_KEEPALIVE const char* demo_step_name(int i) { return i >= 0 && i < STEPS ? names[i] : ""; }

EMSCRIPTEN_KEEPALIVE int demo_step(int step) {
  switch (step) {
    case 0: break;
    case 1:
      for (int i = 0; i < 5000; ++i) {
        struct node* n = malloc(sizeof *n);
        n->value = i;
        n->next = list;
        list = n;
      }
      break;
    case 2:
      for (int i = 0; i < WORDS; ++i) {
        size_t len = between(4, 60);
        words[i] = malloc(len);
        memset(words[i], 'a' + i % 26, len - 1);
        words[i][len - 1] = 0;
      }
      break;
    case 3:
      for (int i = 0; i < IMAGES; ++i) images[i] = calloc(between(32, 256), 1024);
      break;
    case 4:
      for (int i = 0; i < 65536; ++i) push(i * 0.5);
      break;
    case 5:
      for (int i = 0; i < BLOBS; ++i) blobs[i] = malloc(between(1024, 12 * 1024));
      break;
    case 6: {
      /* Unlink and free every other node. */
      for (struct node* n = list; n && n->next; n = n->next) {
        struct node* dead = n->next;
        n->next = dead->next;
        free(dead);
      }
      break;
    }
    case 7:
      for (int i = 0; i < WORDS; ++i)
        if (i % 4) {
          free(words[i]);
          words[i] = NULL;
        }
      break;
    case 8:
      for (int i = 0; i < IMAGES; i += 2) {
        free(images[i]);
        images[i] = NULL;
      }
      break;
    case 9:
      for (int i = 0; i < BLOBS; i += 2) {
        free(blobs[i]);
        blobs[i] = NULL;
      }
      break;
    case 10: wasmheap_trim(); break;
    case 11:
      free(vec);
      vec = NULL;
      vec_len = vec_cap = 0;
      for (int i = 0, made = 0; i < WORDS && made < 2000; ++i)
        if (!words[i]) {
          words[i] = malloc(between(8, 40));
          ++made;
        }
      break;
    case 12:
      while (list) {
        struct node* next = list->next;
        free(list);
        list = next;
      }
      for (int i = 0; i < WORDS; ++i) free(words[i]), words[i] = NULL;
      for (int i = 0; i < IMAGES; ++i) free(images[i]), images[i] = NULL;
      for (int i = 0; i < BLOBS; ++i) free(blobs[i]), blobs[i] = NULL;
      break;
    default: return -1;
  }
  struct wasmheap_stats s;
  wasmheap_get_stats(&s);
  return (int)s.blocks_live;
}
