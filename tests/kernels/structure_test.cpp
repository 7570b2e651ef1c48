// Tests of the structural kernels (filterRows, maskObjects, broadcast, localIndex, take,
// gather, concat) on hand-built columns: every dtype, empty events, sliced offsets, strings,
// doubly jagged and struct columns, and the UsageErrors for mismatched inputs.
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "column_builders.h"
#include "common/error.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::kernels {
namespace {

using namespace hepflow::frame::testing;
using I64 = std::vector<std::int64_t>;
using F64 = std::vector<double>;

std::vector<std::uint8_t> keepMask(std::initializer_list<int> bits) {
    return {bits.begin(), bits.end()};
}

// ---- filterRows -------------------------------------------------------------------------

template <class T>
class FilterRowsFlat : public ::testing::Test {};
using AllNumeric =
    ::testing::Types<bool, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t, std::int32_t,
                     std::uint32_t, std::int64_t, std::uint64_t, float, double>;
TYPED_TEST_SUITE(FilterRowsFlat, AllNumeric);

TYPED_TEST(FilterRowsFlat, KeepsSelectedRowsOfEveryDtype) {
    using T = TypeParam;
    const std::vector<T> in = {T(1), T(0), T(1), T(1), T(0)};
    const Column column = flat<T>(in);
    const auto keep = keepMask({1, 0, 0, 1, 1});
    const Column out = filterRows(column, keep);
    EXPECT_EQ(out.dtype(), dtypeOf<T>());
    EXPECT_EQ(flatValues<T>(out), (std::vector<T>{T(1), T(1), T(0)}));
    // All and none kept.
    EXPECT_EQ(flatValues<T>(filterRows(column, keepMask({1, 1, 1, 1, 1}))), in);
    EXPECT_EQ(filterRows(column, keepMask({0, 0, 0, 0, 0})).length(), 0);
}

// The fast check against the plain definition, for every length up to 12 (the vector body and
// the scalar tail) with a fault at every position.
bool orderedByDefinition(const I64& offsets) {
    for (std::size_t i = 0; i < offsets.size(); ++i)
        if (offsets[i] < 0 || (i > 0 && offsets[i] < offsets[i - 1])) return false;
    return true;
}

// copyRebasedIfOrdered gives offsetsAreOrdered's answer and always writes every offset less
// the first (wrapping, as the kernel computes it).
bool copyMatches(const I64& offsets) {
    I64 out(offsets.size(), 99);
    const bool ordered = copyRebasedIfOrdered(offsets, out.data());
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        const auto expected = static_cast<std::int64_t>(static_cast<std::uint64_t>(offsets[i]) -
                                                        static_cast<std::uint64_t>(offsets[0]));
        if (out[i] != expected) return false;
    }
    return ordered == offsetsAreOrdered(offsets);
}

TEST(OffsetsAreOrdered, MatchesTheDefinitionForEveryFaultPosition) {
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    EXPECT_TRUE(offsetsAreOrdered({}));
    // Up to 40: past the unrolled blocks of 16, and every tail after them.
    for (std::size_t n = 1; n <= 40; ++n) {
        I64 good(n);
        for (std::size_t i = 0; i < n; ++i) good[i] = static_cast<std::int64_t>(3 * i + (i % 2));
        EXPECT_TRUE(offsetsAreOrdered(good)) << n;
        EXPECT_TRUE(copyMatches(good)) << n;
        for (std::size_t at = 0; at < n; ++at)
            for (std::int64_t bad : {std::int64_t{-1}, kMin, good[at] - 2}) {
                I64 faulty = good;
                faulty[at] = bad;
                EXPECT_EQ(offsetsAreOrdered(faulty), orderedByDefinition(faulty))
                    << "n " << n << " at " << at << " value " << bad;
                EXPECT_TRUE(copyMatches(faulty)) << "n " << n << " at " << at << " value " << bad;
            }
        I64 top = good;
        top.back() = kMax;  // the largest offset is still ordered
        EXPECT_TRUE(offsetsAreOrdered(top)) << n;
        EXPECT_TRUE(copyMatches(top)) << n;
        I64 flat(n, 7);
        EXPECT_TRUE(offsetsAreOrdered(flat)) << n;
        EXPECT_TRUE(copyMatches(flat)) << n;
    }
    // A drop from the top to 0 is a decrease even though the unsigned difference is small.
    EXPECT_FALSE(offsetsAreOrdered(I64{0, 5, kMax, 0, 9}));
}

