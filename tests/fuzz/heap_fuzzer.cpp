// Differential fuzzing of Heap<SimulatedMemory> against a reference model,
// with the class policy that ships (QuarterClasses), or, built with
// WASMHEAP_FUZZ_POW2_CLASSES, the power-of-two one.
//
// Each input is a little program for a fresh heap: two bytes pick the page cap
// (so out-of-memory happens), then every op is an opcode byte followed by the
// operand bytes it reads. Running out of input reads zeros, so every byte
// string is a valid program. After every op the model checks that
//   - a request that fits under the cap succeeds, and a request with a bad
//     alignment or an impossible size fails (and sets errno as C says);
//   - every live block is aligned as asked, keeps its bytes (fill patterns),
//     has exactly the usable size its class or unit count gives, and
//     overlaps no other;
//   - calloc memory reads as zero;
//   - heap.stats() equals the model's statistics, and heap.check() is nullptr.
// At the end every block is freed (sized or unsized) and the heap must be empty
// and still serve a request that fits under the cap.
//
// Built with -fsanitize=fuzzer it is a libFuzzer target; built without, with
// replay_main.cpp, it replays the files it is given (the committed corpus).
#include <wasmheap/malloc_family.hpp>
#include "../test_heap.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace wasmheap::fuzz {
namespace {

#if defined(WASMHEAP_FUZZ_POW2_CLASSES)
using Classes = PowerOfTwoClasses;
#else
using Classes = QuarterClasses;
#endif
using TestHeap = Heap<SimulatedMemory, Classes>;
namespace mf = malloc_family;

[[noreturn]] void fail(const char* what, std::size_t step) {
  std::fprintf(stderr, "heap_fuzzer: step %zu: %s\n", step, what);
  std::abort();
}

// Reads the input front to back; past its end every byte is zero.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::size_t u16() { return byte() | std::size_t{byte()} << 8; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

enum Op : std::uint8_t {
  alloc,
  free_sized,
  free_unsized,
  resize,
  remap,
  realloc,
  usable_size,
  calloc,
  aligned,
  reallocarray,
  set_cap,
  free_all,
  op_count
};

constexpr std::size_t max_cap_pages = 512;  // 32 MiB: room for a few multi-MiB blocks
constexpr std::size_t max_live = 256;
constexpr std::size_t max_steps = 4096;

// Lengths where behaviour changes: every class boundary and its neighbours,
// tiny, whole pages (64 KiB +/- 1), multi-MiB, and sizes no heap can give.
std::size_t read_len(Input& in) {
  static constexpr std::size_t impossible[] = {
      SIZE_MAX, SIZE_MAX - page_size + 1, SIZE_MAX / 2 + 1, max_block_size + 1, max_block_size,
      std::size_t{1} << 32, (std::size_t{1} << 32) - 1};
  std::uint8_t kind = in.byte() % 8, v = in.byte();
  switch (kind) {
    case 0:
    case 1:
    case 2: return Classes::slot_size(v % Classes::count) + in.byte() % 3 - 1;
    case 3: return v % 5;
    case 4: return (1 + v % 24) * page_size + in.byte() % 3 - 1;
    case 5: return ((1 + std::size_t{v} % 8) << 20) + in.byte() % 3 - 1;
    case 6: return impossible[v % std::size(impossible)];
    default: return v | std::size_t{in.byte()} << 8;
  }
}

// Alignments 1 .. 64 KiB, larger ones up to 2 GiB (which need slack pages),
// and values that are not powers of two (or exceed any address).
std::size_t read_align(Input& in) {
  static constexpr std::size_t invalid[] = {0, 3, 6, 24, 48, 100, page_size + 1, SIZE_MAX,
                                            std::size_t{1} << (sizeof(std::size_t) * 8 - 1)};
  std::uint8_t kind = in.byte() % 4, v = in.byte();
  switch (kind) {
    case 0: return 1;
    case 1: return std::size_t{1} << (v % 17);
    case 2: return std::size_t{1} << (17 + v % 15);
    default: return invalid[v % std::size(invalid)];
  }
}

std::size_t read_count(Input& in) {
  static constexpr std::size_t counts[] = {0, 1, 2, 3, 7, 16, SIZE_MAX / 2 + 1, SIZE_MAX};
  return counts[in.byte() % std::size(counts)];
}

// Fill patterns, a word at a time: byte i of a block with seed s is byte i % 8
// of word(s, i / 8), so a block's bytes differ from another block's and from
// a shifted copy of its own. Blocks are at least 8-aligned, so the words are
// aligned too.
std::uint64_t pattern_word(std::uint32_t seed, std::size_t w) {
  return (w + 1) * 0x9E3779B97F4A7C15u ^ (seed + std::uint64_t{1}) * 0xD6E8FEB86659FD93u;
}
std::byte pattern_byte(std::uint32_t seed, std::size_t i) {
  return static_cast<std::byte>(pattern_word(seed, i / 8) >> (i % 8 * 8));
}

// Loops over block contents stay out of coverage tracing: it would record every
// word compared, which slows fuzzing many times over and tells libFuzzer
// nothing about the heap's decisions.
[[gnu::noinline, clang::no_sanitize("coverage")]] void fill_pattern(std::byte* p, std::size_t from, std::size_t to,
                                                                     std::uint32_t seed) {
  std::size_t i = from;
  for (; i < to && i % 8 != 0; ++i) p[i] = pattern_byte(seed, i);
  for (; i + 8 <= to; i += 8) {
    std::uint64_t word = pattern_word(seed, i / 8);
    std::memcpy(p + i, &word, 8);
  }
  for (; i < to; ++i) p[i] = pattern_byte(seed, i);
}

[[gnu::noinline, clang::no_sanitize("coverage")]] bool pattern_intact(const std::byte* p, std::size_t from,
                                                                       std::size_t to, std::uint32_t seed) {
  bool intact = true;
  std::size_t i = from;
  for (; i < to && i % 8 != 0; ++i) intact &= p[i] == pattern_byte(seed, i);
  for (; i + 8 <= to; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    intact &= word == pattern_word(seed, i / 8);
  }
  for (; i < to; ++i) intact &= p[i] == pattern_byte(seed, i);
  return intact;
}

[[gnu::noinline, clang::no_sanitize("coverage")]] bool all_zero(const std::byte* p, std::size_t n) {
  std::uint64_t any = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    any |= word;
  }
  for (; i < n; ++i) any |= std::to_integer<std::uint64_t>(p[i]);
  return any == 0;
}

