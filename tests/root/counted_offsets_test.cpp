// Tests of the entry offsets a counted array takes from its counter branch: running sums of the
// counter (rejecting what cannot count a basket's bytes), one basket's offsets from them, the
// cache shared by the calls of a work unit, and the decoders reading a basket through the sums
// rather than its stored offsets (with several values per counted item, x[n][3]).
#include "root/tree/detail/counted_offsets.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "root/endian.h"
#include "root/tree/basic_interpretation.h"

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

// A leaf x[n][3]/F: each count of n stands for three floats (12 bytes).
std::unique_ptr<Interpretation> tripletArrayLeaf() {
    TBranch branch;
    branch.fName = "x";
    auto count = std::make_shared<TLeaf>();
    count->class_name = "TLeafI";
    count->fName = "n";
    count->fLenType = 4;
    auto x = std::make_shared<TLeaf>();
    x->class_name = "TLeafF";
    x->fName = "x";
    x->fLenType = 4;
    x->fLen = 3;
    x->fLeafCount = count;
    branch.fLeaves = {x};
    return interpretLeafBranch(branch);
}

TEST(CountedOffsets, ItemsOfSeveralValuesDecodeTheSameFromTheCounter) {
    const auto interpretation = tripletArrayLeaf();
    const DirectDecoder* decoder = interpretation->directDecoder();
    ASSERT_NE(decoder, nullptr);
    EXPECT_EQ(decoder->countedItemBytes(), 12u);
    EXPECT_EQ(decoder->fixedValuesPerEntry(), 0u);
    // Entries of 1, 0, 2 and 1 items: 12 floats, value v at position v (big-endian on disk).
    const std::vector<std::int32_t> items = {1, 0, 2, 1};
    std::vector<std::byte> data(12 * 4);
    for (std::size_t v = 0; v < 12; ++v)
        storeBigEndian<float>(data.data() + 4 * v, static_cast<float>(v));
    // The same basket twice: with its entry offsets as stored, and with the counter's running
    // sums, which start where the basket does inside a longer range (7 items before it).
    const std::vector<std::int32_t> entry_offsets = {0, 12, 12, 36, 48};
    const std::vector<std::int32_t> running = {7, 8, 8, 10, 11};
    BasketData stored;
    stored.data = data;
    stored.entry_offsets = entry_offsets;
    stored.num_entries = 4;
    BasketData counted = stored;
    counted.entry_offsets = {};
    counted.running_counts = running;
    counted.counted_item_bytes = 12;

    for (const BasketData* basket : {&stored, &counted}) {
        SCOPED_TRACE(basket == &stored ? "stored offsets" : "running counts");
        EXPECT_EQ(decoder->countValues(*basket, 0, 4), 12u);
        EXPECT_EQ(decoder->countValues(*basket, 1, 3), 6u);
        // Rows 1..3: no items, two items (values 3..8), one item (9..11).
        std::vector<float> values(9);
        std::vector<std::int64_t> offsets(3);
        ASSERT_TRUE(decoder->decodeRows(*basket, 1, 4, reinterpret_cast<std::byte*>(values.data()),
                                        9, offsets.data(), 100));
        EXPECT_EQ(values, (std::vector<float>{3, 4, 5, 6, 7, 8, 9, 10, 11}));
        EXPECT_EQ(offsets, (std::vector<std::int64_t>{100, 106, 109}));
        EXPECT_FALSE(decoder->decodeRows(*basket, 1, 4, reinterpret_cast<std::byte*>(values.data()),
                                         8, offsets.data(), 0));
        // Rows 0 and 3 (selected as 1 and 4 with a shift of -1): values 0..2 and 9..11.
        const std::vector<std::int64_t> rows = {1, 4};
        EXPECT_EQ(decoder->countSelectedValues(*basket, rows, -1), 6u);
        std::vector<float> selected(6);
        std::vector<std::int64_t> selected_offsets(2);
        ASSERT_TRUE(decoder->decodeSelectedRows(*basket, rows, -1,
                                                reinterpret_cast<std::byte*>(selected.data()), 6,
                                                selected_offsets.data(), 0));
        EXPECT_EQ(selected, (std::vector<float>{0, 1, 2, 9, 10, 11}));
        EXPECT_EQ(selected_offsets, (std::vector<std::int64_t>{3, 6}));
    }
    // The running sums of this basket's items span its data part; one item more would not.
    EXPECT_TRUE(countsSpanData(running, 12, static_cast<std::int64_t>(data.size())));
    EXPECT_FALSE(countsSpanData(running, 12, static_cast<std::int64_t>(data.size()) + 12));
}

}  // namespace
}  // namespace hepflow::root::detail
