// Lock-free recording into the latency histogram, and percentile estimates from a snapshot.
#include "io/request_stats.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"

namespace hepflow::io {

void RequestStats::record(std::uint64_t bytes, double seconds) {
    // A clock that went backwards, or NaN, counts as zero rather than corrupting the sums.
    if (!(seconds > 0.0)) seconds = 0.0;
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(kLatencyBucketBounds.begin(), kLatencyBucketBounds.end(), seconds) -
        kLatencyBucketBounds.begin());
    // Relaxed: the counters are independent tallies; nobody synchronises through them.
    count_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    total_nanoseconds_.fetch_add(static_cast<std::uint64_t>(std::llround(seconds * 1e9)),
                                 std::memory_order_relaxed);
    bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
}

RequestStatsSnapshot RequestStats::snapshot() const {
    RequestStatsSnapshot s;
    s.count = count_.load(std::memory_order_relaxed);
    s.bytes = bytes_.load(std::memory_order_relaxed);
    s.total_seconds =
        static_cast<double>(total_nanoseconds_.load(std::memory_order_relaxed)) * 1e-9;
    s.bucket_upper_bounds.assign(kLatencyBucketBounds.begin(), kLatencyBucketBounds.end());
    s.bucket_counts.reserve(bucket_counts_.size());
    for (const auto& c : bucket_counts_)
        s.bucket_counts.push_back(c.load(std::memory_order_relaxed));
    return s;
}

double RequestStatsSnapshot::percentile(double q) const {
    if (!(q >= 0.0 && q <= 1.0)) {
        throw UsageError(fmt::format("percentile must be between 0 and 1, got {}", q));
    }
    std::uint64_t total = 0;
    for (std::uint64_t c : bucket_counts) total += c;
    if (total == 0) return 0.0;
    HEPFLOW_ASSERT(
        !bucket_upper_bounds.empty() && bucket_counts.size() == bucket_upper_bounds.size() + 1,
        "a snapshot has one more bucket count than bucket bounds");

    const double rank = q * static_cast<double>(total);
    std::uint64_t below = 0;
    for (std::size_t i = 0; i < bucket_counts.size(); ++i) {
        const std::uint64_t in_bucket = bucket_counts[i];
        if (in_bucket == 0 || static_cast<double>(below + in_bucket) < rank) {
            below += in_bucket;
            continue;
        }
        if (i == bucket_upper_bounds.size()) return bucket_upper_bounds.back();
        const double lower = i == 0 ? 0.0 : bucket_upper_bounds[i - 1];
        const double upper = bucket_upper_bounds[i];
        const double fraction =
            (rank - static_cast<double>(below)) / static_cast<double>(in_bucket);
        return lower + (upper - lower) * fraction;
    }
    return bucket_upper_bounds.back();  // unreachable: rank <= total
}

}  // namespace hepflow::io
