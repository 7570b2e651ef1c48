// Restarting the program once so that glibc's malloc backs its heaps with transparent huge
// pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, read only at start-up). On VMs a page fault
// costs 7-16 us; with 4 KiB pages the first touch of a reduction's ~100 MiB of batches and
// baskets is ~20,000 faults (0.2 s of a 1.5 s run), with 2 MiB pages a few hundred.
//
// glibc advises huge pages only for the first part of a thread's own arena, so on machines of
// up to 8 cores the restart also asks for a single arena (glibc.malloc.arena_max=1): worker
// threads share the main heap, huge-paged as it grows. A reduction makes ~30,000 allocations a
// second per thread above the per-thread cache's 1 KiB, so 8 threads keep one arena's lock
// a few per cent busy; larger machines keep glibc's arenas (their contention is unmeasured).
#pragma once

#include <string>
#include <string_view>

namespace hepflow {

// The most hardware threads for which the restart asks for a single malloc arena.
inline constexpr unsigned kMaxCoresForOneArena = 8;

// GLIBC_TUNABLES for the restart: `current` (null or empty: nothing) plus
// glibc.malloc.hugetlb=1 and, with `cores` up to kMaxCoresForOneArena (0: unknown, taken as
// more) and unless `current` sets it, glibc.malloc.arena_max=1.
std::string restartTunables(const char* current, unsigned cores);

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