TEST(FilterRows, NonZeroBytesCountAsKept) {
    const Column out = filterRows(flat<std::int32_t>({10, 20, 30}), keepMask({0, 7, 255}));
    EXPECT_EQ(flatValues<std::int32_t>(out), (std::vector<std::int32_t>{20, 30}));
}

TEST(FilterRows, LargeFlatColumnMatchesAScalarLoop) {
    std::vector<double> values(10007);
    std::vector<std::uint8_t> keep(values.size());
    std::vector<double> expected;
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = static_cast<double>(i) * 0.5;
        keep[i] = (i * 7919 % 13) < 5;
        if (keep[i]) expected.push_back(values[i]);
    }
    EXPECT_EQ(flatValues<double>(filterRows(flat<double>(values), keep)), expected);
}

// Selections keeping few rows, some and most, on flat and jagged columns, one RowSelection
// serving both columns, against scalar loops.
TEST(FilterRows, SparseAndDenseSelectionsMatchAScalarLoop) {
    for (const std::size_t percent : {3u, 20u, 90u}) {
        const std::size_t rows = 5003;
        std::vector<std::uint8_t> keep(rows);
        std::vector<float> flat_values(rows);
        std::vector<std::vector<std::int16_t>> lists(rows);
        std::vector<float> expected_flat;
        std::vector<std::vector<std::int16_t>> expected_lists;
        for (std::size_t i = 0; i < rows; ++i) {
            keep[i] = (i * 7919 % 100) < percent ? 1 : 0;
            flat_values[i] = static_cast<float>(i) * 0.25f;
            for (std::size_t k = 0; k < i % 7; ++k) lists[i].push_back(static_cast<short>(i + k));
            if (keep[i] == 0) continue;
            expected_flat.push_back(flat_values[i]);
            expected_lists.push_back(lists[i]);
        }
        const RowSelection selection = selectRows(keep);
        EXPECT_EQ(selection.rows.size(), expected_flat.size()) << percent;
        EXPECT_EQ(flatValues<float>(filterRows(flat<float>(flat_values), selection)), expected_flat)
            << percent;
        // A first row sliced away: the offsets start past 0.
        std::vector<std::vector<std::int16_t>> with_first = {{-1, -2}};
        with_first.insert(with_first.end(), lists.begin(), lists.end());
        const Column out = filterRows(sliced(jagged<std::int16_t>(with_first)), selection);
        EXPECT_EQ(out.offsets(0).front(), 0);
        EXPECT_EQ(nested<std::int16_t>(out), expected_lists) << percent;
    }
}

// selectRows skips blocks of 64 false flags, reads whole words of 8 and finishes the rows
// past the last whole word one by one: every length around those boundaries, runs of false
// (shorter and longer than a block), and true bytes other than 1, against a scalar loop.
TEST(SelectRows, EveryLengthAndRunOfFalseMatchesAScalarLoop) {
    for (std::size_t length = 0; length <= 200; ++length) {
        for (std::size_t pattern = 0; pattern < 8; ++pattern) {
            std::vector<std::uint8_t> keep(length, 0);
            I64 expected;
            for (std::size_t i = 0; i < length; ++i) {
                const bool in_false_run = pattern >= 3 && i >= 4 && i < 4 + 30 * (pattern - 2);
                keep[i] = in_false_run || (i * 7 + pattern) % (pattern + 2) != 0
                              ? 0
                              : static_cast<std::uint8_t>(1 + (i % 3) * 127);  // 1, 128, 255
                if (keep[i] != 0) expected.push_back(static_cast<std::int64_t>(i));
            }
            const RowSelection selection = selectRows(keep);
            EXPECT_EQ(I64(selection.rows.begin(), selection.rows.end()), expected)
                << "length " << length << ", pattern " << pattern;
            EXPECT_EQ(selection.num_rows, static_cast<std::int64_t>(length));
        }
    }
}

