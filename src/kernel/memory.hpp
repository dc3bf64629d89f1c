// How a contain process uses memory. Its commands live a few milliseconds, on
// VMs where each page fault and each munmap traps to the hypervisor (5–10 µs
// each on the development VM): memory is taken from the heap, kept once
// freed, and populated in one call where we know it will be touched.
#pragma once

#include <cstddef>

namespace contain::kernel {

// Serves every allocation from the heap and never gives freed memory back
// (glibc maps each block over 128 KiB on its own and unmaps it when freed;
// libnftables makes several of those per transaction). Call first in main().
void keep_heap();

// Makes the next `bytes` of heap allocations land on pages that are already
// present: one madvise(MADV_POPULATE_WRITE) instead of a fault per page on
// first touch (about 1 µs a page here instead of 5–10). Does nothing unless
// keep_heap() was called; best effort (kernels before 5.14 just take the faults).
void prefault_heap(std::size_t bytes);

// For a process that stays (a container's monitor, once the container runs):
// gives the free memory of the heap back to the kernel.
void give_back_free_memory();

}  // namespace contain::kernel
