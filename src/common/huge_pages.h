// Restarting the program once so that glibc's malloc backs its heaps with transparent huge
// pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, read only at start-up). On VMs a page fault
// costs 7-16 us; with 4 KiB pages the first touch of a reduction's ~100 MiB of batches and
// baskets is ~20,000 faults (0.2 s of a 1.5 s run), with 2 MiB pages a few hundred.
#pragma once

#include <string>
#include <string_view>

namespace hepflow {

// GLIBC_TUNABLES with glibc.malloc.hugetlb=1 added to `current` (null or empty: only that).
std::string tunablesWithHugePages(const char* current);

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
