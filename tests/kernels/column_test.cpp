// Tests of Column::concatenate and Column::appendColumn: the rows of every part in order,
// for flat, jagged, doubly jagged, string and struct columns, with empty parts, a first part
// whose offsets start past 0, and a single part.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "column_builders.h"
#include "common/error.h"

namespace hepflow::frame {
namespace {

using namespace hepflow::frame::testing;
using F32 = std::vector<float>;

// concatenate(parts) and appending the parts one by one give the same column.
Column appendedOneByOne(const std::vector<Column>& parts) {
    Column out = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) out.appendColumn(parts[i]);
    return out;
}

void expectSameColumn(const Column& a, const Column& b) {
    ASSERT_EQ(a.dtype(), b.dtype());
    ASSERT_EQ(a.levels(), b.levels());
    for (std::size_t level = 0; level < a.levels(); ++level)
        EXPECT_EQ(a.offsets(level), b.offsets(level)) << "level " << level;
    EXPECT_TRUE(a.bytes() == b.bytes());
    ASSERT_EQ(a.members().size(), b.members().size());
    for (std::size_t m = 0; m < a.members().size(); ++m)
        expectSameColumn(a.members()[m].second, b.members()[m].second);
}

TEST(ColumnConcatenate, JaggedPartsWithEmptyOnesKeepEveryRow) {
    const std::vector<Column> parts = {jagged<float>({{1, 2}, {}, {3}}), jagged<float>({}),
                                       jagged<float>({{}, {4, 5, 6}}), jagged<float>({{7}})};
    const Column whole = Column::concatenate(std::vector<Column>(parts));
    EXPECT_EQ(nested<float>(whole), (std::vector<F32>{{1, 2}, {}, {3}, {}, {4, 5, 6}, {7}}));
    EXPECT_EQ(whole.offsets(0), (Offsets{0, 2, 2, 3, 3, 6, 7}));
    expectSameColumn(whole, appendedOneByOne(parts));
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
    Column first = jagged<float>({{1}});
    EXPECT_THROW(first.appendColumn(sliced(jagged<float>({{2}, {3}}))), Error);
}

TEST(ColumnConcatenate, StringsDoublyJaggedAndStructMembers) {
    const std::vector<Column> strings_parts = {strings({"a", "", "bc"}), strings({"def"})};
    const Column text = Column::concatenate(std::vector<Column>(strings_parts));
    ASSERT_EQ(text.numStrings(), 4u);
    EXPECT_EQ(text.stringAt(2), "bc");
    EXPECT_EQ(text.stringAt(3), "def");
    expectSameColumn(text, appendedOneByOne(strings_parts));

    const std::vector<Column> lists_parts = {jaggedStrings({{"x"}, {}}),
                                             jaggedStrings({{"y", "zz"}})};
    expectSameColumn(Column::concatenate(std::vector<Column>(lists_parts)),
                     appendedOneByOne(lists_parts));

    const std::vector<Column> double_parts = {jagged2<float>({{{1}, {}}, {{2, 3}}}),
                                              jagged2<float>({{}, {{4}}})};
    const Column doubly = Column::concatenate(std::vector<Column>(double_parts));
    EXPECT_EQ(doubly.offsets(0), (Offsets{0, 2, 3, 3, 4}));
    EXPECT_EQ(doubly.offsets(1), (Offsets{0, 1, 1, 3, 4}));
    expectSameColumn(doubly, appendedOneByOne(double_parts));

    const auto record = [](std::vector<float> x, std::vector<std::int64_t> n) {
        Column column(DType::Struct);
        column.setStructLength(static_cast<std::int64_t>(x.size()));
        column.members().emplace_back("x", flat<float>(x));
        column.members().emplace_back("n", flat<std::int64_t>(n));
        return column;
    };
    const std::vector<Column> records = {record({1, 2}, {10, 20}), record({3}, {30})};
    const Column both = Column::concatenate(std::vector<Column>(records));
    EXPECT_EQ(both.length(), 3);
    EXPECT_EQ(flatValues<float>(both.members()[0].second), (F32{1, 2, 3}));
    EXPECT_EQ(flatValues<std::int64_t>(both.members()[1].second),
              (std::vector<std::int64_t>{10, 20, 30}));
    expectSameColumn(both, appendedOneByOne(records));
}

}  // namespace
}  // namespace hepflow::frame
