// The big-endian array loads and stores (endian.h): the bulk byte reversal (AVX2 where the CPU
// has it) against value-by-value loads, for every width, lengths around the inline threshold
// and the 32- and 64-byte steps, and unaligned buffers.
#include "root/endian.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace hepflow::root {
namespace {

template <class T>
class BigEndianArrays : public ::testing::Test {};
using Widths =
    ::testing::Types<std::int16_t, std::uint16_t, std::int32_t, float, std::int64_t, double>;
TYPED_TEST_SUITE(BigEndianArrays, Widths);

TYPED_TEST(BigEndianArrays, BulkMatchesValueByValueAtEveryLengthAndAlignment) {
    using T = TypeParam;
    for (std::size_t n = 0; n <= 80; ++n) {
        for (std::size_t shift : {0u, 1u, 3u}) {
            // Big-endian input bytes 0, 1, 2, ... at an odd address when shift > 0.
            std::vector<std::byte> input(n * sizeof(T) + shift);
            for (std::size_t i = 0; i < input.size(); ++i)
                input[i] = static_cast<std::byte>((i * 37 + 11) & 0xFF);
            const std::span<const std::byte> src(input.data() + shift, n * sizeof(T));
            std::vector<T> expected(n);
            for (std::size_t i = 0; i < n; ++i)
                expected[i] = loadBigEndian<T>(src.data() + i * sizeof(T));

            // Compared as bytes (NaN patterns too); std::equal, as memcmp may not see the null
            // pointers of empty vectors.
            const auto same_bytes = [](const void* a, const void* b, std::size_t bytes) {
                const auto* x = static_cast<const unsigned char*>(a);
                const auto* y = static_cast<const unsigned char*>(b);
                return bytes == 0 || std::equal(x, x + bytes, y);
            };
            std::vector<T> loaded(n);
            loadBigEndianArray<T>(src, loaded);
            ASSERT_TRUE(same_bytes(loaded.data(), expected.data(), n * sizeof(T)))
                << "n " << n << ", shift " << shift;

            // Stored back (to an odd address too): the input bytes again.
            std::vector<std::byte> stored(n * sizeof(T) + shift, std::byte{0xEE});
            storeBigEndianArray<T>(loaded, std::span<std::byte>(stored).subspan(shift));
            ASSERT_TRUE(same_bytes(stored.data() + shift, src.data(), src.size()))
                << "n " << n << ", shift " << shift;
            for (std::size_t i = 0; i < shift; ++i) ASSERT_EQ(stored[i], std::byte{0xEE});
        }
    }
}

TEST(BigEndianArrays, KnownValues) {
    // 0x0102 and 0x01020304 and 1.0f as ROOT writes them, twenty times (past the threshold).
    std::vector<std::byte> shorts, ints, floats;
    for (int i = 0; i < 20; ++i) {
        for (int b : {0x01, 0x02}) shorts.push_back(static_cast<std::byte>(b));
        for (int b : {0x01, 0x02, 0x03, 0x04}) ints.push_back(static_cast<std::byte>(b));
        for (int b : {0x3F, 0x80, 0x00, 0x00}) floats.push_back(static_cast<std::byte>(b));
    }
    std::vector<std::uint16_t> s(20);
    std::vector<std::uint32_t> u(20);
    std::vector<float> f(20);
    loadBigEndianArray<std::uint16_t>(shorts, s);
    loadBigEndianArray<std::uint32_t>(ints, u);
    loadBigEndianArray<float>(floats, f);
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(s[i], 0x0102);
        EXPECT_EQ(u[i], 0x01020304u);
        EXPECT_EQ(f[i], 1.0f);
    }
}

}  // namespace
}  // namespace hepflow::root
