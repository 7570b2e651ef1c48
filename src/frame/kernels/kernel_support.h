// Internal helpers shared by the jagged kernels: one dtype dispatch per call, raw typed access
// to column bytes (Bool read as bytes, so any non-zero byte is true without UB), shape checks
// that throw UsageError naming the entry, and construction of result columns.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "common/error.h"
#include "frame/columns/column.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::kernels::detail {

// Kernels store Bool as one byte per value and never form a bool from arbitrary bytes.
template <class T>
using Storage = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>;

template <class T>
struct Tag {
    using type = T;
};

// Calls f(Tag<T>{}) for the C++ type of a numeric or Bool dtype; other dtypes are a UsageError
// naming `what` (the kernel).
template <class F>
decltype(auto) dispatchNumeric(DType type, std::string_view what, F&& f) {
    switch (type) {
        case DType::Bool: return f(Tag<bool>{});
        case DType::Int8: return f(Tag<std::int8_t>{});
        case DType::UInt8: return f(Tag<std::uint8_t>{});
        case DType::Int16: return f(Tag<std::int16_t>{});
        case DType::UInt16: return f(Tag<std::uint16_t>{});
        case DType::Int32: return f(Tag<std::int32_t>{});
        case DType::UInt32: return f(Tag<std::uint32_t>{});
        case DType::Int64: return f(Tag<std::int64_t>{});
        case DType::UInt64: return f(Tag<std::uint64_t>{});
        case DType::Float32: return f(Tag<float>{});
        case DType::Float64: return f(Tag<double>{});
        case DType::String:
        case DType::Struct: break;
    }
    throw UsageError(
        fmt::format("{}: needs a numeric or bool column, got {}", what, dtypeName(type)));
}

inline bool isInteger(DType type) {
    return type != DType::Bool && type != DType::Float32 && type != DType::Float64 &&
           type != DType::String && type != DType::Struct;
}
inline bool isFloat(DType type) {
    return type == DType::Float32 || type == DType::Float64;
}

template <class T>
const Storage<T>* data(const Column& column) {
    return reinterpret_cast<const Storage<T>*>(column.bytes().data());
}
template <class T>
Storage<T>* data(Column& column) {
    return reinterpret_cast<Storage<T>*>(column.bytes().data());
}

// The value a missing object (index out of range) takes: NaN, 0 or false.
template <class T>
constexpr Storage<T> missingValue() {
    if constexpr (std::is_floating_point_v<T>)
        return std::numeric_limits<T>::quiet_NaN();
    else
        return Storage<T>{0};
}

// A result column with `levels` offsets levels in all (a String column counts its character
// level, so it needs at least one).
inline Column makeColumn(DType type, std::size_t levels) {
    HEPFLOW_ASSERT(type != DType::String || levels >= 1, "a string column needs a level");
    return Column(type, type == DType::String ? levels - 1 : levels);
}

// Number of values an offsets level can address: the next level's rows or the values.
inline std::int64_t numItems(const Column& column, std::size_t level) {
    if (level + 1 < column.levels())
        return static_cast<std::int64_t>(column.offsets(level + 1).size()) - 1;
    return static_cast<std::int64_t>(column.numValues());
}

// Offsets of an input level, checked against what they index (an internal invariant).
inline const Offsets& levelOffsets(const Column& column, std::size_t level) {
    const Offsets& offsets = column.offsets(level);
    HEPFLOW_ASSERT(!offsets.empty() && offsets.front() >= 0 &&
                       offsets.back() <= numItems(column, level) &&
                       offsets.front() <= offsets.back(),
                   "column offsets out of range");
    return offsets;
}

// Offsets handed to a kernel on their own (not inside a column): at least one, non-decreasing.
inline void checkOffsets(const Offsets& offsets, std::string_view what) {
    if (offsets.empty()) throw UsageError(fmt::format("{}: empty offsets", what));
    if (offsetsAreOrdered(offsets)) return;
    for (std::size_t e = 0; e + 1 < offsets.size(); ++e)
        if (offsets[e + 1] < offsets[e])
            throw UsageError(fmt::format("{}: offsets decrease at entry {}", what, e));
}

// The most values one kernel result may hold for one batch (2^28: 2 GiB of doubles). An
// expression that would make more (triplets of thousands of objects, concat doubling itself
// through a let chain) fails with a UsageError instead of exhausting the machine's memory.
inline constexpr std::int64_t kMaxResultValues = std::int64_t{1} << 28;
inline void checkResultSize(double values, std::string_view what) {
    if (values > static_cast<double>(kMaxResultValues))
        throw UsageError(fmt::format(
            "{}: the result would hold {:.3g} values in one batch, more than the limit of {} "
            "(select fewer objects first)",
            what, values, kMaxResultValues));
}

// Offsets rebased so that they start at 0.
inline Offsets rebased(const Offsets& offsets) {
    Offsets out(offsets.size());
    const std::int64_t base = offsets.empty() ? 0 : offsets.front();
    for (std::size_t i = 0; i < offsets.size(); ++i) out[i] = offsets[i] - base;
    return out;
}

// Outer offsets of a column that must be jagged with exactly one level (a String column has
// none besides its characters, so lists of strings have two).
inline const Offsets& jaggedOffsets(const Column& column, std::string_view what) {
    if (!column.isJagged() || column.dtype() == DType::Struct)
        throw UsageError(fmt::format("{}: needs a per-object (jagged) column, got a flat {} column",
                                     what, dtypeName(column.dtype())));
    return levelOffsets(column, 0);
}

// Throws unless both offsets give the same number of objects in every entry.
inline void checkSameCounts(const Offsets& a, const Offsets& b, std::string_view what) {
    if (a.size() != b.size())
        throw UsageError(fmt::format("{}: columns have different numbers of entries ({} and {})",
                                     what, a.size() - 1, b.size() - 1));
    const std::int64_t base_a = a.front();
    const std::int64_t base_b = b.front();
    // Counts equal everywhere <=> offsets equal after rebasing; one branch-free pass, then a
    // search for the first bad entry only on failure.
    std::int64_t diff = 0;
    for (std::size_t i = 1; i < a.size(); ++i) diff |= (a[i] - base_a) ^ (b[i] - base_b);
    if (diff == 0) return;
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
        const std::int64_t na = a[i + 1] - a[i];
        const std::int64_t nb = b[i + 1] - b[i];
        if (na != nb)
            throw UsageError(
                fmt::format("{}: entry {} has {} objects in one column and {} in the "
                            "other (different collections?)",
                            what, i, na, nb));
    }
}

}  // namespace hepflow::frame::kernels::detail
