// keepFreedMemoryForReuse() on glibc: the settings are accepted, multi-megabyte buffers come
// from the heap (not from mmap) and freeing them does not hand the heap back to the kernel.
#include "common/memory_tuning.h"

#include <cstdlib>
#include <vector>

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hepflow {
namespace {

// Sanitizers replace malloc with their own allocator, which ignores (and refuses) mallopt.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEPFLOW_OWN_MALLOC 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HEPFLOW_OWN_MALLOC 1
#endif

#if defined(__GLIBC__) && !defined(HEPFLOW_OWN_MALLOC)
TEST(MemoryTuning, FreedBuffersStayInTheHeap) {
    ASSERT_TRUE(keepFreedMemoryForReuse());
    constexpr std::size_t kBlock = 4 << 20;
    const std::size_t mmapped_before = mallinfo2().hblkhd;
    std::vector<void*> blocks;
    for (int i = 0; i < 8; ++i) blocks.push_back(std::malloc(kBlock));
    for (void* block : blocks) ASSERT_NE(block, nullptr);
    // Below the 32 MiB threshold: none of the 4 MiB blocks is its own mapping.
    EXPECT_LT(mallinfo2().hblkhd, mmapped_before + kBlock);
    for (void* block : blocks) std::free(block);
    // The 32 MiB now free at the top of the heap is kept (trimmed only past 1 GiB).
    EXPECT_GE(mallinfo2().arena, 8 * kBlock);
}
#elif !defined(__GLIBC__)
TEST(MemoryTuning, IsANoOpElsewhere) {
    EXPECT_FALSE(keepFreedMemoryForReuse());
}
#endif

}  // namespace
}  // namespace hepflow