// selectRows reads 8 flags at a time: every pattern of 8, with true bytes of any single bit
// or all bits, at every alignment, against a scalar loop.
TEST(SelectRows, EveryPatternOfEightFlags) {
    for (const std::uint8_t value : {0x01, 0x02, 0x10, 0x80, 0xFF}) {
        for (std::size_t shift = 0; shift < 3; ++shift) {
            std::vector<std::uint8_t> keep(shift, 0);
            I64 expected;
            for (unsigned pattern = 0; pattern < 256; ++pattern)
                for (unsigned k = 0; k < 8; ++k) {
                    const bool on = ((pattern >> k) & 1) != 0;
                    if (on) expected.push_back(static_cast<std::int64_t>(keep.size()));
                    keep.push_back(on ? value : 0);
                }
            const RowSelection selection = selectRows(keep);
            EXPECT_EQ(I64(selection.rows.begin(), selection.rows.end()), expected)
                << "value " << int(value) << ", shift " << shift;
        }
    }
}

TEST(FilterRows, JaggedWithEmptyEventsAndSlicedOffsets) {
    // The first event (99) is sliced away: offsets start at 1.
    const Column column =
        sliced(jagged<float>({{99.f}, {1.f, 2.f}, {}, {3.f}, {4.f, 5.f, 6.f}, {}}));
    ASSERT_EQ(column.offsets(0).front(), 1);
    const Column out = filterRows(column, keepMask({1, 1, 0, 1, 0}));
    EXPECT_EQ(out.offsets(0), (Offsets{0, 2, 2, 5}));
    EXPECT_EQ(nested<float>(out), (std::vector<std::vector<float>>{{1, 2}, {}, {4, 5, 6}}));
}

TEST(FilterRows, DoublyJagged) {
    const Column column =
        sliced(jagged2<std::int32_t>({{{7}}, {{1, 2}, {}}, {{3}}, {}, {{4}, {5, 6}}}));
    const Column out = filterRows(column, keepMask({1, 0, 1, 1}));
    EXPECT_EQ(out.offsets(0).front(), 0);
    EXPECT_EQ(out.offsets(1).front(), 0);
    EXPECT_EQ(nested2<std::int32_t>(out), (std::vector<std::vector<std::vector<std::int32_t>>>{
                                              {{1, 2}, {}}, {}, {{4}, {5, 6}}}));
}

TEST(FilterRows, FlatAndJaggedStrings) {
    const Column names = strings({"a", "", "ccc", "dd"});
    EXPECT_EQ(stringValues(filterRows(names, keepMask({0, 1, 1, 0}))),
              (std::vector<std::string>{"", "ccc"}));
    EXPECT_EQ(stringValues(filterRows(names, keepMask({1, 0, 0, 1}))),
              (std::vector<std::string>{"a", "dd"}));
    const Column lists = jaggedStrings({{"x", "yy"}, {}, {"zzz"}, {"w"}});
    EXPECT_EQ(nestedStrings(filterRows(lists, keepMask({1, 1, 0, 1}))),
              (std::vector<std::vector<std::string>>{{"x", "yy"}, {}, {"w"}}));
}

