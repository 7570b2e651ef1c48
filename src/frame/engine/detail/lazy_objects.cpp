// The parts of a split object selection (lazy_objects.h): the text split, and the counter,
// field and index computations over the batch's mask column.
#include "frame/engine/detail/lazy_objects.h"

#include <cctype>

#include "common/error.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::engine::detail {

namespace {

std::string trimmed(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return {};
    const auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

const Column& columnOf(const ColumnBatch& batch, const std::string& name) {
    const Column* column = batch.find(name);
    HEPFLOW_ASSERT(column != nullptr, "a split object selection's column is in the batch");
    return *column;
}

template <class T>
void widen(const Column& in, Column& out) {
    const auto values = in.values<T>();
    out.bytes().resize(values.size() * sizeof(std::int64_t));
    auto* dst = out.values<std::int64_t>().data();
    for (std::size_t i = 0; i < values.size(); ++i) dst[i] = static_cast<std::int64_t>(values[i]);
}

// A one-level jagged integer column as Int64 (other dtypes are returned as they are).
Column widenedToInt64(Column in) {
    Column out(DType::Int64, 1);
    switch (in.dtype()) {
        case DType::Int8: widen<std::int8_t>(in, out); break;
        case DType::UInt8: widen<std::uint8_t>(in, out); break;
        case DType::Int16: widen<std::int16_t>(in, out); break;
        case DType::UInt16: widen<std::uint16_t>(in, out); break;
        case DType::Int32: widen<std::int32_t>(in, out); break;
        case DType::UInt32: widen<std::uint32_t>(in, out); break;
        case DType::UInt64: widen<std::uint64_t>(in, out); break;
        default: return in;
    }
    out.offsets(0) = std::move(in.offsets(0));
    return out;
}

}  // namespace

std::optional<ObjectSelectionText> splitObjectSelection(const std::string& text) {
    const std::string t = trimmed(text);
    std::size_t i = 0;
    if (t.empty() || !(std::isalpha(static_cast<unsigned char>(t[0])) || t[0] == '_'))
        return std::nullopt;
    while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_')) ++i;
    const std::string collection = t.substr(0, i);
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    if (i >= t.size() || t[i] != '[' || t.back() != ']') return std::nullopt;
    // The bracket after the name must be the one the text ends with.
    int depth = 0;
    for (std::size_t k = i; k < t.size(); ++k) {
        if (t[k] == '[') ++depth;
        if (t[k] == ']' && --depth == 0 && k + 1 != t.size()) return std::nullopt;
    }
    if (depth != 0) return std::nullopt;
    return ObjectSelectionText{collection, t.substr(i + 1, t.size() - i - 2)};
}

std::string maskColumnName(const std::string& name) {
    return "#" + name + ".mask";
}

std::string fieldColumn(const expr::Schema& schema, const std::string& collection,
                        const std::string& field) {
    for (const char* separator : {"_", "."}) {
        const std::string name = collection + separator + field;
        if (schema.find(name) != nullptr) return name;
    }
    return {};
}

Computation maskCounter(const std::string& label, const std::string& mask_column) {
    return Computation::function(label, {mask_column}, [mask_column](const ColumnBatch& batch) {
        const Column counts =
            kernels::reduce(kernels::Reduction::CountTrue, columnOf(batch, mask_column));
        Column counter(DType::Int32);
        counter.bytes().resize(counts.bytes().size() / 2);
        auto* dst = counter.values<std::int32_t>().data();
        const auto in = counts.values<std::int64_t>();
        for (std::size_t e = 0; e < in.size(); ++e) dst[e] = static_cast<std::int32_t>(in[e]);
        return counter;
    });
}

Computation maskedField(const std::string& label, const std::string& source,
                        const std::string& mask_column, DType dtype) {
    return Computation::function(
        label, {source, mask_column}, [source, mask_column, dtype](const ColumnBatch& batch) {
            Column kept =
                kernels::maskObjects(columnOf(batch, source), columnOf(batch, mask_column));
            return dtype == DType::Int64 ? widenedToInt64(std::move(kept)) : kept;
        });
}

Computation maskedIndex(const std::string& label, const std::string& mask_column) {
    return Computation::function(label, {mask_column}, [mask_column](const ColumnBatch& batch) {
        const Column& mask = columnOf(batch, mask_column);
        return kernels::maskObjects(kernels::localIndex(mask.offsets(0)), mask);
    });
}

}  // namespace hepflow::frame::engine::detail
