// Big-endian loads and stores: every number in classic ROOT I/O is big-endian (network
// order), while hepflow runs on little-endian hosts. One template serves every arithmetic
// type, for single values and for whole basket arrays (the hot decode loop).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace hepflow::root {

namespace detail {
template <std::size_t N>
struct UIntOfSize;
template <>
struct UIntOfSize<1> {
    using type = std::uint8_t;
};
template <>
struct UIntOfSize<2> {
    using type = std::uint16_t;
};
template <>
struct UIntOfSize<4> {
    using type = std::uint32_t;
};
template <>
struct UIntOfSize<8> {
    using type = std::uint64_t;
};

template <class U>
constexpr U byteSwap(U value) {
    if constexpr (sizeof(U) == 1)
        return value;
    else if constexpr (sizeof(U) == 2)
        return static_cast<U>(__builtin_bswap16(value));
    else if constexpr (sizeof(U) == 4)
        return static_cast<U>(__builtin_bswap32(value));
    else
        return static_cast<U>(__builtin_bswap64(value));
}

// Reverses the bytes of each of `n` values of `width` bytes (2, 4 or 8) from `src` into `dst`
// (no overlap, any alignment), 32 bytes per AVX2 shuffle where the CPU has one: the baseline
// x86-64 build has no byte shuffle, so the compiler's loop swaps one value at a time.
void reverseValueBytes(const std::byte* src, std::byte* dst, std::size_t n, std::size_t width);

// Below this many values the inline loop beats the call (entries of a few values).
inline constexpr std::size_t kBulkReverseMin = 16;
}  // namespace detail

// A type ROOT stores as a fixed-size big-endian number.
template <class T>
concept BigEndianValue = std::is_arithmetic_v<T> &&
    (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);

static_assert(std::endian::native == std::endian::little, "hepflow assumes a little-endian host");

template <BigEndianValue T>
inline T loadBigEndian(const std::byte* src) {
    using U = typename detail::UIntOfSize<sizeof(T)>::type;
    U raw;
    std::memcpy(&raw, src, sizeof(U));
    raw = detail::byteSwap(raw);
    if constexpr (std::is_same_v<T, bool>) {
        return raw != 0;
    } else {
        T value;
        std::memcpy(&value, &raw, sizeof(T));
        return value;
    }
}

template <BigEndianValue T>
inline void storeBigEndian(std::byte* dst, T value) {
    using U = typename detail::UIntOfSize<sizeof(T)>::type;
    U raw;
    if constexpr (std::is_same_v<T, bool>) {
        raw = value ? 1 : 0;
    } else {
        std::memcpy(&raw, &value, sizeof(T));
    }
    raw = detail::byteSwap(raw);
    std::memcpy(dst, &raw, sizeof(U));
}

// Converts src.size() / sizeof(T) big-endian values into `out` (out.size() values).
// The caller guarantees src.size() >= out.size() * sizeof(T).
template <BigEndianValue T>
inline void loadBigEndianArray(std::span<const std::byte> src, std::span<T> out) {
    const std::byte* p = src.data();
    const std::size_t n = out.size();
    if constexpr (sizeof(T) > 1) {
        if (n >= detail::kBulkReverseMin) {
            detail::reverseValueBytes(p, reinterpret_cast<std::byte*>(out.data()), n, sizeof(T));
            return;
        }
    }
    for (std::size_t i = 0; i < n; ++i) out[i] = loadBigEndian<T>(p + i * sizeof(T));
}

template <BigEndianValue T>
inline void storeBigEndianArray(std::span<const T> values, std::span<std::byte> dst) {
    std::byte* p = dst.data();
    const std::size_t n = values.size();
    if constexpr (sizeof(T) > 1) {
        if (n >= detail::kBulkReverseMin) {
            detail::reverseValueBytes(reinterpret_cast<const std::byte*>(values.data()), p, n,
                                      sizeof(T));
            return;
        }
    }
    for (std::size_t i = 0; i < n; ++i) storeBigEndian<T>(p + i * sizeof(T), values[i]);
}

}  // namespace hepflow::root