TEST(FilterRows, StructFiltersEveryMember) {
    Column record(DType::Struct);
    record.members().emplace_back("x", flat<double>({1, 2, 3}));
    record.members().emplace_back("tags", jaggedStrings({{"a"}, {"b", "c"}, {}}));
    record.setStructLength(3);
    const Column out = filterRows(record, keepMask({0, 1, 1}));
    EXPECT_EQ(out.dtype(), DType::Struct);
    EXPECT_EQ(out.length(), 2);
    ASSERT_EQ(out.members().size(), 2u);
    EXPECT_EQ(out.members()[0].first, "x");
    EXPECT_EQ(flatValues<double>(out.members()[0].second), (F64{2, 3}));
    EXPECT_EQ(nestedStrings(out.members()[1].second),
              (std::vector<std::vector<std::string>>{{"b", "c"}, {}}));
}

TEST(FilterRows, WrongSelectionLengthIsAUsageError) {
    EXPECT_THROW(filterRows(flat<double>({1, 2}), keepMask({1})), UsageError);
    EXPECT_THROW(filterRows(jagged<double>({{1}, {2}}), keepMask({1, 1, 1})), UsageError);
}

// ---- maskObjects ------------------------------------------------------------------------

TEST(MaskObjects, KeepsTrueObjectsWithSlicedColumnAndMask) {
    const Column pt = sliced(jagged<double>({{0}, {10, 20, 30}, {}, {40, 50}}));
    // The mask is sliced differently (two leading entries dropped) but has the same counts.
    const Column mask =
        sliced(jagged<bool>({{true}, {false, false}, {true, false, true}, {}, {false, true}}), 2);
    const Column out = maskObjects(pt, mask);
    EXPECT_EQ(out.offsets(0), (Offsets{0, 2, 2, 3}));
    EXPECT_EQ(nested<double>(out), (std::vector<F64>{{10, 30}, {}, {50}}));
}

TEST(MaskObjects, BoolAndIntValues) {
    const Column mask = jagged<bool>({{true, false}, {true}});
    EXPECT_EQ(nested<bool>(maskObjects(jagged<bool>({{false, true}, {true}}), mask)),
              (std::vector<std::vector<bool>>{{false}, {true}}));
    EXPECT_EQ(nested<std::int16_t>(maskObjects(jagged<std::int16_t>({{-1, 2}, {3}}), mask)),
              (std::vector<std::vector<std::int16_t>>{{-1}, {3}}));
}

TEST(MaskObjects, ListsOfStringsAndLists) {
    const Column mask = jagged<bool>({{true, false, true}, {}, {false}});
    EXPECT_EQ(nestedStrings(maskObjects(jaggedStrings({{"a", "b", "c"}, {}, {"d"}}), mask)),
              (std::vector<std::vector<std::string>>{{"a", "c"}, {}, {}}));
    EXPECT_EQ(nested2<std::int32_t>(
                  maskObjects(jagged2<std::int32_t>({{{1}, {2, 3}, {}}, {}, {{4}}}), mask)),
              (std::vector<std::vector<std::vector<std::int32_t>>>{{{1}, {}}, {}, {}}));
}

TEST(MaskObjects, StructMasksEveryMember) {
    Column muons(DType::Struct);
    muons.members().emplace_back("pt", jagged<float>({{1, 2}, {3}}));
    muons.members().emplace_back("charge", jagged<std::int32_t>({{-1, 1}, {1}}));
    muons.setStructLength(2);
    const Column out = maskObjects(muons, jagged<bool>({{false, true}, {true}}));
    EXPECT_EQ(out.length(), 2);
    EXPECT_EQ(nested<float>(out.members()[0].second), (std::vector<std::vector<float>>{{2}, {3}}));
    EXPECT_EQ(nested<std::int32_t>(out.members()[1].second),
              (std::vector<std::vector<std::int32_t>>{{1}, {1}}));
}