// The bytes of a block the model fills and checks: all of them up to 4 KiB;
// beyond that, the first 64 bytes of every 4 KiB (of every 64 KiB page, in
// blocks of pages) and the last 256 bytes: where the heap keeps its own links
// and where a misplaced slot or page would show. A step then costs time in
// proportion to a block's pages, not its bytes (nor the OS pages it would
// fault in), so multi-MiB blocks do not slow fuzzing to a crawl. The pattern
// depends on the offset alone, so filling a byte twice never hurts.
template <class Range>
void for_each_sample(std::size_t len, Range&& range) {
  constexpr std::size_t small = 4096, head = 64, tail = 256;
  if (len <= small) return range(std::size_t{0}, len);
  std::size_t every = len > page_size ? page_size : small;
  for (std::size_t at = 0; at < len - tail; at += every) range(at, std::min(at + head, len - tail));
  range(len - tail, len);
}

// The units a big block of len bytes takes, whatever class len would have
// (a big block shrunk in place keeps its units for a small length).
std::size_t big_footprint(std::size_t len) {
  if (len > max_block_size) return SIZE_MAX;  // no block: units_for would overflow
  return std::max<std::size_t>(units_for(len), 1) << unit_shift;
}

// The usable size the heap must report for a (len, align) request: its slot,
// or the 1 KiB units it takes (at least one); SIZE_MAX when no block can be that big.
std::size_t footprint(std::size_t len, std::size_t align) {
  unsigned c = Classes::class_of(len, align);
  if (c < Classes::count) return Classes::slot_size(c);
  return big_footprint(len);
}

bool is_small(std::size_t len, std::size_t align) { return Classes::class_of(len, align) < Classes::count; }

