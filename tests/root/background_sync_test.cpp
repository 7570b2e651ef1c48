// Tests of BackgroundSync, the writer's background flushes: one flush at a time, a failed
// flush's errno kept for the final wait (the kernel reports it once), and the real fdatasync.
#include "root/writer/background_sync.h"

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include <gtest/gtest.h>
#include <unistd.h>

namespace hepflow::root {
namespace {

// A sync that blocks until released, counting its calls.
struct HeldSync {
    std::mutex mutex;
    std::condition_variable changed;
    bool released = false;
    int calls = 0;

    int operator()(int) {
        std::unique_lock lock(mutex);
        ++calls;
        changed.wait(lock, [&] { return released; });
        return 0;
    }
    void release() {
        std::lock_guard lock(mutex);
        released = true;
        changed.notify_all();
    }
};

TEST(BackgroundSync, StartsNoSecondFlushWhileOneRuns) {
    HeldSync held;
    BackgroundSync sync(3, [&](int fd) { return held(fd); });
    EXPECT_TRUE(sync.request());
    EXPECT_FALSE(sync.request());
    EXPECT_FALSE(sync.request());
    held.release();
    EXPECT_EQ(sync.wait(), 0);
    EXPECT_EQ(held.calls, 1);
    EXPECT_TRUE(sync.request());
    EXPECT_EQ(sync.wait(), 0);
    EXPECT_EQ(held.calls, 2);
}

TEST(BackgroundSync, KeepsTheFirstFailureForTheFinalWait) {
    int calls = 0;
    BackgroundSync sync(3, [&](int fd) {
        EXPECT_EQ(fd, 3);
        return ++calls == 2 ? EIO : (calls == 3 ? ENOSPC : 0);
    });
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(sync.request());
        sync.wait();
    }
    EXPECT_EQ(calls, 4);
    EXPECT_EQ(sync.wait(), EIO);
}

TEST(BackgroundSync, FlushesARealFileAndReportsABadDescriptor) {
    std::FILE* file = std::tmpfile();
    ASSERT_NE(file, nullptr);
    ASSERT_GE(std::fputs("bytes to flush", file), 0);
    ASSERT_EQ(std::fflush(file), 0);
    BackgroundSync good(::fileno(file));
    EXPECT_TRUE(good.request());
    EXPECT_EQ(good.wait(), 0);
    std::fclose(file);

    BackgroundSync bad(-1);
    EXPECT_TRUE(bad.request());
    EXPECT_EQ(bad.wait(), EBADF);
}

TEST(BackgroundSync, WaitWithoutAFlushReturnsNoError) {
    BackgroundSync sync(3, [](int) { return EIO; });
    EXPECT_EQ(sync.wait(), 0);
}

}  // namespace
}  // namespace hepflow::root
