// Tests of reduce() and argsort(): result dtypes per input dtype, empty events, sliced
// offsets, NaN handling (skipped by min/max/argmin/argmax, sorted last) and bad inputs.
#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "column_builders.h"
#include "common/error.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::kernels {
namespace {

using namespace hepflow::frame::testing;
using I64 = std::vector<std::int64_t>;
using F64 = std::vector<double>;
const double kNan = std::numeric_limits<double>::quiet_NaN();
const float kNanF = std::numeric_limits<float>::quiet_NaN();

template <class T>
class ReduceInts : public ::testing::Test {};
using IntTypes = ::testing::Types<std::int8_t, std::uint8_t, std::int16_t, std::uint16_t,
                                  std::int32_t, std::uint32_t, std::int64_t, std::uint64_t>;
TYPED_TEST_SUITE(ReduceInts, IntTypes);

TYPED_TEST(ReduceInts, EveryReductionOfEveryIntegerType) {
    using T = TypeParam;
    const Column column = sliced(jagged<T>({{T(9)}, {T(3), T(1), T(4), T(1)}, {}, {T(0), T(5)}}));
    const Column sum = reduce(Reduction::Sum, column);
    EXPECT_EQ(sum.dtype(), DType::Int64);
    EXPECT_EQ(flatValues<std::int64_t>(sum), (I64{9, 0, 5}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::Count, column)), (I64{4, 0, 2}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::CountTrue, column)), (I64{4, 0, 1}));
    EXPECT_EQ(flatValues<bool>(reduce(Reduction::Any, column)),
              (std::vector<bool>{true, false, true}));
    EXPECT_EQ(flatValues<bool>(reduce(Reduction::All, column)),
              (std::vector<bool>{true, true, false}));
    const Column min = reduce(Reduction::Min, column);
    EXPECT_EQ(min.dtype(), DType::Int64);
    EXPECT_EQ(flatValues<std::int64_t>(min), (I64{1, 0, 0}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::Max, column)), (I64{4, 0, 5}));
    const auto mean = flatValues<double>(reduce(Reduction::Mean, column));
    EXPECT_DOUBLE_EQ(mean[0], 9.0 / 4);
    EXPECT_TRUE(std::isnan(mean[1]));
    EXPECT_DOUBLE_EQ(mean[2], 2.5);
    // First minimum / maximum.
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMin, column)), (I64{1, -1, 0}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMax, column)), (I64{2, -1, 1}));
}

TEST(Reduce, NegativeIntegers) {
    const Column column = jagged<std::int16_t>({{-3, 2, -7}});
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::Sum, column)), (I64{-8}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::Min, column)), (I64{-7}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMin, column)), (I64{2}));
}

TEST(Reduce, FloatsKeepTheirTypeAndSkipNan) {
    const Column column = jagged<float>({{1.5f, kNanF, -2.5f, 4.0f}, {}, {kNanF}, {kNanF, 2.f}});
    const Column sum = reduce(Reduction::Sum, column);
    EXPECT_EQ(sum.dtype(), DType::Float32);
    const auto s = flatValues<float>(sum);
    EXPECT_TRUE(std::isnan(s[0]));  // a NaN in the sum stays NaN
    EXPECT_EQ(s[1], 0.f);
    const Column min = reduce(Reduction::Min, column);
    EXPECT_EQ(min.dtype(), DType::Float32);
    const auto mn = flatValues<float>(min);
    EXPECT_EQ(mn[0], -2.5f);
    EXPECT_TRUE(std::isnan(mn[1]));  // empty
    EXPECT_TRUE(std::isnan(mn[2]));  // only NaN
    EXPECT_EQ(mn[3], 2.f);
    const auto mx = flatValues<float>(reduce(Reduction::Max, column));
    EXPECT_EQ(mx[0], 4.f);
    EXPECT_EQ(mx[3], 2.f);
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMin, column)), (I64{2, -1, -1, 1}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMax, column)), (I64{3, -1, -1, 1}));
    // NaN is non-zero: it counts as true.
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::CountTrue, column)), (I64{4, 0, 1, 2}));
    const Column mean = reduce(Reduction::Mean, column);
    EXPECT_EQ(mean.dtype(), DType::Float64);
}

// Infinities and a type's extremes are values like any other: an event holding only them (and
// NaN) still has a first minimum / maximum, and ties keep the first.
TEST(Reduce, ArgMinArgMaxAtInfinitiesAndTypeLimits) {
    const double inf = std::numeric_limits<double>::infinity();
    const Column doubles =
        jagged<double>({{inf, inf}, {kNan, inf}, {-inf, kNan, -inf}, {kNan, kNan}, {3, 1, 1, 3}});
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMin, doubles)), (I64{0, 1, 0, -1, 1}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMax, doubles)), (I64{0, 1, 0, -1, 0}));
    const auto min = flatValues<double>(reduce(Reduction::Min, doubles));
    EXPECT_EQ(min[1], inf);
    EXPECT_EQ(min[2], -inf);
    EXPECT_TRUE(std::isnan(min[3]));
    constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
    constexpr std::int32_t kLowest = std::numeric_limits<std::int32_t>::lowest();
    const Column ints = jagged<std::int32_t>({{kMax, kMax}, {kLowest, kLowest}, {kMax, kLowest}});
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMin, ints)), (I64{0, 0, 1}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMax, ints)), (I64{0, 0, 0}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::Min, ints)),
              (I64{kMax, kLowest, kLowest}));
    const Column bools = jagged<bool>({{true, true}, {false, false}});
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMin, bools)), (I64{0, 0}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMax, bools)), (I64{0, 0}));
}

