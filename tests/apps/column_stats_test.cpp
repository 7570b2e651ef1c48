// Unit tests of frame::computeColumnStats on hand-built columns: each case mirrors a shape
// that appears in tests/data/expected.json and checks the JSROOT dump's conventions
// (flattening, lengths_first, bools, NaN, 64-bit integers, strings, struct members).
#include "frame/columns/column_stats.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace hepflow::frame {
namespace {

template <class T>
Column flatColumn(std::initializer_list<T> values) {
    Column column(dtypeOf<T>());
    for (const T value : values) column.append(value);
    return column;
}

// A jagged column from entries of values (one offsets level).
template <class T>
Column jaggedColumn(std::initializer_list<std::initializer_list<T>> entries) {
    Column column(dtypeOf<T>(), 1);
    std::int64_t n = 0;
    for (const auto& entry : entries) {
        for (const T value : entry) column.append(value);
        n += static_cast<std::int64_t>(entry.size());
        column.offsets(0).push_back(n);
    }
    return column;
}

Column stringColumn(std::initializer_list<std::string_view> strings) {
    Column column(DType::String);
    for (const auto text : strings) column.appendString(text);
    return column;
}

Column structColumn(std::int64_t length, std::vector<std::pair<std::string, Column>> members) {
    Column column(DType::Struct);
    column.members() = std::move(members);
    column.setStructLength(length);
    return column;
}

std::vector<ShownValue> shown(std::initializer_list<ShownValue> values) {
    return values;
}

const NumberStats& memberNumbers(const ColumnStats& stats, std::string_view path) {
    for (const auto& [name, member] : stats.members)
        if (name == path) return std::get<NumberStats>(member);
    throw std::runtime_error("no member " + std::string(path));
}

const StringStats& memberStrings(const ColumnStats& stats, std::string_view path) {
    for (const auto& [name, member] : stats.members)
        if (name == path) return std::get<StringStats>(member);
    throw std::runtime_error("no member " + std::string(path));
}

TEST(ColumnStats, FlatIntegers) {
    // i4 of uproot-sample: -15 .. 14.
    Column column(DType::Int32);
    for (std::int32_t i = -15; i < 15; ++i) column.append(i);
    const auto stats = computeColumnStats(column);
    EXPECT_EQ(stats.entries, 30);
    ASSERT_TRUE(stats.values);
    EXPECT_FALSE(stats.strings);
    EXPECT_TRUE(stats.lengths_first.empty());
    EXPECT_EQ(stats.values->count, 30);
    EXPECT_EQ(stats.values->sum, -15.0);
    EXPECT_EQ(stats.values->min, -15.0);
    EXPECT_EQ(stats.values->max, 14.0);
    EXPECT_EQ(stats.values->first, shown({-15, -14, -13, -12, -11}));
}

TEST(ColumnStats, BoolsCountAsZeroAndOne) {
    const auto stats = computeColumnStats(flatColumn<bool>({true, false, true}));
    EXPECT_EQ(stats.values->count, 3);
    EXPECT_EQ(stats.values->sum, 2.0);
    EXPECT_EQ(stats.values->min, 0.0);
    EXPECT_EQ(stats.values->max, 1.0);
    EXPECT_EQ(stats.values->first, shown({std::int64_t{1}, std::int64_t{0}, std::int64_t{1}}));
}

TEST(ColumnStats, CharsAreNumbers) {
    // Char_t leaves (Int8) are small integers, signed: leaflist's z = 97..101, i1 = -15...
    const auto stats = computeColumnStats(flatColumn<std::int8_t>({-15, 97, 127}));
    EXPECT_EQ(stats.values->first, shown({-15, 97, 127}));
    EXPECT_EQ(stats.values->sum, 209.0);
}

TEST(ColumnStats, JaggedIsFlattenedWithLengths) {
    const auto column = jaggedColumn<float>({{}, {1.5f}, {2.5f, -3.0f}, {}, {4}, {5}, {6}});
    const auto stats = computeColumnStats(column);
    EXPECT_EQ(stats.entries, 7);
    EXPECT_EQ(stats.lengths_first, (std::vector<std::int64_t>{0, 1, 2, 0, 1}));
    EXPECT_EQ(stats.values->count, 6);
    EXPECT_EQ(stats.values->sum, 16.0);
    EXPECT_EQ(stats.values->min, -3.0);
    EXPECT_EQ(stats.values->first, shown({1.5, 2.5, -3.0, 4.0, 5.0}));
}

TEST(ColumnStats, FloatsWidenExactly) {
    // JSROOT shows Float_t values as the double they widen to (-14.899999618530273).
    const auto stats = computeColumnStats(flatColumn<float>({-14.9f}));
    EXPECT_EQ(stats.values->first, shown({static_cast<double>(-14.9f)}));
    EXPECT_EQ(stats.values->sum, static_cast<double>(-14.9f));
}

TEST(ColumnStats, DoublyJaggedAsInVectorVectorDouble) {
    // uproot-vectorVectorDouble.root: [], [[],[]], [[10],[],[10,20]], [[20,-21,-22]],
    // [[200],[-201],[202]] -> 9 values, sum 218, lengths 0,2,3,1,3 (PROVENANCE.md).
    Column column(DType::Float64, 2);
    const std::vector<std::vector<std::vector<double>>> entries = {
        {}, {{}, {}}, {{10}, {}, {10, 20}}, {{20, -21, -22}}, {{200}, {-201}, {202}}};
    for (const auto& entry : entries) {
        for (const auto& inner : entry) {
            for (const double value : inner) column.append(value);
            column.offsets(1).push_back(static_cast<std::int64_t>(column.numValues()));
        }
        column.offsets(0).push_back(static_cast<std::int64_t>(column.offsets(1).size() - 1));
    }
    const auto stats = computeColumnStats(column);
    EXPECT_EQ(stats.entries, 5);
    EXPECT_EQ(stats.lengths_first, (std::vector<std::int64_t>{0, 2, 3, 1, 3}));
    EXPECT_EQ(stats.values->count, 9);
    EXPECT_EQ(stats.values->sum, 218.0);
    EXPECT_EQ(stats.values->min, -201.0);
    EXPECT_EQ(stats.values->max, 202.0);
    EXPECT_EQ(stats.values->first, shown({10.0, 10.0, 20.0, 20.0, -21.0}));
}

TEST(ColumnStats, NanAndInfinityAreCountedApart) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const auto stats = computeColumnStats(flatColumn<double>({nan, 1.0, -inf, 2.0, inf, nan}));
    EXPECT_EQ(stats.values->count, 6);
    EXPECT_EQ(stats.values->nan_count, 2);
    EXPECT_EQ(stats.values->inf_count, 2);
    EXPECT_EQ(stats.values->sum, 3.0);
    EXPECT_TRUE(stats.values->hasRange());
    EXPECT_EQ(stats.values->min, 1.0);
    EXPECT_EQ(stats.values->max, 2.0);
    EXPECT_EQ(stats.values->first, shown({std::string("NaN"), 1.0, std::string("-Infinity"), 2.0,
                                          std::string("Infinity")}));
}

