// Tests of combinations() and crossPairs(): lexicographic order of local positions and of
// absolute ones, counts for empty and small events, sliced input offsets and bad sizes; and
// gatherCombined(), the member-field read through absolute positions.
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

TEST(Combinations, AbsolutePositionsCountFromTheInputOffsets) {
    const Combinations pairs = combinations(Offsets{5, 8, 8, 9, 11}, 2);
    ASSERT_EQ(pairs.absolute.size(), 2u);
    EXPECT_EQ(nested<std::int64_t>(pairs.absolute[0]), (std::vector<I64>{{5, 5, 6}, {}, {}, {9}}));
    EXPECT_EQ(nested<std::int64_t>(pairs.absolute[1]), (std::vector<I64>{{6, 7, 7}, {}, {}, {10}}));
    const Combinations triplets = combinations(Offsets{0, 1, 5}, 3);
    ASSERT_EQ(triplets.absolute.size(), 3u);
    EXPECT_EQ(nested<std::int64_t>(triplets.absolute[0]), (std::vector<I64>{{}, {1, 1, 1, 2}}));
    EXPECT_EQ(nested<std::int64_t>(triplets.absolute[1]), (std::vector<I64>{{}, {2, 2, 3, 3}}));
    EXPECT_EQ(nested<std::int64_t>(triplets.absolute[2]), (std::vector<I64>{{}, {3, 4, 4, 4}}));
    const Combinations cross = crossPairs(Offsets{2, 4, 4, 5}, Offsets{0, 3, 4, 4});
    EXPECT_EQ(nested<std::int64_t>(cross.absolute[0]),
              (std::vector<I64>{{2, 2, 2, 3, 3, 3}, {}, {}}));
    EXPECT_EQ(nested<std::int64_t>(cross.absolute[1]),
              (std::vector<I64>{{0, 1, 2, 0, 1, 2}, {}, {}}));
}

TEST(GatherCombined, MatchesGatherThroughLocalPositions) {
    // Offsets starting past 0 (a slice), so absolute and local positions differ.
    const Column pt = sliced(jagged<float>({{9.f}, {1.f, 2.f, 3.f}, {}, {4.f}, {5.f, 6.f}}));
    const Combinations pairs = combinations(pt.offsets(0), 2);
    for (std::size_t m = 0; m < 2; ++m) {
        const Column fast = gatherCombined(pt, pt.offsets(0), pairs.absolute[m], pairs.members[m]);
        EXPECT_EQ(nested<float>(fast), nested<float>(gather(pt, pairs.members[m])));
    }
    EXPECT_EQ(nested<float>(gatherCombined(pt, pt.offsets(0), pairs.absolute[1], pairs.members[1])),
              (std::vector<std::vector<float>>{{2.f, 3.f, 3.f}, {}, {}, {6.f}}));
    // A field with the same counts but other offsets cannot use the absolute positions.
    const Column charge = jagged<std::int32_t>({{1, -1, 1}, {}, {-1}, {1, 1}});
    EXPECT_EQ(nested<std::int32_t>(
                  gatherCombined(charge, pt.offsets(0), pairs.absolute[0], pairs.members[0])),
              (std::vector<std::vector<std::int32_t>>{{1, 1, -1}, {}, {}, {1}}));
}

}  // namespace
}  // namespace hepflow::frame::kernels