struct Block {
  std::byte* p;
  std::size_t len;    // bytes the caller asked for (and may use)
  std::size_t align;  // with len, what a sized free or resize must pass
  std::size_t size;   // usable size the model expects
  std::uint32_t seed;
  unsigned slot_class = Classes::count;  // the class of its slot; Classes::count for a big block
};

class Model {
 public:
  explicit Model(Input& in) : in_(in), heap_(test::make_heap<Classes>(1 + in.u16() % max_cap_pages)) {
    cap_ = heap_->memory().max_pages();
    live_.reserve(max_live);
  }

  // Runs the input's ops; returns how many.
  std::size_t run() {
    while (!in_.done() && step_ < max_steps) {
      step();
      verify();
      ++step_;
    }
    finish();
    return step_;
  }

 private:
  enum class Expect { success, failure, either };

  // What a request must do: fail if it is invalid or impossible, succeed if
  // the pages it could need still fit under the cap, else either. Growing
  // past what the unit map covers also grows memory for the map, 4 B per
  // unit up to the new top (at most two pages more than that, rounding).
  Expect expect(std::size_t len, std::size_t align) const {
    if (!is_power_of_two(align)) return Expect::failure;
    std::size_t grown = heap_->stats().pages_grown, need = 1;  // a slab is at most a page of units
    if (!is_small(len, align)) {
      if (len > max_block_size || align > max_block_size) return Expect::failure;
      std::size_t slack = align > unit_size ? (align >> unit_shift) - 1 : 0;
      std::size_t units = std::max<std::size_t>(units_for(len), 1) + slack;
      if (units > max_units) return Expect::failure;
      need = pages_for(units << unit_shift);
    }
    if ((grown + need) * units_per_page > heap_->map().capacity())
      need += pages_for((grown + need) * units_per_page * sizeof(std::uint32_t)) + 2;
    return grown + need <= cap_ ? Expect::success : Expect::either;
  }

  void check_outcome(Expect want, bool succeeded, const char* what) const {
    if (want == Expect::success && !succeeded) fail(what, step_);
    if (want == Expect::failure && succeeded) fail(what, step_);
  }

