// Tests of Column::concatenate: the rows of every part in order, for flat, jagged, doubly
// jagged, string and struct columns, with empty parts, a first part whose offsets start past
// 0, and a single part; later parts starting past 0 are refused.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "column_builders.h"
#include "common/error.h"

namespace hepflow::frame {
namespace {

using namespace hepflow::frame::testing;
using F32 = std::vector<float>;

TEST(ColumnConcatenate, JaggedPartsWithEmptyOnesKeepEveryRow) {
    const Column whole =
        Column::concatenate({jagged<float>({{1, 2}, {}, {3}}), jagged<float>({}),
                             jagged<float>({{}, {4, 5, 6}}), jagged<float>({{7}})});
    EXPECT_EQ(nested<float>(whole), (std::vector<F32>{{1, 2}, {}, {3}, {}, {4, 5, 6}, {7}}));
    EXPECT_EQ(whole.offsets(0), (Offsets{0, 2, 2, 3, 3, 6, 7}));
    EXPECT_EQ(whole.numValues(), 7u);
}

TEST(ColumnConcatenate, FlatAndSinglePart) {
    const Column whole = Column::concatenate({flat<std::int32_t>({1, 2}), flat<std::int32_t>({3})});
    EXPECT_EQ(flatValues<std::int32_t>(whole), (std::vector<std::int32_t>{1, 2, 3}));
    const Column one = Column::concatenate({jagged<double>({{1.5}, {2.5, 3.5}})});
    EXPECT_EQ(nested<double>(one), (std::vector<std::vector<double>>{{1.5}, {2.5, 3.5}}));
}

TEST(ColumnConcatenate, FirstPartMayStartPastZero) {
    // A slice of a bigger batch: its first entry ({1, 2}) is cut off.
    const Column first = sliced(jagged<float>({{1, 2}, {3}, {4, 5}}));
    const Column whole = Column::concatenate({first, jagged<float>({{6}})});
    EXPECT_EQ(whole.offsets(0), (Offsets{2, 3, 5, 6}));
    EXPECT_EQ(whole.values<float>()[5], 6.0f);
}

TEST(ColumnConcatenate, LaterPartsStartingPastZeroAreRefused) {
    EXPECT_THROW(Column::concatenate({jagged<float>({{1}}), sliced(jagged<float>({{2}, {3}}))}),
                 Error);
}

TEST(ColumnConcatenate, StringsDoublyJaggedAndStructMembers) {
    const Column text = Column::concatenate({strings({"a", "", "bc"}), strings({"def"})});
    ASSERT_EQ(text.numStrings(), 4u);
    EXPECT_EQ(text.stringAt(1), "");
    EXPECT_EQ(text.stringAt(2), "bc");
    EXPECT_EQ(text.stringAt(3), "def");

    const Column lists =
        Column::concatenate({jaggedStrings({{"x"}, {}}), jaggedStrings({{"y", "zz"}})});
    EXPECT_EQ(lists.offsets(0), (Offsets{0, 1, 1, 3}));
    ASSERT_EQ(lists.numStrings(), 3u);
    EXPECT_EQ(lists.stringAt(0), "x");
    EXPECT_EQ(lists.stringAt(2), "zz");

    const Column doubly =
        Column::concatenate({jagged2<float>({{{1}, {}}, {{2, 3}}}), jagged2<float>({{}, {{4}}})});
    EXPECT_EQ(doubly.offsets(0), (Offsets{0, 2, 3, 3, 4}));
    EXPECT_EQ(doubly.offsets(1), (Offsets{0, 1, 1, 3, 4}));
    EXPECT_EQ(std::vector<float>(doubly.values<float>().begin(), doubly.values<float>().end()),
              (F32{1, 2, 3, 4}));

    const auto record = [](std::vector<float> x, std::vector<std::int64_t> n) {
        Column column(DType::Struct);
        column.setStructLength(static_cast<std::int64_t>(x.size()));
        column.members().emplace_back("x", flat<float>(x));
        column.members().emplace_back("n", flat<std::int64_t>(n));
        return column;
    };
    const Column both = Column::concatenate({record({1, 2}, {10, 20}), record({3}, {30})});
    EXPECT_EQ(both.length(), 3);
    EXPECT_EQ(both.members()[0].first, "x");
    EXPECT_EQ(flatValues<float>(both.members()[0].second), (F32{1, 2, 3}));
    EXPECT_EQ(flatValues<std::int64_t>(both.members()[1].second),
              (std::vector<std::int64_t>{10, 20, 30}));
}

}  // namespace
}  // namespace hepflow::frame
