// Entry offsets of counted arrays from their counter branch (Muon_pt[nMuon] from nMuon): the
// counts as running sums, a per-tree cache of them (a reduction reads a collection's fields in
// several calls per work unit, each needing the same counter), and whether they fit a basket.
// Internal to Tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::root {
struct TBranch;
}

namespace hepflow::root::detail {

// Running sums of a flat integer counter column: size() + 1 values, the first 0. Empty when a
// count is negative or the sums pass 2^31 (a basket's data part stays below that, so longer
// ranges are not worth counting).
std::vector<std::int32_t> cumulativeCounts(const frame::Column& counter);

// Whether a basket whose entries' running counts are `running` (num_entries + 1 values, from
// its first entry) holds exactly `data_bytes` of items of `item_bytes`: then the counts give its
// entry offsets (BasketData::running_counts), else it keeps its stored ones.
bool countsSpanData(std::span<const std::int32_t> running, std::int64_t item_bytes,
                    std::int64_t data_bytes);

// The running counts of recent (counter, entry range) reads, shared between threads.
class CounterCache {
public:
    using Counts = std::shared_ptr<const std::vector<std::int32_t>>;
    // Running counts from entry `first` on (counts null when no cached read covers the range).
    struct Cached {
        Counts counts;
        std::int64_t first = 0;
    };
    Cached find(const TBranch* counter, std::int64_t first, std::int64_t end) const;
    void insert(const TBranch* counter, std::int64_t first, std::int64_t end, Counts counts);

private:
    struct Entry {
        const TBranch* counter = nullptr;
        std::int64_t first = 0;
        std::int64_t end = 0;
        Counts counts;
    };
    // Room for the units in flight (a few per thread); older entries are replaced in turn, so
    // the cache holds a few units' counts per thread.
    std::size_t capacity() const;
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::size_t next_ = 0;
};

}  // namespace hepflow::root::detail