  void step() {
    Op op = static_cast<Op>(in_.byte() % op_count);
    if (live_.empty() && op != set_cap && op != calloc && op != aligned) op = alloc;
    if (live_.size() >= max_live && (op == alloc || op == calloc || op == aligned)) op = free_unsized;
    switch (op) {
      case alloc: {
        std::size_t len = read_len(in_), align = read_align(in_);
        Expect want = expect(len, align);
        void* p = heap_->alloc(len, align);
        check_outcome(want, p != nullptr, "alloc outcome");
        if (p != nullptr) add(p, len, align, false);
        break;
      }
      case free_sized:
      case free_unsized: {
        std::size_t i = pick();
        verify_block(live_[i]);
        if (op == free_sized)
          heap_->free(live_[i].p, live_[i].len, live_[i].align);
        else
          heap_->free(live_[i].p);
        forget(i);
        break;
      }
      case resize:
      case remap: {
        Block& b = live_[pick()];
        std::size_t new_len = in_.byte() % 2 ? read_len(in_) : near(b.len);
        verify_block(b);
        bool ok = op == resize ? heap_->resize(b.p, b.len, b.align, new_len)
                               : heap_->remap(b.p, b.len, b.align, new_len) == b.p;
        check_resize_outcome(b, new_len, ok);
        if (ok) resized(b, new_len, b.align, b.p);
        break;
      }
      case realloc: {
        // From null it adds a block, which the model has room for only below max_live.
        bool from_null = in_.byte() % 8 == 0 && live_.size() < max_live;
        std::size_t new_len = in_.byte() % 2 ? read_len(in_) : (live_.empty() ? 0 : near(live_[0].len));
        if (from_null) {
          Expect want = expect(new_len, 1);
          void* p = heap_->realloc(nullptr, new_len);
          check_outcome(want, p != nullptr, "realloc(nullptr) outcome");
          if (p != nullptr) add(p, new_len, 1, false);
          break;
        }
        realloc_block(pick(), new_len, [&](void* p) { return mf::realloc(*heap_, p, new_len); });
        break;
      }
      case reallocarray: {
        std::size_t count = read_count(in_), size = read_len(in_), bytes = 0;
        if (__builtin_mul_overflow(count, size, &bytes)) {
          Block& b = live_[pick()];
          errno = 0;
          if (mf::reallocarray(*heap_, b.p, count, size) != nullptr || errno != ENOMEM)
            fail("reallocarray overflow must fail with ENOMEM", step_);
          break;
        }
        realloc_block(pick(), bytes, [&](void* p) { return mf::reallocarray(*heap_, p, count, size); });
        break;
      }
      case usable_size: {
        int local = 0;
        if (heap_->usable_size(nullptr) != 0 || heap_->usable_size(&local) != 0)
          fail("usable_size of a foreign pointer", step_);
        if constexpr (!checked_build) heap_->free(&local);  // foreign: ignored (a checked build stops)
        heap_->free(nullptr);
        heap_->free(nullptr, read_len(in_), 1);
        if (!live_.empty()) verify_block(live_[pick()]);
        break;
      }
      case calloc: {
        std::size_t count = read_count(in_), size = read_len(in_), bytes = 0;
        bool overflows = __builtin_mul_overflow(count, size, &bytes);
        Expect want = overflows ? Expect::failure : expect(bytes, 1);
        errno = 0;
        void* p = mf::calloc(*heap_, count, size);
        check_outcome(want, p != nullptr, "calloc outcome");
        if (p == nullptr && errno != ENOMEM) fail("failed calloc must set ENOMEM", step_);
        if (p != nullptr) add(p, bytes, 1, true);
        break;
      }
      case aligned: {
        std::size_t align = read_align(in_), len = read_len(in_);
        Expect want = expect(len, align);
        if (in_.byte() % 2) {
          errno = 0;
          void* p = mf::memalign(*heap_, align, len);
          check_outcome(want, p != nullptr, "memalign outcome");
          if (p == nullptr && errno != (is_power_of_two(align) ? ENOMEM : EINVAL)) fail("memalign errno", step_);
          if (p != nullptr) add(p, len, align, false);
        } else {
          bool valid = is_power_of_two(align) && align % sizeof(void*) == 0;
          void* sentinel = &local_sentinel_;
          void* p = sentinel;
          int rc = mf::posix_memalign(*heap_, &p, align, len);
          if (!valid) {
            if (rc != EINVAL || p != sentinel) fail("posix_memalign must refuse the alignment", step_);
            break;
          }
          check_outcome(want, rc == 0, "posix_memalign outcome");
          if (rc != 0 && (rc != ENOMEM || p != sentinel)) fail("failed posix_memalign must leave *out", step_);
          if (rc == 0) add(p, len, align, false);
        }
        break;
      }
      case set_cap:
        // Lower the cap to what is grown (out of memory from now on) or let
        // memory grow again.
        cap_ = heap_->stats().pages_grown + in_.byte() % 64;
        heap_->memory().set_max_pages(cap_);
        cap_ = heap_->memory().max_pages();
        break;
      case free_all: {
        std::size_t keep = in_.byte() % 4;
        while (live_.size() > keep) {
          verify_block(live_.back());
          heap_->free(live_.back().p);
          forget(live_.size() - 1);
        }
        break;
      }
      default: break;
    }
  }

  // A length close to len, across a class or page boundary half the time.
  std::size_t near(std::size_t len) {
    std::size_t delta = in_.byte() % 130;
    return delta < 65 ? len + delta : len - std::min(len, delta - 64);
  }

  std::size_t pick() { return in_.byte() % live_.size(); }

  // resize: for small blocks, to the class of the block's slot or of its
  // length; for big ones, always to a smaller page count; never between small
  // and big.
  void check_resize_outcome(const Block& b, std::size_t new_len, bool ok) const {
    unsigned c = Classes::class_of(b.len, b.align), new_c = Classes::class_of(new_len, b.align);
    if (b.slot_class < Classes::count) {
      bool stays = new_c == c || new_c == b.slot_class;
      check_outcome(stays ? Expect::success : Expect::failure, ok, "small resize outcome");
    } else if (new_c < Classes::count || new_len > max_block_size) {
      check_outcome(Expect::failure, ok, "big resize to small or impossible");
    } else if (footprint(new_len, b.align) <= b.size) {
      check_outcome(Expect::success, ok, "big shrink in place");
    }
  }

