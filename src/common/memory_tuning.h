// Process-wide allocator settings for long-running hepflow processes. glibc hands every freed
// buffer above its mmap/trim thresholds back to the kernel, so code that allocates per batch
// pays a page fault per 4 KiB on every batch (7-16 us each on small VMs, more than the work).
#pragma once

namespace hepflow {

// Keeps freed memory in the process for reuse: buffers up to 32 MiB (glibc's largest allowed
// mmap threshold on 64-bit) come from the heap, and the heap is trimmed only past 1 GiB of free
// memory. Call once at start-up (the CLI and the benchmarks do). Returns false if glibc
// refused a setting (other C libraries: a no-op returning false).
bool keepFreedMemoryForReuse();

}  // namespace hepflow
