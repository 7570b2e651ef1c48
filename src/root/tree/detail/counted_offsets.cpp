// Entry offsets of counted arrays from their counter branch (see counted_offsets.h).
#include "root/tree/detail/counted_offsets.h"

#include <algorithm>
#include <limits>
#include <thread>
#include <type_traits>
#include <utility>

namespace hepflow::root::detail {
namespace {

template <class T>
std::vector<std::int32_t> runningSums(std::span<const T> counts) {
    std::vector<std::int32_t> sums(counts.size() + 1);
    std::int64_t sum = 0;
    bool bad = false;
    sums[0] = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if constexpr (std::is_same_v<T, std::uint64_t>)
            bad |= counts[i] > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
        if constexpr (std::is_signed_v<T>) bad |= counts[i] < 0;
        sum += static_cast<std::int64_t>(counts[i]);
        bad |= sum > std::numeric_limits<std::int32_t>::max();
        sums[i + 1] = static_cast<std::int32_t>(sum);
    }
    if (bad) sums.clear();
    return sums;
}

}  // namespace

std::vector<std::int32_t> cumulativeCounts(const frame::Column& counter) {
    if (counter.levels() != 0) return {};
    switch (counter.dtype()) {
        case frame::DType::Int8: return runningSums(counter.values<std::int8_t>());
        case frame::DType::UInt8: return runningSums(counter.values<std::uint8_t>());
        case frame::DType::Int16: return runningSums(counter.values<std::int16_t>());
        case frame::DType::UInt16: return runningSums(counter.values<std::uint16_t>());
        case frame::DType::Int32: return runningSums(counter.values<std::int32_t>());
        case frame::DType::UInt32: return runningSums(counter.values<std::uint32_t>());
        case frame::DType::Int64: return runningSums(counter.values<std::int64_t>());
        case frame::DType::UInt64: return runningSums(counter.values<std::uint64_t>());
        default: return {};
    }
}

bool countsSpanData(std::span<const std::int32_t> running, std::int64_t item_bytes,
                    std::int64_t data_bytes) {
    if (running.empty() || item_bytes <= 0) return false;
    return (static_cast<std::int64_t>(running.back()) - running.front()) * item_bytes == data_bytes;
}

CounterCache::Cached CounterCache::find(const TBranch* counter, std::int64_t first,
                                        std::int64_t end) const {
    std::lock_guard lock(mutex_);
    for (const Entry& entry : entries_)
        if (entry.counter == counter && entry.first <= first && end <= entry.end)
            return {entry.counts, entry.first};
    return {};
}

std::size_t CounterCache::capacity() const {
    constexpr std::size_t kUnitsPerThread = 4;
    constexpr std::size_t kMinimum = 8;
    return std::max<std::size_t>(kMinimum, kUnitsPerThread * std::thread::hardware_concurrency());
}

void CounterCache::insert(const TBranch* counter, std::int64_t first, std::int64_t end,
                          Counts counts) {
    std::lock_guard lock(mutex_);
    Entry entry{counter, first, end, std::move(counts)};
    if (entries_.size() < capacity()) {
        entries_.push_back(std::move(entry));
    } else {
        entries_[next_] = std::move(entry);
        next_ = (next_ + 1) % entries_.size();
    }
}

}  // namespace hepflow::root::detail