  // realloc and reallocarray: the block stays if its slot's class is the new
  // length's (small), may stay or move (big), and on failure is left as it was.
  // A block that would get smaller never fails: out of memory, it stays
  // (a big one keeps the units of the new length).
  template <class Realloc>
  void realloc_block(std::size_t i, std::size_t new_len, Realloc&& do_realloc) {
    Block& b = live_[i];
    verify_block(b);
    unsigned c = b.slot_class, new_c = Classes::class_of(new_len, 1);
    Expect want = expect(new_len, 1);
    bool same_slot = c < Classes::count && new_c == c;
    bool big_shrink = c == Classes::count && new_c == Classes::count && footprint(new_len, 1) <= b.size;
    if (same_slot || big_shrink || new_len <= b.size) want = Expect::success;
    errno = 0;
    void* q = do_realloc(b.p);
    check_outcome(want, q != nullptr, "realloc outcome");
    if (q == nullptr) {
      if (errno != ENOMEM) fail("failed realloc must set ENOMEM", step_);
      return;
    }
    if ((same_slot || big_shrink) && q != b.p) fail("realloc that fits in place moved the block", step_);
    resized(b, new_len, 1, q);
  }

  void add(void* p, std::size_t len, std::size_t align, bool zeroed) {
    Block b{static_cast<std::byte*>(p), len, align, 0, next_seed_++};
    place(b);
    if (!test::aligned_to(p, align)) fail("block not aligned as asked", step_);
    if (zeroed && !all_zero(b.p, len)) fail("calloc memory not zero", step_);
    fill_samples(b);
    note_alloc(b);
    live_.push_back(b);
  }

  // The slot or units a new block takes: those of its request, or, for a
  // small request, a slot of the class it may borrow from (Heap::may_borrow);
  // verify_block then checks the heap agrees.
  void place(Block& b) const {
    unsigned c = Classes::class_of(b.len, b.align);
    b.slot_class = c;
    if (TestHeap::may_borrow(c) && heap_->usable_size(b.p) == Classes::slot_size(TestHeap::lender_of(c)))
      b.slot_class = TestHeap::lender_of(c);
    b.size = b.slot_class < Classes::count ? Classes::slot_size(b.slot_class) : footprint(b.len, b.align);
  }

  void forget(std::size_t i) {
    note_free(live_[i]);
    live_[i] = live_.back();
    live_.pop_back();
  }

  // The block now holds new_len bytes at q: its first min(old, new) bytes must
  // have survived; then its samples are filled for the new length.
  void resized(Block& b, std::size_t new_len, std::size_t new_align, void* q) {
    std::size_t kept = std::min(b.len, new_len);
    auto* np = static_cast<std::byte*>(q);
    for_each_sample(b.len, [&](std::size_t from, std::size_t to) {
      if (!pattern_intact(np, from, std::min(to, kept), b.seed)) fail("resize or realloc lost the block's bytes", step_);
    });
    if (np != b.p) {
      Block moved{np, new_len, new_align, 0, b.seed};
      place(moved);
      note_alloc(moved);
      note_free(b);
      b = moved;
    } else {
      // A small block keeps its slot; a big one now has the units of new_len.
      std::size_t new_size = b.slot_class < Classes::count ? b.size : big_footprint(new_len);
      bytes_live_ = bytes_live_ - b.size + new_size;
      b.len = new_len;
      b.align = new_align;
      b.size = new_size;
    }
    fill_samples(b);
  }

  void fill_samples(const Block& b) {
    for_each_sample(b.len, [&](std::size_t from, std::size_t to) { fill_pattern(b.p, from, to, b.seed); });
  }

  void note_alloc(const Block& b) {
    bytes_live_ += b.size;
    ++(b.slot_class < Classes::count ? class_live_[b.slot_class] : big_live_);
  }
  void note_free(const Block& b) {
    bytes_live_ -= b.size;
    --(b.slot_class < Classes::count ? class_live_[b.slot_class] : big_live_);
  }

