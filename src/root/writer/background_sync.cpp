// Background flushes of a file being written (see background_sync.h).
#include "root/writer/background_sync.h"

#include <cerrno>
#include <system_error>
#include <utility>

#include <unistd.h>

namespace hepflow::root {
namespace {

int dataSync(int fd) {
#if defined(__APPLE__)
    const int result = ::fsync(fd);
#else
    const int result = ::fdatasync(fd);
#endif
    return result == 0 ? 0 : errno;
}

}  // namespace

BackgroundSync::BackgroundSync(int fd, std::function<int(int)> sync)
    : fd_(fd), sync_(sync ? std::move(sync) : std::function<int(int)>(dataSync)) {}

BackgroundSync::~BackgroundSync() {
    if (flusher_.joinable()) flusher_.join();
}

bool BackgroundSync::request() {
    if (running_.load(std::memory_order_acquire)) return false;
    if (flusher_.joinable()) flusher_.join();  // finished: joins at once
    running_.store(true, std::memory_order_relaxed);
    try {
        flusher_ = std::thread([this] {
            const int error = sync_(fd_);
            if (error_ == 0) error_ = error;
            running_.store(false, std::memory_order_release);
        });
    } catch (const std::system_error&) {
        // No thread to spare: the final fsync then flushes everything, as it would anyway.
        running_.store(false, std::memory_order_relaxed);
        return false;
    }
    return true;
}

int BackgroundSync::wait() {
    if (flusher_.joinable()) flusher_.join();
    return error_;
}

}  // namespace hepflow::root