TEST(MaskObjects, MismatchedCountsNameTheEntry) {
    const Column pt = jagged<double>({{1}, {2, 3}, {4}});
    const Column mask = jagged<bool>({{true}, {true}, {true}});
    try {
        maskObjects(pt, mask);
        FAIL() << "expected a UsageError";
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.what()).find("entry 1"), std::string::npos) << error.what();
    }
    EXPECT_THROW(maskObjects(pt, jagged<bool>({{true}, {true, true}})), UsageError);
    EXPECT_THROW(maskObjects(pt, jagged<std::int32_t>({{1}, {1, 1}, {1}})), UsageError);
    EXPECT_THROW(maskObjects(flat<double>({1}), jagged<bool>({{true}})), UsageError);
}

// ---- broadcast, localIndex --------------------------------------------------------------

TEST(Broadcast, RepeatsPerEventValuesOverObjects) {
    const Offsets offsets = {3, 5, 5, 6};  // not starting at 0
    const Column out = broadcast(flat<float>({1.5f, 2.5f, 3.5f}), offsets);
    EXPECT_EQ(out.offsets(0), (Offsets{0, 2, 2, 3}));
    EXPECT_EQ(nested<float>(out), (std::vector<std::vector<float>>{{1.5f, 1.5f}, {}, {3.5f}}));
    EXPECT_EQ(nested<bool>(broadcast(flat<bool>({true, false, true}), offsets)),
              (std::vector<std::vector<bool>>{{true, true}, {}, {true}}));
    EXPECT_EQ(nestedStrings(broadcast(strings({"a", "b", "cc"}), offsets)),
              (std::vector<std::vector<std::string>>{{"a", "a"}, {}, {"cc"}}));
}

TEST(Broadcast, Errors) {
    EXPECT_THROW(broadcast(flat<double>({1, 2}), Offsets{0, 1}), UsageError);
    EXPECT_THROW(broadcast(jagged<double>({{1}}), Offsets{0, 1}), UsageError);
    EXPECT_THROW(broadcast(flat<double>({1}), Offsets{3, 1}), UsageError);  // decreasing
    EXPECT_THROW(localIndex(Offsets{2, 1}), UsageError);
    EXPECT_THROW(localIndex(Offsets{}), UsageError);
}

TEST(LocalIndex, CountsFromZeroPerEvent) {
    const Column out = localIndex(Offsets{2, 5, 5, 7});
    EXPECT_EQ(out.dtype(), DType::Int64);
    EXPECT_EQ(nested<std::int64_t>(out), (std::vector<I64>{{0, 1, 2}, {}, {0, 1}}));
    EXPECT_EQ(localIndex(Offsets{0}).length(), 0);
}

// ---- take, gather -----------------------------------------------------------------------

TEST(Take, ConstantIndexWithNegativesAndMissingValues) {
    const Column pt = sliced(jagged<double>({{9}, {10, 20, 30}, {}, {40}}));
    const auto first = flatValues<double>(take(pt, 0));
    EXPECT_EQ(first[0], 10);
    EXPECT_TRUE(std::isnan(first[1]));
    EXPECT_EQ(first[2], 40);
    const auto last = flatValues<double>(take(pt, -1));
    EXPECT_EQ(last[0], 30);
    EXPECT_TRUE(std::isnan(last[1]));
    EXPECT_EQ(last[2], 40);
    const auto beyond = flatValues<double>(take(pt, 1));
    EXPECT_EQ(beyond[0], 20);
    EXPECT_TRUE(std::isnan(beyond[2]));
    EXPECT_TRUE(std::isnan(flatValues<double>(take(pt, -4))[0]));
}

TEST(Take, MissingIsZeroForIntsAndFalseForBools) {
    EXPECT_EQ(flatValues<std::int32_t>(take(jagged<std::int32_t>({{5}, {}}), 0)),
              (std::vector<std::int32_t>{5, 0}));
    EXPECT_EQ(flatValues<bool>(take(jagged<bool>({{true}, {}}), 0)),
              (std::vector<bool>{true, false}));
    const auto f = flatValues<float>(take(jagged<float>({{}}), 0));
    EXPECT_TRUE(std::isnan(f[0]));
}

