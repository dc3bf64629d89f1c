#include "kernel/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace contain::kernel {

namespace {
bool heap_kept = false;
}  // namespace

void keep_heap() {
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
  heap_kept = true;
}

void prefault_heap(std::size_t bytes) {
  // Without keep_heap() the block would be mapped on its own and unmapped
  // when freed: nothing to gain.
  if (!heap_kept) return;
  // A block from the top of the heap, populated, then freed: it merges back
  // into the top chunk, which later allocations are carved from.
  void* block = std::malloc(bytes);
  if (!block) return;
  auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto begin = (reinterpret_cast<std::uintptr_t>(block) + page - 1) & ~(page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(block) + bytes) & ~(page - 1);
  if (end > begin)
    (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
  std::free(block);
}

void give_back_free_memory() { ::malloc_trim(0); }

}  // namespace contain::kernel