TEST(ColumnStats, AllNanHasNoRange) {
    // nanoAOD HTXS_Higgs_y: 200 NaN -> sum 0, nan_count 200, no min/max.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto stats = computeColumnStats(flatColumn<float>({nan, nan}));
    EXPECT_EQ(stats.values->count, 2);
    EXPECT_EQ(stats.values->sum, 0.0);
    EXPECT_FALSE(stats.values->hasRange());
}

TEST(ColumnStats, LargeIntegersShownAsExactText) {
    constexpr std::int64_t kSafe = (std::int64_t{1} << 53) - 1;
    const auto stats = computeColumnStats(flatColumn<std::uint64_t>(
        {std::uint64_t{kSafe}, std::uint64_t{kSafe} + 1, 18446744073709551615ull}));
    EXPECT_EQ(stats.values->first,
              shown({kSafe, std::string("9007199254740992"), std::string("18446744073709551615")}));
    EXPECT_EQ(stats.values->max, 18446744073709551615.0);  // as a double, like Number(v)
    const auto negative = computeColumnStats(flatColumn<std::int64_t>({-kSafe, -kSafe - 1}));
    EXPECT_EQ(negative.values->first, shown({-kSafe, std::string("-9007199254740992")}));
}

TEST(ColumnStats, Strings) {
    // uproot-sample `str`: "hey-0" ...; a string is not a list: no lengths_first.
    const auto stats = computeColumnStats(stringColumn({"hey-0", "hey-1", "", "hey-10"}));
    EXPECT_FALSE(stats.values);
    ASSERT_TRUE(stats.strings);
    EXPECT_TRUE(stats.lengths_first.empty());
    EXPECT_EQ(stats.strings->count, 4);
    EXPECT_EQ(stats.strings->total_length, 16);
    EXPECT_EQ(stats.strings->first, (std::vector<std::string>{"hey-0", "hey-1", "", "hey-10"}));
}

TEST(ColumnStats, VectorOfStrings) {
    Column column(DType::String, 1);
    const std::vector<std::vector<std::string>> entries = {{"one"}, {"one", "two"}, {}};
    for (const auto& entry : entries) {
        for (const auto& text : entry) column.appendString(text);
        column.offsets(0).push_back(static_cast<std::int64_t>(column.numStrings()));
    }
    const auto stats = computeColumnStats(column);
    EXPECT_EQ(stats.entries, 3);
    EXPECT_EQ(stats.lengths_first, (std::vector<std::int64_t>{1, 2, 0}));
    EXPECT_EQ(stats.strings->count, 3);
    EXPECT_EQ(stats.strings->total_length, 9);
}

