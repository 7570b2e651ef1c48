// Bulk byte reversal for the big-endian arrays of endian.h: the AVX2 version is compiled for
// that target alone and chosen at run time, so the build still runs on any x86-64 (or other)
// CPU.
#include "root/endian.h"

#include "common/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace hepflow::root::detail {
namespace {

template <class U>
void reverseScalar(const std::byte* src, std::byte* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        U value;
        std::memcpy(&value, src + i * sizeof(U), sizeof(U));
        value = byteSwap(value);
        std::memcpy(dst + i * sizeof(U), &value, sizeof(U));
    }
}

#if defined(__x86_64__)
template <class U>
__attribute__((target("avx2"))) void reverseAvx2(const std::byte* src, std::byte* dst,
                                                 std::size_t n) {
    // vpshufb picks bytes within each 16-byte lane: byte b takes the byte at the mirror
    // position of its value (no value crosses a lane, as 16 is a multiple of every width).
    constexpr int kWidth = static_cast<int>(sizeof(U));
    alignas(32) std::uint8_t order[32];
    for (int b = 0; b < 32; ++b) {
        const int in_lane = b % 16;
        order[b] =
            static_cast<std::uint8_t>(in_lane - in_lane % kWidth + kWidth - 1 - in_lane % kWidth);
    }
    const __m256i mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(order));
    const std::size_t bytes = n * sizeof(U);
    std::size_t i = 0;
    for (; i + 64 <= bytes; i += 64) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 32));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_shuffle_epi8(a, mask));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 32), _mm256_shuffle_epi8(b, mask));
    }
    for (; i + 32 <= bytes; i += 32) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_shuffle_epi8(a, mask));
    }
    reverseScalar<U>(src + i, dst + i, (bytes - i) / sizeof(U));
}
#endif

template <class U>
void reverse(const std::byte* src, std::byte* dst, std::size_t n) {
#if defined(__x86_64__)
    static const bool avx2 = __builtin_cpu_supports("avx2");
    if (avx2) return reverseAvx2<U>(src, dst, n);
#endif
    reverseScalar<U>(src, dst, n);
}

}  // namespace

void reverseValueBytes(const std::byte* src, std::byte* dst, std::size_t n, std::size_t width) {
    switch (width) {
        case 2: return reverse<std::uint16_t>(src, dst, n);
        case 4: return reverse<std::uint32_t>(src, dst, n);
        case 8: return reverse<std::uint64_t>(src, dst, n);
        default: break;
    }
    HEPFLOW_ASSERT(false, "values of 2, 4 or 8 bytes");
}

}  // namespace hepflow::root::detail
