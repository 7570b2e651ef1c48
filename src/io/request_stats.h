// Per-source request accounting: how many requests, how many bytes, and how long each took,
// as a latency histogram with explicit log-spaced bucket bounds so that it can be exported
// to Prometheus as is. Thread-safe: sources record from many threads at once.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace hepflow::io {

// Upper bounds (inclusive, seconds) of the latency buckets: 1-2-5 steps per decade from 1 µs
// (a page-cached pread) to 100 s (a stalled remote request). Round bounds read well on a
// dashboard; a last, implicit +Inf bucket takes anything slower.
inline constexpr std::array<double, 25> kLatencyBucketBounds = {
    1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2,
    2e-2, 5e-2, 1e-1, 2e-1, 5e-1, 1e0,  2e0,  5e0,  1e1,  2e1,  5e1,  1e2};

struct RequestStatsSnapshot {
    std::uint64_t count = 0;     // requests
    std::uint64_t bytes = 0;     // bytes requested
    double total_seconds = 0.0;  // sum of request latencies
    // kLatencyBucketBounds, copied so that an exporter needs nothing else.
    std::vector<double> bucket_upper_bounds;
    // Requests per bucket, not cumulative (Prometheus wants the running sum); one more entry
    // than bucket_upper_bounds, the last counting requests slower than every bound.
    std::vector<std::uint64_t> bucket_counts;

    // Latency below which a fraction q (0..1) of requests fall, interpolated linearly within
    // its bucket as Prometheus's histogram_quantile does (so the numbers agree with dashboards);
    // the largest finite bound if it falls in the +Inf bucket; 0 without requests.
    // Throws UsageError if q is outside [0, 1].
    double percentile(double q) const;
    double meanSeconds() const { return count == 0 ? 0.0 : total_seconds / count; }
};

class RequestStats {
public:
    RequestStats() = default;
    RequestStats(const RequestStats&) = delete;
    RequestStats& operator=(const RequestStats&) = delete;

    // Records one completed request. Thread-safe and lock-free.
    void record(std::uint64_t bytes, double seconds);

    // Each counter is exact, but a snapshot taken while other threads record may see a request
    // in some counters and not yet in others.
    RequestStatsSnapshot snapshot() const;

private:
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> bytes_{0};
    // Nanoseconds, so that the sum is an exact integer add (no atomic floating point).
    std::atomic<std::uint64_t> total_nanoseconds_{0};
    std::array<std::atomic<std::uint64_t>, kLatencyBucketBounds.size() + 1> bucket_counts_{};
};

}  // namespace hepflow::io
