// Basket-sized byte buffers for the tree writer: a vector type that does not zero what it grows
// into (every byte is written right after), and a pool that hands written baskets' buffers to
// the next baskets, so that their pages stay mapped (glibc gives freed large blocks back to the
// kernel, and faulting them in again costs more than filling them).
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::root {

// A byte vector whose resize() does not zero what it grows into (frame::Bytes' allocator).
using ByteBuffer = frame::Bytes;

// Thread-safe free list of buffers (baskets are filled and compressed on several threads).
class BufferPool {
public:
    // Keeps at most `max_bytes` of capacity; buffers beyond that are freed.
    explicit BufferPool(std::size_t max_bytes) : max_bytes_(max_bytes) {}
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;

    // An empty buffer, with the capacity of a returned one when there is one (the largest
    // returned last, which is usually basket-sized).
    ByteBuffer take();
    // Returns a buffer for reuse (its contents are dropped).
    void give(ByteBuffer&& buffer);

private:
    std::mutex mutex_;
    std::vector<ByteBuffer> free_;
    std::size_t bytes_ = 0;
    std::size_t max_bytes_;
};

}  // namespace hepflow::root
