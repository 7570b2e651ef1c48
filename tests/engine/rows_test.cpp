// The engine's row filter (detail::keepRows) on every column shape a batch holds: flat
// numbers, fixed-size arrays (several values per row), jagged columns whose offsets do not
// start at 0, strings and collections (structs), against the rows picked by hand; and the
// deferred filtering of a unit's columns (DeferredRows).
#include "frame/engine/detail/rows.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "sample.h"

namespace hepflow {
namespace {

using enginetest::flatColumn;
using enginetest::jaggedColumn;
using frame::Column;
using frame::ColumnBatch;
using frame::DType;
using frame::engine::detail::keepRows;

const std::vector<std::uint8_t> kKeep = {1, 0, 0, 1, 1, 0};

TEST(KeepRows, FlatValues) {
    const Column kept = keepRows(flatColumn<double>({1, 2, 3, 4, 5, 6}), kKeep, 6);
    EXPECT_EQ(kept.levels(), 0u);
    const auto values = kept.values<double>();
    EXPECT_EQ(std::vector<double>(values.begin(), values.end()), (std::vector<double>{1, 4, 5}));
}

TEST(KeepRows, FixedSizeArraysKeepEveryValueOfARow) {
    // Three values per row (a branch x[3]).
    std::vector<std::int16_t> values;
    for (std::int16_t i = 0; i < 18; ++i) values.push_back(i);
    const Column kept = keepRows(flatColumn(values), kKeep, 6);
    const auto got = kept.values<std::int16_t>();
    EXPECT_EQ(std::vector<std::int16_t>(got.begin(), got.end()),
              (std::vector<std::int16_t>{0, 1, 2, 9, 10, 11, 12, 13, 14}));
}

TEST(KeepRows, JaggedOffsetsNeedNotStartAtZero) {
    Column column = jaggedColumn<float>({{9}, {1, 2}, {}, {3}, {4, 5, 6}, {7}, {8}});
    // Drop the first row by moving the offsets: rows now start at value 1.
    auto& offsets = column.offsets(0);
    offsets.erase(offsets.begin());
    const Column kept = keepRows(column, kKeep, 6);
    EXPECT_EQ(kept.offsets(0), (frame::Offsets{0, 2, 5, 6}));  // rows {1, 2}, {4, 5, 6}, {7}
    const auto got = kept.values<float>();
    EXPECT_EQ(std::vector<float>(got.begin(), got.end()), (std::vector<float>{1, 2, 4, 5, 6, 7}));
}

TEST(KeepRows, StringsAndCollections) {
    Column names(DType::String);
    for (const char* text : {"a", "bb", "", "ccc", "d", "ee"}) names.appendString(text);
    const Column kept_names = keepRows(names, kKeep, 6);
    ASSERT_EQ(kept_names.numStrings(), 3u);
    EXPECT_EQ(kept_names.stringAt(0), "a");
    EXPECT_EQ(kept_names.stringAt(1), "ccc");
    EXPECT_EQ(kept_names.stringAt(2), "d");

    Column collection(DType::Struct);
    collection.members().emplace_back("pt", jaggedColumn<float>({{1}, {2}, {3}, {4, 5}, {}, {6}}));
    collection.members().emplace_back("index",
                                      jaggedColumn<std::int64_t>({{0}, {0}, {0}, {0, 1}, {}, {0}}));
    collection.setStructLength(6);
    const Column kept = keepRows(collection, kKeep, 6);
    EXPECT_EQ(kept.length(), 3);
    ASSERT_EQ(kept.members().size(), 2u);
    EXPECT_EQ(kept.members()[0].second.offsets(0), (frame::Offsets{0, 1, 3, 3}));
    const auto pt = kept.members()[0].second.values<float>();
    EXPECT_EQ(std::vector<float>(pt.begin(), pt.end()), (std::vector<float>{1, 4, 5}));
}

// Two filters with a computed column between them: every column is filtered once, when
// required, by all the filters since it was made; all end up with the same rows.
TEST(DeferredRows, ColumnsReadLateGetEveryFilter) {
    ColumnBatch batch;
    batch.num_entries = 6;
    batch.columns.emplace_back("x", flatColumn<std::int32_t>({0, 1, 2, 3, 4, 5}));
    batch.columns.emplace_back("y", jaggedColumn<double>({{0}, {1}, {2, 2}, {3, 3}, {4}, {}}));
    batch.columns.emplace_back("z", flatColumn<float>({10, 11, 12, 13, 14, 15}));
    frame::engine::detail::DeferredRows rows(batch);
    rows.filter(std::vector<std::uint8_t>{1, 0, 1, 1, 1, 0});  // rows 0, 2, 3, 4
    EXPECT_EQ(batch.num_entries, 4);
    EXPECT_EQ(batch.find("x")->length(), 6);  // not copied yet
    const std::vector<std::string> x = {"x"};
    rows.require(x);
    auto values = batch.find("x")->values<std::int32_t>();
    EXPECT_EQ(std::vector<std::int32_t>(values.begin(), values.end()),
              (std::vector<std::int32_t>{0, 2, 3, 4}));
    batch.columns.emplace_back("w", flatColumn<std::int64_t>({100, 102, 103, 104}));
    rows.filter(std::vector<std::uint8_t>{0, 1, 0, 1});  // rows 2 and 4 of the unit
    EXPECT_EQ(batch.num_entries, 2);
    EXPECT_EQ(batch.find("w")->length(), 4);  // computed columns are deferred too
    rows.requireAll();
    values = batch.find("x")->values<std::int32_t>();
    EXPECT_EQ(std::vector<std::int32_t>(values.begin(), values.end()),
              (std::vector<std::int32_t>{2, 4}));
    EXPECT_EQ(batch.find("y")->offsets(0), (frame::Offsets{0, 2, 3}));
    const auto z = batch.find("z")->values<float>();
    EXPECT_EQ(std::vector<float>(z.begin(), z.end()), (std::vector<float>{12, 14}));
    const auto w = batch.find("w")->values<std::int64_t>();
    EXPECT_EQ(std::vector<std::int64_t>(w.begin(), w.end()), (std::vector<std::int64_t>{102, 104}));
}

// Unread columns are read when first required, with the rows that passed every filter so
// far; then filtered like the others by later filters; requireAll reads the rest.
TEST(DeferredRows, UnreadColumnsAreReadWithTheSurvivingRows) {
    const Column unit_a = flatColumn<std::int32_t>({0, 1, 2, 3, 4, 5});
    const Column unit_b = jaggedColumn<double>({{0}, {1}, {2, 2}, {3, 3}, {4}, {}});
    std::vector<std::pair<std::vector<std::string>, std::vector<std::int64_t>>> calls;
    const auto load = [&](std::span<const std::string> names,
                          std::optional<std::span<const std::int64_t>> rows) {
        std::vector<std::int64_t> wanted;
        if (rows) wanted.assign(rows->begin(), rows->end());
        calls.emplace_back(std::vector<std::string>(names.begin(), names.end()), wanted);
        std::vector<std::pair<std::string, Column>> out;
        for (const auto& name : names) {
            const Column& whole = name == "b" ? unit_b : unit_a;
            std::vector<std::uint8_t> keep(6, rows ? 0 : 1);
            for (const std::int64_t row : wanted) keep[static_cast<std::size_t>(row)] = 1;
            out.emplace_back(name, frame::kernels::filterRows(whole, keep));
        }
        return out;
    };
    ColumnBatch batch;
    batch.num_entries = 6;
    frame::engine::detail::DeferredRows rows(batch, {"a", "b", "c"}, load);
    const std::vector<std::string> a = {"a"};
    rows.require(a);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].first, a);
    EXPECT_TRUE(calls[0].second.empty());                      // nothing filtered yet: every row
    rows.filter(std::vector<std::uint8_t>{1, 0, 1, 1, 1, 0});  // rows 0, 2, 3, 4
    rows.filter(std::vector<std::uint8_t>{0, 1, 1, 1});        // rows 2, 3, 4 of the unit
    const std::vector<std::string> b = {"b"};
    rows.require(b);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].second, (std::vector<std::int64_t>{2, 3, 4}));
    EXPECT_EQ(batch.find("b")->offsets(0), (frame::Offsets{0, 2, 4, 5}));
    rows.filter(std::vector<std::uint8_t>{1, 0, 1});  // rows 2 and 4 of the unit
    rows.requireAll();
    ASSERT_EQ(calls.size(), 3u);  // only "c": "a" and "b" were read already
    EXPECT_EQ(calls[2].first, (std::vector<std::string>{"c"}));
    EXPECT_EQ(calls[2].second, (std::vector<std::int64_t>{2, 4}));
    const auto c = batch.find("c")->values<std::int32_t>();
    EXPECT_EQ(std::vector<std::int32_t>(c.begin(), c.end()), (std::vector<std::int32_t>{2, 4}));
    const auto values = batch.find("a")->values<std::int32_t>();
    EXPECT_EQ(std::vector<std::int32_t>(values.begin(), values.end()),
              (std::vector<std::int32_t>{2, 4}));
    EXPECT_EQ(batch.find("b")->offsets(0), (frame::Offsets{0, 2, 3}));
}

