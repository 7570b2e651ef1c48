// Run-time helpers of the emitted instructions: active ranges, count checks with the
// expression's messages, input conversion and four-vector components.
#include "frame/expr/detail/runtime.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace hepflow::frame::expr::detail {

std::int64_t firstOffset(const Column& c) {
    return c.levels() > 0 ? c.offsets(0).front() : 0;
}

std::size_t activeCount(const Column& c) {
    if (c.levels() > 0) return static_cast<std::size_t>(c.offsets(0).back() - c.offsets(0).front());
    return c.numValues();
}

Offsets rebased(Frame& frame, const Offsets& offsets) {
    Offsets out = frame.takeOffsets(offsets.size());
    const std::int64_t base = offsets.front();
    for (std::size_t i = 0; i < offsets.size(); ++i) out[i] = offsets[i] - base;
    return out;
}

void checkSameCounts(const Frame& frame, const Column& a, const Column& b, std::string_view a_name,
                     std::string_view b_name) {
    const auto& oa = a.offsets(0);
    const auto& ob = b.offsets(0);
    if (oa.size() != ob.size())
        throw UsageError(
            fmt::format("expression '{}': per-object values of '{}' and '{}' cover "
                        "different numbers of entries ({} vs {})",
                        *frame.text, a_name, b_name, oa.size() - 1, ob.size() - 1));
    const std::int64_t da = oa.front();
    const std::int64_t db = ob.front();
    for (std::size_t i = 1; i < oa.size(); ++i) {
        if (oa[i] - da != ob[i] - db) {
            // Find the first entry whose counts differ, for the message.
            std::size_t e = 0;
            while (e + 1 < oa.size() && oa[e + 1] - oa[e] == ob[e + 1] - ob[e]) ++e;
            throw UsageError(fmt::format(
                "expression '{}': per-object values of '{}' and '{}' have different numbers of "
                "objects in entry {} ({} vs {})",
                *frame.text, a_name, b_name,
                frame.batch->first_entry + static_cast<std::int64_t>(e), oa[e + 1] - oa[e],
                ob[e + 1] - ob[e]));
        }
    }
}

void requireValues(const Frame& frame, const Column& column, std::size_t n, std::string_view what) {
    const std::size_t first = static_cast<std::size_t>(firstOffset(column));
    if (column.numValues() < first + n || (column.levels() > 0 && activeCount(column) != n))
        throw UsageError(
            fmt::format("expression '{}': per-object columns of '{}' have different "
                        "numbers of objects ({} vs {})",
                        *frame.text, what, activeCount(column), n));
}

Column convertInput(const Column& in, std::size_t levels) {
    const std::size_t n = in.numValues();
    Column out(in.dtype() == DType::Bool ? DType::Bool : DType::Int64, levels);
    if (levels > 0) out.offsets(0) = in.offsets(0);
    auto convert = [&]<class From>() {
        Column& o = out;
        if constexpr (std::is_same_v<From, bool>) {
            o.bytes().resize(n);
            const auto* src = reinterpret_cast<const std::uint8_t*>(in.bytes().data());
            auto* dst = reinterpret_cast<std::uint8_t*>(o.bytes().data());
            for (std::size_t i = 0; i < n; ++i) dst[i] = src[i] != 0 ? 1 : 0;
        } else {
            o.bytes().resize(n * sizeof(std::int64_t));
            // Element by element through memcpy (the bytes need not be aligned for From): one
            // vectorized pass, no staging copy.
            const std::byte* src = in.bytes().data();
            auto* dst = o.values<std::int64_t>().data();
            for (std::size_t i = 0; i < n; ++i) {
                From value;
                std::memcpy(&value, src + i * sizeof(From), sizeof(From));
                dst[i] = static_cast<std::int64_t>(value);
            }
        }
    };
    switch (in.dtype()) {
        case DType::Bool: convert.operator()<bool>(); break;
        case DType::Int8: convert.operator()<std::int8_t>(); break;
        case DType::UInt8: convert.operator()<std::uint8_t>(); break;
        case DType::Int16: convert.operator()<std::int16_t>(); break;
        case DType::UInt16: convert.operator()<std::uint16_t>(); break;
        case DType::Int32: convert.operator()<std::int32_t>(); break;
        case DType::UInt32: convert.operator()<std::uint32_t>(); break;
        case DType::UInt64: convert.operator()<std::uint64_t>(); break;
        default: HEPFLOW_ASSERT(false, "convertInput of a non-integer column");
    }
    return out;
}

}  // namespace hepflow::frame::expr::detail
