// glibc malloc tuning (see memory_tuning.h).
#include "common/memory_tuning.h"

// Any C library header defines __GLIBC__ on glibc (through <features.h>); without one the test
// below was always false and the settings were never made.
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hepflow {

bool keepFreedMemoryForReuse() {
#if defined(__GLIBC__)
    // 32 MiB: glibc rejects larger mmap thresholds (HEAP_MAX_SIZE / 2), and a rejected value
    // would leave the static 128 KiB default in force with the adaptive threshold disabled.
    constexpr int kMmapThreshold = 32 << 20;
    constexpr int kTrimThreshold = 1 << 30;
    const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
    const bool trim_ok = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
    return mmap_ok && trim_ok;
#else
    return false;
#endif
}

}  // namespace hepflow