TEST(Reduce, DoublesSumAndMean) {
    const Column column = sliced(jagged<double>({{100}, {0.1, 0.2, 0.3}, {}}));
    const Column sum = reduce(Reduction::Sum, column);
    EXPECT_EQ(sum.dtype(), DType::Float64);
    EXPECT_EQ(flatValues<double>(sum), (F64{0.1 + 0.2 + 0.3, 0}));
    const auto mean = flatValues<double>(reduce(Reduction::Mean, column));
    EXPECT_DOUBLE_EQ(mean[0], 0.2);
    EXPECT_TRUE(std::isnan(mean[1]));
}

// Counting bools has its own loop (a running count read at event ends): it must agree with a
// count per event for any offsets, sliced ones and empty events included, and for bytes
// other than 0 and 1.
TEST(Reduce, CountTrueOfBoolsMatchesAPerEventCount) {
    std::mt19937 random(7);
    std::vector<std::vector<bool>> events(500);
    for (auto& event : events) {
        event.resize(random() % 6);
        for (std::size_t i = 0; i < event.size(); ++i) event[i] = random() % 3 == 0;
    }
    Column column = sliced(jagged<bool>(events));
    // Any non-zero byte is true.
    auto* bytes = reinterpret_cast<std::uint8_t*>(column.bytes().data());
    for (std::size_t i = 0; i < column.bytes().size(); ++i)
        if (bytes[i] != 0) bytes[i] = static_cast<std::uint8_t>(1 + random() % 255);
    const Offsets& offsets = column.offsets(0);
    I64 expected;
    for (std::size_t e = 0; e + 1 < offsets.size(); ++e) {
        std::int64_t count = 0;
        for (std::int64_t i = offsets[e]; i < offsets[e + 1]; ++i)
            count += bytes[static_cast<std::size_t>(i)] != 0;
        expected.push_back(count);
    }
    ASSERT_EQ(expected.size(), 499u);  // sliced() drops the first event
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::CountTrue, column)), expected);
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::Sum, column)), expected);
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::CountTrue, jagged<bool>({}))), I64{});
}

TEST(Reduce, Bools) {
    const Column column = jagged<bool>({{true, false, true}, {}, {false, false}});
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::Sum, column)), (I64{2, 0, 0}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::Count, column)), (I64{3, 0, 2}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::CountTrue, column)), (I64{2, 0, 0}));
    EXPECT_EQ(flatValues<bool>(reduce(Reduction::Any, column)),
              (std::vector<bool>{true, false, false}));
    EXPECT_EQ(flatValues<bool>(reduce(Reduction::All, column)),
              (std::vector<bool>{false, true, false}));
    const Column max = reduce(Reduction::Max, column);
    EXPECT_EQ(max.dtype(), DType::Bool);
    EXPECT_EQ(flatValues<bool>(max), (std::vector<bool>{true, false, false}));
    EXPECT_EQ(flatValues<bool>(reduce(Reduction::Min, column)),
              (std::vector<bool>{false, false, false}));
    EXPECT_EQ(flatValues<std::int64_t>(reduce(Reduction::ArgMax, column)), (I64{0, -1, 0}));
    EXPECT_DOUBLE_EQ(flatValues<double>(reduce(Reduction::Mean, column))[0], 2.0 / 3);
}

TEST(Reduce, BadInputs) {
    EXPECT_THROW(reduce(Reduction::Sum, flat<double>({1, 2})), UsageError);
    EXPECT_THROW(reduce(Reduction::Sum, jaggedStrings({{"a"}})), UsageError);
    EXPECT_THROW(reduce(Reduction::Sum, jagged2<double>({{{1}}})), UsageError);
}

TEST(Argsort, StableWithNanLast) {
    const Column key = sliced(jagged<double>({{0}, {3, kNan, 1, 3, -2, kNan, 1}, {}, {5}}));
    const Column order = argsort(key);
    EXPECT_EQ(order.dtype(), DType::Int64);
    EXPECT_EQ(order.offsets(0), (Offsets{0, 7, 7, 8}));
    EXPECT_EQ(nested<std::int64_t>(order), (std::vector<I64>{{4, 2, 6, 0, 3, 1, 5}, {}, {0}}));
}

TEST(Argsort, LongEventsUseTheSameOrder) {
    // Longer than the insertion-sort cutoff, with ties and NaN.
    std::vector<float> values;
    for (int i = 0; i < 40; ++i) values.push_back(i % 7 == 0 ? kNanF : static_cast<float>(i % 5));
    const auto order = nested<std::int64_t>(argsort(jagged<float>({values})))[0];
    ASSERT_EQ(order.size(), values.size());
    for (std::size_t i = 1; i < order.size(); ++i) {
        const float a = values[order[i - 1]];
        const float b = values[order[i]];
        if (std::isnan(a)) {
            EXPECT_TRUE(std::isnan(b));
            EXPECT_LT(order[i - 1], order[i]);
        } else if (!std::isnan(b)) {
            EXPECT_LE(a, b);
            if (a == b) {
                EXPECT_LT(order[i - 1], order[i]);
            }
        }
    }
}

TEST(Argsort, IntsAndBools) {
    EXPECT_EQ(nested<std::int64_t>(argsort(jagged<std::int32_t>({{5, -1, 5, 0}}))),
              (std::vector<I64>{{1, 3, 0, 2}}));
    EXPECT_EQ(nested<std::int64_t>(argsort(jagged<std::uint64_t>({{5, 1}}))),
              (std::vector<I64>{{1, 0}}));
    EXPECT_EQ(nested<std::int64_t>(argsort(jagged<bool>({{true, false, true, false}}))),
              (std::vector<I64>{{1, 3, 0, 2}}));
    EXPECT_THROW(argsort(flat<double>({1})), UsageError);
}

}  // namespace
}  // namespace hepflow::frame::kernels
