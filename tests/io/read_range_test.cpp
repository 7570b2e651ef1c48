// coalesceRanges: a table of hand-checked cases (after Arrow's CoalesceReadRanges test), then a
// seeded property test that every input is served by exactly one request within the limits.
#include "io/read_range.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"

namespace hepflow::io {
namespace {

struct Expected {
    ReadRange range;
    std::vector<std::size_t> inputs;
};

// Small limits keep the table readable: holes up to 10 bytes merge, requests up to 100 bytes.
constexpr CoalesceLimits kSmall{.max_gap = 10, .max_request = 100};

void check(const std::vector<ReadRange>& input, const std::vector<Expected>& expected,
           const CoalesceLimits& limits = kSmall) {
    const std::vector<CoalescedRead> got = coalesceRanges(input, limits);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        SCOPED_TRACE(testing::Message() << "request " << i);
        EXPECT_EQ(got[i].range.offset, expected[i].range.offset);
        EXPECT_EQ(got[i].range.length, expected[i].range.length);
        EXPECT_EQ(got[i].inputs, expected[i].inputs);
    }
}

TEST(CoalesceRanges, Table) {
    // Nothing to read.
    check({}, {});
    // Empty ranges need no request.
    check({{5, 0}, {0, 0}}, {});
    // One range is one request.
    check({{7, 3}}, {{{7, 3}, {0}}});
    // Adjacent ranges merge.
    check({{0, 10}, {10, 10}}, {{{0, 20}, {0, 1}}});
    // A hole exactly at max_gap is read through.
    check({{0, 10}, {20, 5}}, {{{0, 25}, {0, 1}}});
    // A hole one byte over max_gap splits.
    check({{0, 10}, {21, 5}}, {{{0, 10}, {0}}, {{21, 5}, {1}}});
    // Overlapping ranges merge into their union.
    check({{0, 10}, {5, 10}}, {{{0, 15}, {0, 1}}});
    // A range inside another adds nothing.
    check({{0, 50}, {10, 5}}, {{{0, 50}, {0, 1}}});
    // Input order does not matter; inputs are listed by offset.
    check({{50, 10}, {0, 10}, {20, 10}}, {{{0, 30}, {1, 2}}, {{50, 10}, {0}}});
    // Duplicates are both served by one request.
    check({{5, 5}, {5, 5}}, {{{5, 5}, {0, 1}}});
    // Same offset: the longer range is listed first.
    check({{0, 5}, {0, 10}}, {{{0, 10}, {1, 0}}});
    // ...so that the shorter one rides along even when nothing else may merge.
    check({{0, 5}, {0, 10}}, {{{0, 10}, {1, 0}}}, {.max_gap = 0, .max_request = 0});
    // Empty ranges among others are skipped.
    check({{0, 0}, {3, 4}, {100, 0}}, {{{3, 4}, {1}}});
    // A merge reaching exactly max_request is allowed.
    check({{0, 50}, {50, 50}}, {{{0, 100}, {0, 1}}});
    // One byte over max_request splits, even for adjacent ranges.
    check({{0, 50}, {50, 51}}, {{{0, 50}, {0}}, {{50, 51}, {1}}});
    // The hole counts towards max_request.
    check({{0, 45}, {55, 46}}, {{{0, 45}, {0}}, {{55, 46}, {1}}});
    // A single range larger than max_request is requested whole...
    check({{0, 200}}, {{{0, 200}, {0}}});
    // ...ranges inside it ride along...
    check({{0, 200}, {150, 50}}, {{{0, 200}, {0, 1}}});
    // ...but a range sticking out of it starts a new, overlapping request.
    check({{0, 200}, {195, 10}}, {{{0, 200}, {0}}, {{195, 10}, {1}}});
    // Overlap that would exceed max_request also starts an overlapping request.
    check({{0, 80}, {60, 60}}, {{{0, 80}, {0}}, {{60, 60}, {1}}});
    // A chain of small ranges splits at the request limit.
    check({{0, 40}, {40, 40}, {80, 40}, {120, 40}}, {{{0, 80}, {0, 1}}, {{80, 80}, {2, 3}}});
    // max_gap 0 still merges adjacent and overlapping ranges, nothing else.
    check({{0, 10}, {10, 10}, {21, 1}}, {{{0, 20}, {0, 1}}, {{21, 1}, {2}}},
          {.max_gap = 0, .max_request = 100});
    // max_request 0: every range alone, except duplicates and contained ranges.
    check({{0, 10}, {10, 10}, {10, 10}}, {{{0, 10}, {0}}, {{10, 10}, {1, 2}}},
          {.max_gap = 10, .max_request = 0});
}

TEST(CoalesceRanges, DefaultLimits) {
    EXPECT_EQ(CoalesceLimits{}.max_gap, 32u * 1024);
    EXPECT_EQ(CoalesceLimits{}.max_request, 16u * 1024 * 1024);
    // Two baskets 20 KiB apart become one request with the defaults.
    check({{1000, 3000}, {24000, 5000}}, {{{1000, 28000}, {0, 1}}}, CoalesceLimits{});
}

TEST(CoalesceRanges, RangeEndOverflowThrows) {
    const std::vector<ReadRange> ranges{{0, 10}, {UINT64_MAX - 5, 10}};
    try {
        coalesceRanges(ranges, kSmall);
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("overflows"), std::string::npos) << e.what();
        EXPECT_EQ(e.offset(), UINT64_MAX - 5);
    }
    // Ending exactly at 2^64 - 1 is representable.
    EXPECT_EQ(coalesceRanges(std::vector<ReadRange>{{UINT64_MAX - 5, 5}}, kSmall).size(), 1u);
}

