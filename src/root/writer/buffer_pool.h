// Basket-sized byte buffers for the tree writer: a vector type that does not zero what it grows
// into (every byte is written right after), and a pool that hands written baskets' buffers to
// the next baskets, so that their pages stay mapped (glibc gives freed large blocks back to the
// kernel, and faulting them in again costs more than filling them).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace hepflow::root {

// std::allocator whose value-initialization (resize) leaves the bytes as they are.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() = default;
    template <class U>
    DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}

    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

using ByteBuffer = std::vector<std::byte, DefaultInitAllocator<std::byte>>;

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
