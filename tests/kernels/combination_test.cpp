// Tests of combinations() and crossPairs(): lexicographic order of local positions and of
// absolute ones, counts for empty and small events, sliced input offsets and bad sizes;
// selectedCombination(), the one combination at an index, against them; and gatherCombined(),
// the member-field read through absolute positions.
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

// Every position of every event (negative ones from the end, and past either end) selects the
// combination the full enumeration has there, or none.
TEST(SelectedCombination, IsTheEnumerationsAtEveryIndex) {
    const Offsets first{3, 3, 4, 6, 9, 13, 18, 24};  // 0 to 6 objects, from position 3
    const Offsets second{0, 2, 2, 5, 6, 6, 9, 10};
    for (const int k : {2, 3, -2}) {  // -2: pairs across first and second
        const bool cross = k < 0;
        const Combinations all = cross ? crossPairs(first, second) : combinations(first, k);
        const std::size_t members = cross ? 2 : static_cast<std::size_t>(k);
        const std::size_t events = first.size() - 1;
        for (std::int64_t position = -25; position <= 25; ++position) {
            const std::vector<std::int64_t> index(events, position);
            const Combinations one =
                selectedCombination(first, cross ? &second : nullptr, cross ? 2 : k, index);
            ASSERT_EQ(one.members.size(), members);
            ASSERT_EQ(one.absolute.size(), members);
            for (std::size_t e = 0; e < events; ++e) {
                const std::int64_t count = all.offsets[e + 1] - all.offsets[e];
                const std::int64_t local = position < 0 ? position + count : position;
                const bool exists = local >= 0 && local < count;
                ASSERT_EQ(one.offsets[e + 1] - one.offsets[e], exists ? 1 : 0)
                    << "k " << k << " event " << e << " position " << position;
                if (!exists) continue;
                const auto at = static_cast<std::size_t>(one.offsets[e]);
                const auto from = static_cast<std::size_t>(all.offsets[e] + local);
                for (std::size_t m = 0; m < members; ++m) {
                    EXPECT_EQ(one.members[m].values<std::int64_t>()[at],
                              all.members[m].values<std::int64_t>()[from]);
                    EXPECT_EQ(one.absolute[m].values<std::int64_t>()[at],
                              all.absolute[m].values<std::int64_t>()[from]);
                }
            }
        }
    }
    EXPECT_THROW(selectedCombination(first, nullptr, 2, std::vector<std::int64_t>(3)), UsageError);
    EXPECT_THROW(selectedCombination(first, &second, 3, std::vector<std::int64_t>(7)), UsageError);
    // Positions in events far larger than any enumeration could hold.
    const std::vector<std::int64_t> last = {-1};
    const Combinations huge = selectedCombination(Offsets{0, 100000}, nullptr, 3, last);
    EXPECT_EQ(huge.members[0].values<std::int64_t>()[0], 99997);
    EXPECT_EQ(huge.members[2].values<std::int64_t>()[0], 99999);
    EXPECT_THROW(selectedCombination(Offsets{0, 3'000'000}, nullptr, 3, last), UsageError);
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