TEST(CoalesceRanges, PropertyEveryInputServedWithinLimits) {
    const std::uint64_t seed = std::random_device{}();
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    std::mt19937_64 rng(seed);
    auto uniform = [&](std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    };

    for (int iteration = 0; iteration < 500; ++iteration) {
        SCOPED_TRACE(testing::Message() << "iteration " << iteration);
        const CoalesceLimits limits{.max_gap = uniform(0, 300), .max_request = uniform(0, 2000)};
        std::vector<ReadRange> ranges(uniform(0, 60));
        for (ReadRange& r : ranges) {
            r.offset = uniform(0, 10000);
            // Mostly small ranges, some empty, some larger than any request.
            const std::uint64_t kind = uniform(0, 9);
            r.length = kind == 0 ? 0 : kind == 1 ? uniform(1000, 3000) : uniform(1, 200);
        }
        if (!ranges.empty() && uniform(0, 3) == 0) ranges.push_back(ranges.front());

        const std::vector<CoalescedRead> reads = coalesceRanges(ranges, limits);
        std::vector<int> served(ranges.size(), 0);
        for (std::size_t k = 0; k < reads.size(); ++k) {
            const CoalescedRead& read = reads[k];
            ASSERT_FALSE(read.inputs.empty());
            if (k > 0) {
                ASSERT_LE(reads[k - 1].range.offset, read.range.offset);
            }
            std::uint64_t lowest = UINT64_MAX, highest = 0, largest = 0, covered = 0;
            for (std::size_t n = 0; n < read.inputs.size(); ++n) {
                const ReadRange& r = ranges[read.inputs[n]];
                ++served[read.inputs[n]];
                ASSERT_GT(r.length, 0u);
                ASSERT_GE(r.offset, read.range.offset);
                ASSERT_LE(r.end(), read.range.end());
                // Within a request, no hole between inputs exceeds max_gap.
                if (n > 0) {
                    ASSERT_LE(r.offset, covered + limits.max_gap);
                }
                covered = std::max(covered, r.end());
                lowest = std::min(lowest, r.offset);
                highest = std::max(highest, r.end());
                largest = std::max(largest, r.length);
            }
            // The request is exactly the hull of its inputs...
            ASSERT_EQ(read.range.offset, lowest);
            ASSERT_EQ(read.range.end(), highest);
            // ...and exceeds max_request only if one input alone does.
            ASSERT_LE(read.range.length, std::max(limits.max_request, largest));
            // Greedy: the next request could not have been merged into this one.
            if (k + 1 < reads.size()) {
                const ReadRange& next = ranges[reads[k + 1].inputs.front()];
                const std::uint64_t end = read.range.end();
                const bool gap_too_large = next.offset > end && next.offset - end > limits.max_gap;
                const bool too_big =
                    next.end() > end && next.end() - read.range.offset > limits.max_request;
                ASSERT_TRUE(gap_too_large || too_big);
            }
        }
        for (std::size_t i = 0; i < ranges.size(); ++i) {
            ASSERT_EQ(served[i], ranges[i].length == 0 ? 0 : 1) << "input " << i;
        }
    }
}

}  // namespace
}  // namespace hepflow::io
