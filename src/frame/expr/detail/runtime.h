// Run-time helpers shared by the instructions the compiler emits: active value ranges of
// (possibly sliced) columns, count checks with the expression's error messages, output columns
// built from recycled buffers, and the conversion of integer inputs to Int64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "frame/columns/column.h"
#include "frame/expr/detail/program.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::expr::detail {

// The first value of a column's active range (a jagged column may start past value 0).
std::int64_t firstOffset(const Column& c);
// The number of values in a column's active range.
std::size_t activeCount(const Column& c);
// `offsets` shifted to start at 0, in a recycled buffer.
Offsets rebased(Frame& frame, const Offsets& offsets);

// Throws UsageError unless the jagged columns `a` and `b` have the same counts in every entry.
void checkSameCounts(const Frame& frame, const Column& a, const Column& b, std::string_view a_name,
                     std::string_view b_name);

// Throws unless `column` holds `n` values past its first offset (a malformed batch whose
// columns of one collection disagree).
void requireValues(const Frame& frame, const Column& column, std::size_t n, std::string_view what);

template <class From, class To>
void castValues(const From* in, To* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<To, bool>)
            out[i] = in[i] != From{};
        else
            out[i] = static_cast<To>(in[i]);
    }
}

// A column of the same shape as `like` with `n` values of type T left to be written.
template <class T>
Column newLike(Frame& frame, const Column& like, bool jagged, std::size_t n) {
    Column out(dtypeOf<T>(), jagged ? 1 : 0);
    if (jagged) out.offsets(0) = rebased(frame, like.offsets(0));
    out.bytes() = frame.takeValues(n * sizeof(T));
    return out;
}

// Loads an input column: checks it against the schema and converts integers to Int64 (and
// Bool bytes to 0/1) once, so every later kernel sees one of four value types.
Column convertInput(const Column& in, std::size_t levels);

}  // namespace hepflow::frame::expr::detail