TEST(ColumnStats, LeafListMembers) {
    // uproot-leaflist: x/D:y/I:z/B, one object per entry: members, no lengths_first.
    std::vector<std::pair<std::string, Column>> members;
    members.emplace_back("x", flatColumn<double>({1.1, 2.2}));
    members.emplace_back("y", flatColumn<std::int32_t>({1, 2}));
    members.emplace_back("z", flatColumn<std::int8_t>({97, 98}));
    const auto stats = computeColumnStats(structColumn(2, std::move(members)));
    EXPECT_EQ(stats.entries, 2);
    EXPECT_FALSE(stats.values);
    EXPECT_TRUE(stats.lengths_first.empty());
    ASSERT_EQ(stats.members.size(), 3u);
    EXPECT_EQ(memberNumbers(stats, ".x").sum, 1.1 + 2.2);
    EXPECT_EQ(memberNumbers(stats, ".y").first, shown({1, 2}));
    EXPECT_EQ(memberNumbers(stats, ".z").max, 98.0);
}

TEST(ColumnStats, MapMembersAreJagged) {
    // map<string,short>: per entry a list of pairs; strings get "#string".
    Column keys(DType::String, 1);
    for (const char* text : {"one", "one", "two"}) keys.appendString(text);
    keys.offsets(0) = {0, 1, 3};
    auto values = jaggedColumn<std::int16_t>({{1}, {1, 2}});
    std::vector<std::pair<std::string, Column>> members;
    members.emplace_back("first", std::move(keys));
    members.emplace_back("second", std::move(values));
    const auto stats = computeColumnStats(structColumn(2, std::move(members)));
    EXPECT_EQ(stats.lengths_first, (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(memberStrings(stats, ".first#string").total_length, 9);
    EXPECT_EQ(memberNumbers(stats, ".second").sum, 4.0);
}

TEST(ColumnStats, MemberNamesAlreadyInDumpForm) {
    // Decoders may name members ".first#string" themselves: no second dot or mark.
    std::vector<std::pair<std::string, Column>> members;
    members.emplace_back(".first#string", stringColumn({"a", "bc"}));
    members.emplace_back(".second", flatColumn<std::int16_t>({1, 2}));
    const auto stats = computeColumnStats(structColumn(2, std::move(members)));
    ASSERT_EQ(stats.members.size(), 2u);
    EXPECT_EQ(stats.members[0].first, ".first#string");
    EXPECT_EQ(stats.members[1].first, ".second");
    EXPECT_EQ(memberStrings(stats, ".first#string").total_length, 3);
}

TEST(ColumnStats, NestedStructsAndEmptyMembers) {
    // A TClonesArray of objects holding a TLorentzVector (".fP.fX") and a TRefArray whose
    // UIDs are all empty: the dump never creates a path for a member without values.
    Column objects(DType::Struct, 1);
    objects.offsets(0) = {0, 2, 2, 3};
    objects.setStructLength(3);
    std::vector<std::pair<std::string, Column>> vector_members;
    vector_members.emplace_back("fX", flatColumn<double>({1, 2, 3}));
    objects.members().emplace_back("fP", structColumn(3, std::move(vector_members)));
    objects.members().emplace_back("fE", flatColumn<double>({4, 5, 6}));
    objects.members().emplace_back(".fUIDs", jaggedColumn<std::uint32_t>({{}, {}, {}}));
    const auto stats = computeColumnStats(objects);
    EXPECT_EQ(stats.lengths_first, (std::vector<std::int64_t>{2, 0, 1}));
    ASSERT_EQ(stats.members.size(), 2u);
    EXPECT_EQ(stats.members[0].first, ".fP.fX");
    EXPECT_EQ(stats.members[1].first, ".fE");
    EXPECT_EQ(memberNumbers(stats, ".fP.fX").sum, 6.0);
}

TEST(ColumnStats, StructWithAFlatMemberIsOneObjectPerEntry) {
    // A TRefArray per entry: fLast is flat, fUIDs jagged -> no lengths_first.
    std::vector<std::pair<std::string, Column>> members;
    members.emplace_back("fLast", flatColumn<std::int32_t>({1, 0}));
    members.emplace_back("fUIDs", jaggedColumn<std::uint32_t>({{7, 8}, {9}}));
    const auto stats = computeColumnStats(structColumn(2, std::move(members)));
    EXPECT_TRUE(stats.lengths_first.empty());
    EXPECT_EQ(memberNumbers(stats, ".fUIDs").count, 3);
}

TEST(ColumnStats, NoValuesGivesEmptyValues) {
    // Branches with no entries get {"count": 0, "sum": 0, "first": []} in the dump.
    for (const auto& column :
         {Column(DType::String), Column(DType::Int32, 1), jaggedColumn<double>({{}, {}})}) {
        const auto stats = computeColumnStats(column);
        ASSERT_TRUE(stats.values);
        EXPECT_EQ(stats.values->count, 0);
        EXPECT_FALSE(stats.values->hasRange());
        EXPECT_FALSE(stats.strings);
        EXPECT_TRUE(stats.members.empty());
    }
}

TEST(ColumnStats, FirstCountIsAParameter) {
    const auto stats = computeColumnStats(jaggedColumn<std::int32_t>({{1, 2}, {3}, {4}}), 2);
    EXPECT_EQ(stats.values->first, shown({1, 2}));
    EXPECT_EQ(stats.lengths_first, (std::vector<std::int64_t>{2, 1}));
}

}  // namespace
}  // namespace hepflow::frame
