// Flushes a file's written bytes to stable storage on a helper thread while more are written.
// A flush costs about 1 ms per MiB not yet flushed (the disk's cache included), so a commit
// whose fsync found a whole 70 MB skim unflushed waited ~45 ms at the end of a run with every
// worker idle; flushed in the background as the file grows, the final fsync waits for the tail.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace hepflow::root {

class BackgroundSync {
public:
    // `sync` flushes the file (fdatasync by default) and returns 0 or an errno value.
    explicit BackgroundSync(int fd, std::function<int(int)> sync = {});
    // Waits for a flush in progress.
    ~BackgroundSync();

    BackgroundSync(const BackgroundSync&) = delete;
    BackgroundSync& operator=(const BackgroundSync&) = delete;

    // Starts flushing everything written so far, unless a flush is still running; returns
    // whether one was started. Never waits for I/O.
    bool request();
    // Waits for the flush in progress. Returns the errno of the first flush that failed, 0 if
    // none did: the kernel reports a write-back error to one sync of the file only, so an
    // error a background flush took would not reach the caller's final fsync.
    int wait();

private:
    int fd_;
    std::function<int(int)> sync_;
    std::thread flusher_;
    std::atomic<bool> running_{false};
    int error_ = 0;  // set by the flusher; read after joining it
};

}  // namespace hepflow::root