  void verify_block(const Block& b) const {
    if (heap_->usable_size(b.p) != b.size) fail("usable_size differs from the model", step_);
    if (b.size < b.len) fail("usable_size below the requested length", step_);
    if (!test::aligned_to(b.p, b.align)) fail("block lost its alignment", step_);
    for_each_sample(b.len, [&](std::size_t from, std::size_t to) {
      if (!pattern_intact(b.p, from, to, b.seed)) fail("block contents changed", step_);
    });
  }

  void verify() {
    if (const char* problem = heap_->check()) fail(problem, step_);
    auto s = heap_->stats();
    if (s.bytes_live != bytes_live_) fail("stats bytes_live differs from the model", step_);
    if (s.bytes_held < s.bytes_live) fail("stats bytes_held below bytes_live", step_);
    if (s.bytes_held_peak < s.bytes_held) fail("stats bytes_held_peak below bytes_held", step_);
    if (s.blocks_live != live_.size()) fail("stats blocks_live differs from the model", step_);
    if (s.big_blocks_live != big_live_) fail("stats big_blocks_live differs from the model", step_);
    for (unsigned c = 0; c < Classes::count; ++c)
      if (s.class_blocks_live[c] != class_live_[c]) fail("stats class_blocks_live differs from the model", step_);
    if (s.pages_grown != heap_->memory().pages_grown() || s.pages_grown > cap_)
      fail("pages grown past the cap", step_);
    std::array<std::pair<const std::byte*, std::size_t>, max_live> spans;
    for (std::size_t i = 0; i < live_.size(); ++i) {
      verify_block(live_[i]);
      spans[i] = {live_[i].p, live_[i].size};
    }
    std::sort(spans.begin(), spans.begin() + live_.size());
    for (std::size_t i = 1; i < live_.size(); ++i)
      if (spans[i - 1].first + spans[i - 1].second > spans[i].first) fail("live blocks overlap", step_);
  }

  // Every block frees, the heap ends empty, and it serves a request that fits
  // under the cap.
  void finish() {
    for (std::size_t i = 0; i < live_.size(); ++i) {
      const Block& b = live_[i];
      verify_block(b);
      if (i % 2 == 0)
        heap_->free(b.p, b.len, b.align);
      else
        heap_->free(b.p);
    }
    live_.clear();
    bytes_live_ = 0;
    big_live_ = 0;
    class_live_ = {};
    verify();
    // Room for one more page, if the reservation allows.
    heap_->memory().set_max_pages(heap_->stats().pages_grown + 1);
    cap_ = heap_->memory().max_pages();
    Expect want = expect(16, 16);
    void* p = heap_->alloc(16, 16);
    check_outcome(want, p != nullptr, "emptied heap refuses 16 bytes it has room for");
    if (p == nullptr) return;
    add(p, 16, 16, false);
    verify();
    heap_->free(p, 16, 16);
    forget(0);
    verify();
  }

  Input& in_;
  std::unique_ptr<TestHeap> heap_;
  std::vector<Block> live_;
  std::size_t cap_ = 0;
  std::size_t step_ = 0;
  std::size_t bytes_live_ = 0, big_live_ = 0;
  std::array<std::size_t, Classes::count> class_live_ = {};
  std::uint32_t next_seed_ = 1;
  int local_sentinel_ = 0;
};

}  // namespace
}  // namespace wasmheap::fuzz

namespace wasmheap::fuzz {
namespace {

// Operations checked over the whole run, reported when the process ends so a
// long run can state how much it exercised, not only how many inputs.
struct Totals {
  std::size_t ops = 0, inputs = 0;
  ~Totals() { std::fprintf(stderr, "heap_fuzzer: %zu operations checked in %zu inputs\n", ops, inputs); }
} totals;

}  // namespace
}  // namespace wasmheap::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  wasmheap::fuzz::Input in(data, size);
  wasmheap::fuzz::Model model(in);
  wasmheap::fuzz::totals.ops += model.run();
  ++wasmheap::fuzz::totals.inputs;
  return 0;
}