TEST(Take, PerEventIndexColumn) {
    const Column pt = jagged<std::int64_t>({{1, 2, 3}, {4, 5}, {}, {6}});
    EXPECT_EQ(flatValues<std::int64_t>(take(pt, flat<std::int64_t>({2, -2, 0, -1}))),
              (I64{3, 4, 0, 6}));
    // Other integer index types are accepted.
    EXPECT_EQ(flatValues<std::int64_t>(take(pt, flat<std::int32_t>({1, 5, 0, 0}))),
              (I64{2, 0, 0, 6}));
    EXPECT_THROW(take(pt, flat<std::int64_t>({0, 0})), UsageError);
    EXPECT_THROW(take(pt, flat<double>({0, 0, 0, 0})), UsageError);
    EXPECT_THROW(take(flat<double>({1}), 0), UsageError);
}

TEST(Take, StringsAndLists) {
    const Column names = jaggedStrings({{"a", "bb"}, {}, {"c"}});
    EXPECT_EQ(stringValues(take(names, -1)), (std::vector<std::string>{"bb", "", "c"}));
    const Column lists = jagged2<std::int32_t>({{{1}, {2, 3}}, {}});
    EXPECT_EQ(nested<std::int32_t>(take(lists, 1)),
              (std::vector<std::vector<std::int32_t>>{{2, 3}, {}}));
}

TEST(Gather, ReordersObjectsWithIndicesOffsets) {
    const Column pt = sliced(jagged<float>({{0}, {10, 20, 30}, {}, {40, 50}}));
    const Column indices = sliced(jagged<std::int64_t>({{7, 7}, {2, 0, 1}, {}, {1, 5, -1}}));
    const Column out = gather(pt, indices);
    EXPECT_EQ(out.offsets(0), (Offsets{0, 3, 3, 6}));
    const auto values = out.values<float>();
    EXPECT_EQ(values[0], 30);
    EXPECT_EQ(values[1], 10);
    EXPECT_EQ(values[2], 20);
    EXPECT_EQ(values[3], 50);
    EXPECT_TRUE(std::isnan(values[4]));
    EXPECT_EQ(values[5], 50);
}

TEST(Gather, StringsAndErrors) {
    const Column names = jaggedStrings({{"a", "bb"}, {"c"}});
    EXPECT_EQ(nestedStrings(gather(names, jagged<std::int64_t>({{1, 0, 1}, {3}}))),
              (std::vector<std::vector<std::string>>{{"bb", "a", "bb"}, {""}}));
    EXPECT_THROW(gather(names, jagged<std::int64_t>({{0}})), UsageError);
    EXPECT_THROW(gather(names, flat<std::int64_t>({0, 0})), UsageError);
}

// ---- concat -----------------------------------------------------------------------------

