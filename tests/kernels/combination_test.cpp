// Tests of combinations() and crossPairs(): lexicographic order of local positions, counts
// for empty and small events, sliced input offsets and bad sizes.
#include <gtest/gtest.h>

#include "column_builders.h"
#include "common/error.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::kernels {
namespace {

using namespace hepflow::frame::testing;
using I64 = std::vector<std::int64_t>;

TEST(Combinations, PairsInLexicographicOrder) {
    const Combinations pairs = combinations(Offsets{5, 8, 8, 9, 11}, 2);  // 3, 0, 1, 2 objects
    EXPECT_EQ(pairs.offsets, (Offsets{0, 3, 3, 3, 4}));
    ASSERT_EQ(pairs.members.size(), 2u);
    EXPECT_EQ(nested<std::int64_t>(pairs.members[0]), (std::vector<I64>{{0, 0, 1}, {}, {}, {0}}));
    EXPECT_EQ(nested<std::int64_t>(pairs.members[1]), (std::vector<I64>{{1, 2, 2}, {}, {}, {1}}));
}

TEST(Combinations, Triplets) {
    const Combinations triplets = combinations(Offsets{0, 4, 6}, 3);
    EXPECT_EQ(triplets.offsets, (Offsets{0, 4, 4}));
    ASSERT_EQ(triplets.members.size(), 3u);
    EXPECT_EQ(nested<std::int64_t>(triplets.members[0]), (std::vector<I64>{{0, 0, 0, 1}, {}}));
    EXPECT_EQ(nested<std::int64_t>(triplets.members[1]), (std::vector<I64>{{1, 1, 2, 2}, {}}));
    EXPECT_EQ(nested<std::int64_t>(triplets.members[2]), (std::vector<I64>{{2, 3, 3, 3}, {}}));
}

TEST(Combinations, CountsForLargerEvents) {
    const Combinations pairs = combinations(Offsets{0, 10}, 2);
    EXPECT_EQ(pairs.offsets.back(), 45);
    EXPECT_EQ(combinations(Offsets{0, 10}, 3).offsets.back(), 120);
    EXPECT_EQ(combinations(Offsets{0}, 2).offsets, (Offsets{0}));
}

TEST(Combinations, BadInputs) {
    EXPECT_THROW(combinations(Offsets{0, 3}, 4), UsageError);
    EXPECT_THROW(combinations(Offsets{0, 3}, 1), UsageError);
    EXPECT_THROW(combinations(Offsets{}, 2), UsageError);
    EXPECT_THROW(combinations(Offsets{0, 3, 1}, 2), UsageError);
    // Results past kMaxResultValues (2^28 values per batch) are refused before allocating:
    // the triplets of 2000 objects, the pairs of 30000, 20000 x 20000 cross pairs.
    EXPECT_THROW(combinations(Offsets{0, 2000}, 3), UsageError);
    EXPECT_THROW(combinations(Offsets{0, 30000}, 2), UsageError);
    EXPECT_THROW(crossPairs(Offsets{0, 20000}, Offsets{0, 20000}), UsageError);
    EXPECT_EQ(combinations(Offsets{0, 200}, 3).offsets.back(), 200 * 199 * 198 / 6);
}

TEST(CrossPairs, FirstMajor) {
    const Combinations pairs = crossPairs(Offsets{2, 4, 4, 5}, Offsets{0, 3, 4, 4});
    EXPECT_EQ(pairs.offsets, (Offsets{0, 6, 6, 6}));
    EXPECT_EQ(nested<std::int64_t>(pairs.members[0]),
              (std::vector<I64>{{0, 0, 0, 1, 1, 1}, {}, {}}));
    EXPECT_EQ(nested<std::int64_t>(pairs.members[1]),
              (std::vector<I64>{{0, 1, 2, 0, 1, 2}, {}, {}}));
    EXPECT_THROW(crossPairs(Offsets{0, 1}, Offsets{0, 1, 2}), UsageError);
}

}  // namespace
}  // namespace hepflow::frame::kernels
