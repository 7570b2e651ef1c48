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
                        const std::string& mask_column) {
    return Computation::function(
        label, {source, mask_column}, [source, mask_column](const ColumnBatch& batch) {
            return kernels::maskObjects(columnOf(batch, source), columnOf(batch, mask_column));
        });
}

Computation maskedIndex(const std::string& label, const std::string& mask_column) {
    return Computation::function(label, {mask_column}, [mask_column](const ColumnBatch& batch) {
        const Column& mask = columnOf(batch, mask_column);
        const Offsets& offsets = mask.offsets(0);
        const auto keep = mask.values<bool>();
        Column index(DType::Int32, 1);
        Offsets& index_offsets = index.offsets(0);
        index_offsets.resize(offsets.size());
        index_offsets[0] = 0;
        // Sized for every object, then cut to the kept ones: no staging copy.
        index.bytes().resize(static_cast<std::size_t>(offsets.back() - offsets.front()) *
                             sizeof(std::int32_t));
        auto* positions = index.values<std::int32_t>().data();
        std::size_t kept = 0;
        for (std::size_t row = 0; row + 1 < offsets.size(); ++row) {
            for (std::int64_t k = offsets[row]; k < offsets[row + 1]; ++k)
                if (keep[static_cast<std::size_t>(k)])
                    positions[kept++] = static_cast<std::int32_t>(k - offsets[row]);
            index_offsets[row + 1] = static_cast<std::int64_t>(kept);
        }
        index.bytes().resize(kept * sizeof(std::int32_t));
        return index;
    });
}

}  // namespace hepflow::frame::engine::detail
