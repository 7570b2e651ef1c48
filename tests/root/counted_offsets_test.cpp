// Tests of the entry offsets a counted array takes from its counter branch: running sums of the
// counter (rejecting what cannot count a basket's bytes), one basket's offsets from them, and
// the cache shared by the calls of a work unit.
#include "root/tree/detail/counted_offsets.h"

#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace hepflow::root::detail {
namespace {

template <class T>
frame::Column counterColumn(frame::DType dtype, const std::vector<T>& values) {
    frame::Column column(dtype);
    column.bytes().resize(values.size() * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i) column.values<T>()[i] = values[i];
    return column;
}

TEST(CountedOffsets, RunningSumsOfEveryIntegerCounter) {
    EXPECT_EQ(cumulativeCounts(counterColumn<std::uint32_t>(frame::DType::UInt32, {2, 0, 3, 1})),
              (std::vector<std::int32_t>{0, 2, 2, 5, 6}));
    EXPECT_EQ(cumulativeCounts(counterColumn<std::int16_t>(frame::DType::Int16, {1, 1})),
              (std::vector<std::int32_t>{0, 1, 2}));
    EXPECT_EQ(cumulativeCounts(counterColumn<std::uint8_t>(frame::DType::UInt8, {})),
              (std::vector<std::int32_t>{0}));
    // Negative counts, and sums past 2^31, count no basket: empty.
    EXPECT_TRUE(
        cumulativeCounts(counterColumn<std::int32_t>(frame::DType::Int32, {3, -1})).empty());
    const std::int64_t big = std::numeric_limits<std::int32_t>::max();
    EXPECT_TRUE(
        cumulativeCounts(counterColumn<std::int64_t>(frame::DType::Int64, {big, 1})).empty());
    EXPECT_TRUE(cumulativeCounts(
                    counterColumn<std::uint64_t>(frame::DType::UInt64, {std::uint64_t{1} << 40}))
                    .empty());
    EXPECT_TRUE(cumulativeCounts(counterColumn<float>(frame::DType::Float32, {1.0f})).empty());
}

TEST(CountedOffsets, ABasketsCountsMustSpanItsDataPart) {
    const std::vector<std::int32_t> sums = {0, 2, 2, 5, 6, 9};
    // The basket of entries 1..3 (running counts 2, 2, 5, 6): 4 items, 16 bytes of floats.
    EXPECT_TRUE(countsSpanData(std::span(sums).subspan(1, 4), 4, 16));
    EXPECT_FALSE(countsSpanData(std::span(sums).subspan(1, 4), 4, 20));
    EXPECT_FALSE(countsSpanData(std::span(sums).subspan(1, 4), 8, 16));
    EXPECT_TRUE(countsSpanData(std::span(sums).subspan(2, 1), 4, 0));  // no entries
    EXPECT_FALSE(countsSpanData({}, 4, 0));
    EXPECT_FALSE(countsSpanData(std::span(sums), 0, 0));
}

TEST(CountedOffsets, CacheFindsRangesInsideARead) {
    CounterCache cache;
    const auto* counter = reinterpret_cast<const TBranch*>(&cache);  // only compared
    EXPECT_EQ(cache.find(counter, 0, 10).counts, nullptr);
    auto sums = std::make_shared<const std::vector<std::int32_t>>(std::vector<std::int32_t>(11));
    cache.insert(counter, 100, 110, sums);
    EXPECT_EQ(cache.find(counter, 100, 110).counts, sums);
    const auto inside = cache.find(counter, 103, 107);
    EXPECT_EQ(inside.counts, sums);
    EXPECT_EQ(inside.first, 100);
    EXPECT_EQ(cache.find(counter, 99, 105).counts, nullptr);
    EXPECT_EQ(cache.find(nullptr, 100, 110).counts, nullptr);
    // Entries are replaced in turn once full; the newest is always found.
    for (int i = 0; i < 1000; ++i) cache.insert(counter, 1000 + 10 * i, 1010 + 10 * i, sums);
    EXPECT_NE(cache.find(counter, 10990, 11000).counts, nullptr);
    EXPECT_EQ(cache.find(counter, 100, 110).counts, nullptr);
}

}  // namespace
}  // namespace hepflow::root::detail
