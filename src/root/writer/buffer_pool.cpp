// The tree writer's buffer free list.
#include "root/writer/buffer_pool.h"

namespace hepflow::root {

ByteBuffer BufferPool::take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return {};
    ByteBuffer buffer = std::move(free_.back());
    free_.pop_back();
    bytes_ -= buffer.capacity();
    return buffer;
}

void BufferPool::give(ByteBuffer&& buffer) {
    ByteBuffer kept = std::move(buffer);
    if (kept.capacity() == 0) return;
    kept.clear();
    std::lock_guard lock(mutex_);
    if (bytes_ + kept.capacity() > max_bytes_) return;  // over the budget: freed here
    bytes_ += kept.capacity();
    free_.push_back(std::move(kept));
}

}  // namespace hepflow::root
