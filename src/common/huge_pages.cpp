// Restart with glibc.malloc.hugetlb=1 and whole-heap top padding (see huge_pages.h).
#include "common/huge_pages.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

// Sanitizers replace malloc with their own allocator: the tunable would change nothing.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define HEPFLOW_SANITIZER_MALLOC 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HEPFLOW_SANITIZER_MALLOC 1
#endif

namespace hepflow {

namespace {
constexpr std::string_view kTunable = "glibc.malloc.hugetlb";
constexpr std::string_view kTopPadTunable = "glibc.malloc.top_pad";
}  // namespace

std::string restartTunables(const char* current) {
    std::string tunables = current != nullptr ? current : "";
    const bool pad = tunables.find(kTopPadTunable) == std::string::npos;
    if (!tunables.empty()) tunables += ':';
    tunables += std::string(kTunable) + "=1";
    if (pad) tunables += ":" + std::string(kTopPadTunable) + "=" + std::to_string(kThreadHeapBytes);
    return tunables;
}

bool hugePageRestartWanted(const char* tunables, const char* opt_out,
                           std::string_view thp_enabled) {
    if (opt_out != nullptr && std::string_view(opt_out) == "0") return false;
    if (tunables != nullptr && std::string_view(tunables).find(kTunable) != std::string::npos)
        return false;
    // The kernel brackets the mode in force; "madvise" is what glibc's madvise needs at least.
    return thp_enabled.find("[always]") != std::string_view::npos ||
           thp_enabled.find("[madvise]") != std::string_view::npos;
}

bool hugePageRestartSupported() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35)) && \
    !defined(HEPFLOW_SANITIZER_MALLOC)
    return true;
#else
    return false;
#endif
}

void restartWithHugePages(char** argv) {
    if (!hugePageRestartSupported()) return;
    std::string thp_enabled;
    std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
    std::getline(mode, thp_enabled);
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (!hugePageRestartWanted(tunables, std::getenv("HEPFLOW_HUGE_PAGES"), thp_enabled)) return;
    const std::string with_huge_pages = restartTunables(tunables);
    if (setenv("GLIBC_TUNABLES", with_huge_pages.c_str(), 1) != 0) return;
    std::fflush(nullptr);
    execv("/proc/self/exe", argv);
    // Only returns on failure (no /proc, the binary replaced meanwhile): run as we are, and
    // leave the variable set so that a program this one starts does not try either.
}

}  // namespace hepflow
