// impliedMinimums: the lower bounds a cut's top-level && terms put on single columns, which the
// engine turns into early cuts; every form that implies one, and forms that must not.
#include "frame/expr/implied_bounds.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace hepflow::frame::expr {
namespace {

std::vector<std::pair<std::string, std::int64_t>> bounds(std::string_view cut) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& bound : impliedMinimums(cut)) out.emplace_back(bound.column, bound.minimum);
    return out;
}

using Bounds = std::vector<std::pair<std::string, std::int64_t>>;

TEST(ImpliedMinimums, EachComparisonThatBoundsFromBelow) {
    EXPECT_EQ(bounds("nJet >= 4"), (Bounds{{"nJet", 4}}));
    EXPECT_EQ(bounds("nJet > 3"), (Bounds{{"nJet", 4}}));
    EXPECT_EQ(bounds("nJet == 2"), (Bounds{{"nJet", 2}}));
    EXPECT_EQ(bounds("4 <= nJet"), (Bounds{{"nJet", 4}}));
    EXPECT_EQ(bounds("3 < nJet"), (Bounds{{"nJet", 4}}));
    EXPECT_EQ(bounds("2 == nJet"), (Bounds{{"nJet", 2}}));
}

TEST(ImpliedMinimums, EveryTermOfTheTopLevelAnd) {
    EXPECT_EQ(bounds("a >= 1 && (b > 2 && c == 3)"), (Bounds{{"a", 1}, {"b", 3}, {"c", 3}}));
    EXPECT_EQ(bounds("a >= 1 and HT > 300.0 and b >= 2"), (Bounds{{"a", 1}, {"b", 2}}));
    EXPECT_EQ(bounds("let z = 1; a >= 2 && z > 0"), (Bounds{{"a", 2}}));
}

TEST(ImpliedMinimums, NoneWhereTheCutDoesNotImplyOne) {
    for (const char* cut :
         {"a >= 0", "a > -1", "a == 0", "a >= -3", "a >= 1 || b >= 2", "!(a < 1)", "a >= 1.5",
          "a < 3", "4 >= a", "a != 2", "a >= b", "a + 1 >= 2", "(a >= 1) == true",
          "a > 9223372036854775807", "let a = b; a >= 2", "a >= 1 ? true : false", "HT > 300.5"})
        EXPECT_TRUE(impliedMinimums(cut).empty()) << cut;
}

TEST(ImpliedMinimums, SyntaxErrorsAreUsageErrors) {
    EXPECT_THROW(impliedMinimums("nJet >= "), UsageError);
}

}  // namespace
}  // namespace hepflow::frame::expr