TEST(Concat, FirstThenSecondPerEvent) {
    const Column a = sliced(jagged<double>({{-1}, {1, 2}, {}, {3}}));
    const Column b = jagged<double>({{10}, {}, {20, 30}});
    const Column out = concat(a, b);
    EXPECT_EQ(out.offsets(0), (Offsets{0, 3, 3, 6}));
    EXPECT_EQ(nested<double>(out), (std::vector<F64>{{1, 2, 10}, {}, {3, 20, 30}}));
    EXPECT_EQ(nestedStrings(concat(jaggedStrings({{"a"}, {}}), jaggedStrings({{"b"}, {"c"}}))),
              (std::vector<std::vector<std::string>>{{"a", "b"}, {"c"}}));
    EXPECT_THROW(concat(a, jagged<float>({{1}, {2}, {3}})), UsageError);
    EXPECT_THROW(concat(a, jagged<double>({{1}})), UsageError);
    // The layout: the result positions of a's objects (1, 2, 3), then of b's (10, 20, 30).
    const Column layout = concatLayout(a.offsets(0), b.offsets(0));
    // The source of each object of the result, from the layout (a's offsets start past 0).
    const Column source = concatSource(layout, 3);
    EXPECT_EQ(source.offsets(0), (Offsets{0, 3, 3, 6}));
    EXPECT_EQ(nested<std::int64_t>(source),
              (std::vector<std::vector<std::int64_t>>{{0, 0, 1}, {}, {0, 1, 1}}));
    EXPECT_EQ(layout.offsets(0), (Offsets{0, 3, 3, 6}));
    const auto positions = layout.values<std::int64_t>();
    EXPECT_EQ(std::vector<std::int64_t>(positions.begin(), positions.end()),
              (std::vector<std::int64_t>{0, 1, 3, 2, 4, 5}));
    EXPECT_THROW(concatLayout(a.offsets(0), Offsets{0, 1}), UsageError);
    // Fields laid out by it, one of them starting past 0 as well; other totals fall back to
    // concat, which checks them.
    const Column laid = concatLaidOut(a, b, layout);
    EXPECT_EQ(laid.offsets(0), (Offsets{0, 3, 3, 6}));
    EXPECT_EQ(nested<double>(laid), (std::vector<F64>{{1, 2, 10}, {}, {3, 20, 30}}));
    const Column wide = jagged<double>({{7}, {}, {8, 9}});
    EXPECT_EQ(nested<double>(concatLaidOut(a, wide, concatLayout(a.offsets(0), wide.offsets(0)))),
              (std::vector<F64>{{1, 2, 7}, {}, {3, 8, 9}}));
    EXPECT_EQ(nested<double>(concatLaidOut(a, jagged<double>({{5}, {6}, {}}), layout)),
              (std::vector<F64>{{1, 2, 5}, {6}, {3}}));
    EXPECT_THROW(concatLaidOut(a, jagged<double>({{1}}), layout), UsageError);
    EXPECT_EQ(nestedStrings(
                  concatLaidOut(jaggedStrings({{"a"}, {}}), jaggedStrings({{"b"}, {"c"}}), layout)),
              (std::vector<std::vector<std::string>>{{"a", "b"}, {"c"}}));
}

// ---- fast paths over many small events, against scalar loops ----------------------------

template <class T>
class SmallEventPaths : public ::testing::Test {};
TYPED_TEST_SUITE(SmallEventPaths, AllNumeric);

// Events of 0..23 objects (some longer than the inline copies handle), deterministic values.
template <class T>
std::vector<std::vector<T>> manyEvents(int seed) {
    std::vector<std::vector<T>> events(200);
    for (std::size_t e = 0; e < events.size(); ++e) {
        const std::size_t n = (e * 7 + static_cast<std::size_t>(seed)) % 24;
        for (std::size_t i = 0; i < n; ++i) events[e].push_back(T((e + i * 3) % 5 != 0));
        if constexpr (!std::is_same_v<T, bool>)
            for (std::size_t i = 0; i < n; ++i) events[e][i] = T((e * 31 + i * 7) % 100);
    }
    return events;
}

