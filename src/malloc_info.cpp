// dlmalloc's reporting and tuning calls under their standard names (wasm):
// programs that ask their allocator how much memory they use, or tell it
// how to behave, link with wasmheap as with Emscripten's allocators. An
// object of its own, so the malloc family carries none of it.
#include <wasmheap/wasmheap.h>

#include <climits>
#include <cstddef>

#if defined(__EMSCRIPTEN__)
#include <malloc.h>  // struct mallinfo, as Emscripten's dlmalloc and emmalloc define it
#else
// wasi-libc declares no mallinfo; this is dlmalloc's layout, which programs
// that declare it themselves expect.
struct mallinfo {
  int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
#endif

// glibc's mallinfo2: the same fields as size_t. No libc here declares it.
struct mallinfo2 {
  std::size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};

namespace {
template <class Info, class Field>
Info convert(Field (*field)(std::size_t)) {
  wasmheap_mallinfo m;
  wasmheap_get_mallinfo(&m);
  return Info{field(m.arena),  field(m.ordblks), field(m.smblks),   field(m.hblks),    field(m.hblkhd),
              field(m.usmblks), field(m.fsmblks), field(m.uordblks), field(m.fordblks), field(m.keepcost)};
}
// mallinfo's int fields cannot hold 2 GiB or more; they saturate.
int saturate(std::size_t x) { return x > INT_MAX ? INT_MAX : static_cast<int>(x); }
std::size_t same(std::size_t x) { return x; }
}  // namespace

extern "C" {

struct mallinfo mallinfo(void) { return convert<struct mallinfo>(saturate); }
struct mallinfo2 mallinfo2(void) { return convert<struct mallinfo2>(same); }

// wasm memory cannot shrink: whatever the pad, this gives the heap's
// reserves back to its own free runs, and says whether there were any.
int malloc_trim(std::size_t) { return wasmheap_trim(); }

// The heap has nothing to tune at run time: like dlmalloc, it accepts the
// options dlmalloc knows (M_TRIM_THRESHOLD -1, M_GRANULARITY -2,
// M_MMAP_THRESHOLD -3) with 1 and ignores them, and answers 0 to others.
int mallopt(int param, int) { return param >= -3 && param <= -1 ? 1 : 0; }

}  // extern "C"
