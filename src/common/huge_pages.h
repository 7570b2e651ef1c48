// Restarting the program once so that glibc's malloc backs its heaps with transparent huge
// pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, read only at start-up). On VMs a page fault
// costs 7-16 us; with 4 KiB pages the first touch of a reduction's ~100 MiB of batches and
// baskets is ~20,000 faults (0.2 s of a 1.5 s run), with 2 MiB pages a few hundred.
//
// glibc advises huge pages for the main heap as it grows, but for a thread's own arena only on
// the heap's first size (the first request plus glibc.malloc.top_pad), not as it grows. The
// restart therefore also sets top_pad to a whole thread heap (64 MiB of address space, touched
// only as used), so that each worker thread gets its own huge-paged arena: neither a shared
// arena's lock and cache-line traffic (arena_max=1, hepflow's earlier answer: 10-11% slower
// at 2 threads once reads got faster) nor 4 KiB faults in the thread arenas.
#pragma once

#include <string>
#include <string_view>

namespace hepflow {

// The size of one glibc thread heap (HEAP_MAX_SIZE on 64-bit), the top_pad of the restart.
inline constexpr unsigned long kThreadHeapBytes = 64ul << 20;

// GLIBC_TUNABLES for the restart: `current` (null or empty: nothing) plus
// glibc.malloc.hugetlb=1 and, unless `current` sets it, glibc.malloc.top_pad=kThreadHeapBytes.
std::string restartTunables(const char* current);

// Whether restarting helps: not when THP is off or unknown (`thp_enabled`, the text of
// /sys/kernel/mm/transparent_hugepage/enabled such as "always [madvise] never", selects
// [never] or is empty), when `tunables` (GLIBC_TUNABLES) sets glibc.malloc.hugetlb already
// (also what stops a second restart), or when `opt_out` (HEPFLOW_HUGE_PAGES) is "0".
bool hugePageRestartWanted(const char* tunables, const char* opt_out, std::string_view thp_enabled);

// Whether this build can restart at all: glibc 2.35 or later (which has the tunable) and
// glibc's own malloc (not a sanitizer's).
bool hugePageRestartSupported();

// Re-executes this program (/proc/self/exe, the same arguments and environment plus the
// tunable) when supported and hugePageRestartWanted says so. Returns without doing anything
// otherwise, or when the exec fails (the program then runs with 4 KiB pages). Call first thing in
// main().
void restartWithHugePages(char** argv);

}  // namespace hepflow