TYPED_TEST(SmallEventPaths, MaskConcatGatherTake) {
    using T = TypeParam;
    auto values = manyEvents<T>(0);
    std::vector<std::vector<bool>> keep(values.size());
    std::vector<std::vector<T>> kept(values.size());
    for (std::size_t e = 0; e < values.size(); ++e)
        for (std::size_t i = 0; i < values[e].size(); ++i) {
            keep[e].push_back((e + i) % 3 != 0);
            if (keep[e].back()) kept[e].push_back(values[e][i]);
        }
    // Sliced column and mask: offsets start past 0.
    auto padded = values;
    padded.insert(padded.begin(), std::vector<T>{T(1), T(0)});
    auto padded_keep = keep;
    padded_keep.insert(padded_keep.begin(), std::vector<bool>{true});
    const Column column = sliced(jagged<T>(padded));
    EXPECT_EQ(nested<T>(maskObjects(column, sliced(jagged<bool>(padded_keep)))), kept);

    const auto other = manyEvents<T>(5);
    std::vector<std::vector<T>> joined(values.size());
    for (std::size_t e = 0; e < values.size(); ++e) {
        joined[e] = values[e];
        joined[e].insert(joined[e].end(), other[e].begin(), other[e].end());
    }
    EXPECT_EQ(nested<T>(concat(column, jagged<T>(other))), joined);
    const Column laid_out = concatLayout(column.offsets(0), jagged<T>(other).offsets(0));
    EXPECT_EQ(nested<T>(concatLaidOut(column, jagged<T>(other), laid_out)), joined);

    // Gather in reverse with one position out of range (missing) per event.
    std::vector<std::vector<std::int64_t>> indices(values.size());
    std::vector<std::vector<T>> gathered(values.size());
    std::vector<T> taken;
    for (std::size_t e = 0; e < values.size(); ++e) {
        const auto n = static_cast<std::int64_t>(values[e].size());
        for (std::int64_t k = -1; k >= -n; --k) {
            indices[e].push_back(k);
            gathered[e].push_back(values[e][static_cast<std::size_t>(n + k)]);
        }
        indices[e].push_back(n);
        gathered[e].push_back(T(0));
        taken.push_back(n > 1 ? values[e][1] : T(0));
    }
    const Column out = gather(column, jagged<std::int64_t>(indices));
    if constexpr (std::is_floating_point_v<T>) {
        auto got = nested<T>(out);
        for (auto& event : got) {
            EXPECT_TRUE(std::isnan(event.back()));
            event.back() = T(0);
        }
        EXPECT_EQ(got, gathered);
        const auto took = flatValues<T>(take(column, 1));
        ASSERT_EQ(took.size(), taken.size());
        for (std::size_t e = 0; e < taken.size(); ++e)
            if (values[e].size() > 1)
                EXPECT_EQ(took[e], taken[e]);
            else
                EXPECT_TRUE(std::isnan(took[e]));
    } else {
        EXPECT_EQ(nested<T>(out), gathered);
        EXPECT_EQ(flatValues<T>(take(column, 1)), taken);
    }
}

TYPED_TEST(SmallEventPaths, BroadcastLocalIndexConcatSource) {
    using T = TypeParam;
    const auto values = manyEvents<T>(3);
    const auto other = manyEvents<T>(11);
    const Column column = jagged<T>(values);
    const Column second = jagged<T>(other);
    std::vector<T> per_event;
    std::vector<std::vector<T>> repeated(values.size());
    std::vector<I64> positions(values.size()), sources(values.size());
    for (std::size_t e = 0; e < values.size(); ++e) {
        per_event.push_back(T((e * 13) % 7 != 0));
        repeated[e].assign(values[e].size(), per_event.back());
        for (std::size_t i = 0; i < values[e].size(); ++i)
            positions[e].push_back(static_cast<std::int64_t>(i));
        sources[e].assign(values[e].size(), 0);
        sources[e].insert(sources[e].end(), other[e].size(), 1);
    }
    EXPECT_EQ(nested<T>(broadcast(flat<T>(per_event), column.offsets(0))), repeated);
    EXPECT_EQ(nested<std::int64_t>(localIndex(column.offsets(0))), positions);
    const Column layout = concatLayout(column.offsets(0), second.offsets(0));
    EXPECT_EQ(nested<std::int64_t>(
                  concatSource(layout, column.offsets(0).back() - column.offsets(0).front())),
              sources);
}

TEST(Gather, FromAColumnWithoutValues) {
    const Column out = gather(jagged<float>({{}, {}}), jagged<std::int64_t>({{0}, {1, -1}}));
    const auto values = out.values<float>();
    ASSERT_EQ(values.size(), 3u);
    for (float v : values) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace hepflow::frame::kernels
