// RequestStats: bucket placement at and around the bounds, sums, percentile interpolation,
// and exact counts when several threads record at once.
#include "io/request_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"

namespace hepflow::io {
namespace {

constexpr std::size_t kInfBucket = kLatencyBucketBounds.size();

TEST(RequestStats, BoundsAreExplicitAndIncreasing) {
    EXPECT_EQ(kLatencyBucketBounds.front(), 1e-6);
    EXPECT_EQ(kLatencyBucketBounds.back(), 100.0);
    EXPECT_TRUE(std::is_sorted(kLatencyBucketBounds.begin(), kLatencyBucketBounds.end(),
                               [](double a, double b) { return a <= b; }));
}

TEST(RequestStats, EmptySnapshot) {
    RequestStats stats;
    const RequestStatsSnapshot s = stats.snapshot();
    EXPECT_EQ(s.count, 0u);
    EXPECT_EQ(s.bytes, 0u);
    EXPECT_EQ(s.total_seconds, 0.0);
    EXPECT_EQ(s.bucket_upper_bounds.size(), kLatencyBucketBounds.size());
    EXPECT_EQ(s.bucket_counts, std::vector<std::uint64_t>(kLatencyBucketBounds.size() + 1, 0));
    EXPECT_EQ(s.percentile(0.5), 0.0);
    EXPECT_EQ(s.meanSeconds(), 0.0);
}

TEST(RequestStats, RecordsIntoBuckets) {
    struct Case {
        double seconds;
        std::size_t bucket;
        const char* why;
    };
    const std::vector<Case> cases = {
        {0.0, 0, "instant goes to the first bucket"},
        {-1.0, 0, "a clock that went backwards counts as zero"},
        {5e-7, 0, "below the first bound"},
        {1e-6, 0, "a bound is inclusive (Prometheus le)"},
        {1.5e-6, 1, "between 1 and 2 microseconds"},
        {3e-6, 2, "between 2 and 5 microseconds"},
        {1e-3, 9, "exactly one millisecond"},
        {0.7, 18, "between 0.5 and 1 second"},
        {100.0, kInfBucket - 1, "the last finite bound"},
        {1000.0, kInfBucket, "slower than every bound"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.why);
        RequestStats stats;
        stats.record(42, c.seconds);
        const RequestStatsSnapshot s = stats.snapshot();
        std::vector<std::uint64_t> expected(kInfBucket + 1, 0);
        expected[c.bucket] = 1;
        EXPECT_EQ(s.bucket_counts, expected);
        EXPECT_EQ(s.count, 1u);
        EXPECT_EQ(s.bytes, 42u);
    }
}

TEST(RequestStats, SumsCountsBytesAndTime) {
    RequestStats stats;
    stats.record(10, 0.001);
    stats.record(20, 0.002);
    stats.record(30, 0.5);
    const RequestStatsSnapshot s = stats.snapshot();
    EXPECT_EQ(s.count, 3u);
    EXPECT_EQ(s.bytes, 60u);
    EXPECT_NEAR(s.total_seconds, 0.503, 1e-9);
    EXPECT_NEAR(s.meanSeconds(), 0.503 / 3, 1e-9);
    EXPECT_EQ(std::accumulate(s.bucket_counts.begin(), s.bucket_counts.end(), std::uint64_t{0}),
              3u);
}

TEST(RequestStats, PercentileInterpolatesWithinBucket) {
    RequestStats stats;
    for (int i = 0; i < 4; ++i) stats.record(1, 3e-6);  // all in (2e-6, 5e-6]
    const RequestStatsSnapshot s = stats.snapshot();
    EXPECT_NEAR(s.percentile(0.5), 3.5e-6, 1e-15);
    EXPECT_NEAR(s.percentile(1.0), 5e-6, 1e-15);
    EXPECT_NEAR(s.percentile(0.0), 2e-6, 1e-15);
}

TEST(RequestStats, PercentileAcrossBuckets) {
    RequestStats stats;
    for (int i = 0; i < 90; ++i) stats.record(1, 1e-4);  // (5e-5, 1e-4]
    for (int i = 0; i < 10; ++i) stats.record(1, 0.8);   // (0.5, 1]
    const RequestStatsSnapshot s = stats.snapshot();
    EXPECT_NEAR(s.percentile(0.5), 5e-5 + 5e-5 * (50.0 / 90.0), 1e-12);
    EXPECT_NEAR(s.percentile(0.9), 1e-4, 1e-12);
    EXPECT_NEAR(s.percentile(0.95), 0.5 + 0.5 * 0.5, 1e-12);
}

TEST(RequestStats, PercentileInInfBucketIsLargestBound) {
    RequestStats stats;
    stats.record(1, 500.0);
    EXPECT_EQ(stats.snapshot().percentile(0.99), 100.0);
}

TEST(RequestStats, PercentileRejectsBadQuantile) {
    RequestStats stats;
    stats.record(1, 1e-3);
    const RequestStatsSnapshot s = stats.snapshot();
    EXPECT_THROW(s.percentile(1.5), UsageError);
    EXPECT_THROW(s.percentile(-0.1), UsageError);
    EXPECT_THROW(s.percentile(std::nan("")), UsageError);
}

TEST(RequestStats, ConcurrentRecordsAreExact) {
    RequestStats stats;
    constexpr int kThreads = 4;
    constexpr int kPerThread = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&stats, t] {
            for (int i = 0; i < kPerThread; ++i) stats.record(t + 1, 1e-5 * (t + 1));
        });
    }
    for (std::thread& thread : threads) thread.join();
    const RequestStatsSnapshot s = stats.snapshot();
    EXPECT_EQ(s.count, std::uint64_t{kThreads} * kPerThread);
    EXPECT_EQ(s.bytes, std::uint64_t{kPerThread} * (1 + 2 + 3 + 4));
    EXPECT_EQ(s.bucket_counts[3], std::uint64_t{kPerThread});      // 1e-5
    EXPECT_EQ(s.bucket_counts[4], std::uint64_t{kPerThread});      // 2e-5
    EXPECT_EQ(s.bucket_counts[5], std::uint64_t{2 * kPerThread});  // 3e-5 and 4e-5 <= 5e-5
    EXPECT_NEAR(s.total_seconds, kPerThread * 1e-5 * 10, 1e-6);
}

}  // namespace
}  // namespace hepflow::io