// Five filters of different strengths over 1000 rows, a column made before each: every column
// ends with the rows that pass all the filters after it was made (against a direct loop).
TEST(DeferredRows, ManyStagesEachKeepTheRowsOfEveryLaterFilter) {
    constexpr std::int64_t kRows = 1000;
    ColumnBatch batch;
    batch.num_entries = kRows;
    frame::engine::detail::DeferredRows rows(batch);
    std::vector<std::int64_t> alive(kRows);  // unit rows that passed the filters so far
    for (std::int64_t i = 0; i < kRows; ++i) alive[static_cast<std::size_t>(i)] = i;
    for (int f = 0; f < 5; ++f) {
        // Column f holds the unit row numbers of the current rows, scaled.
        std::vector<std::int64_t> values;
        for (const std::int64_t row : alive) values.push_back(row * 10 + f);
        batch.columns.emplace_back("c" + std::to_string(f), flatColumn<std::int64_t>(values));
        std::vector<std::uint8_t> keep(alive.size());
        std::vector<std::int64_t> next;
        for (std::size_t k = 0; k < alive.size(); ++k) {
            keep[k] = (alive[k] * 7 + f * 13) % (f + 2) != 0 ? 1 : 0;  // keeps 1/2 .. 5/6
            if (keep[k] != 0) next.push_back(alive[k]);
        }
        rows.filter(keep);
        alive = next;
        ASSERT_EQ(batch.num_entries, static_cast<std::int64_t>(alive.size()));
    }
    ASSERT_GT(alive.size(), 10u);
    rows.requireAll();
    for (int f = 0; f < 5; ++f) {
        std::vector<std::int64_t> expected;
        for (const std::int64_t row : alive) expected.push_back(row * 10 + f);
        const auto got = batch.find("c" + std::to_string(f))->values<std::int64_t>();
        EXPECT_EQ(std::vector<std::int64_t>(got.begin(), got.end()), expected) << "column " << f;
    }
}

TEST(DeferredRows, NothingFilteredLeavesColumnsAlone) {
    ColumnBatch batch;
    batch.num_entries = 3;
    batch.columns.emplace_back("x", flatColumn<std::int32_t>({7, 8, 9}));
    frame::engine::detail::DeferredRows rows(batch);
    rows.filter(std::vector<std::uint8_t>{1, 1, 1});
    rows.requireAll();
    EXPECT_EQ(batch.num_entries, 3);
    EXPECT_EQ(batch.find("x")->length(), 3);
}

}  // namespace
}  // namespace hepflow
