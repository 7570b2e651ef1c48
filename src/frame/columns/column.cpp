// Column bookkeeping: sizes, string access and concatenation of parts.
#include "frame/columns/column.h"

#include <fmt/format.h>

namespace hepflow::frame {

std::string_view dtypeName(DType type) {
    switch (type) {
        case DType::Bool: return "bool";
        case DType::Int8: return "int8";
        case DType::UInt8: return "uint8";
        case DType::Int16: return "int16";
        case DType::UInt16: return "uint16";
        case DType::Int32: return "int32";
        case DType::UInt32: return "uint32";
        case DType::Int64: return "int64";
        case DType::UInt64: return "uint64";
        case DType::Float32: return "float32";
        case DType::Float64: return "float64";
        case DType::String: return "string";
        case DType::Struct: return "struct";
    }
    return "?";
}

std::size_t dtypeSize(DType type) {
    switch (type) {
        case DType::Bool:
        case DType::Int8:
        case DType::UInt8:
        case DType::String: return 1;
        case DType::Int16:
        case DType::UInt16: return 2;
        case DType::Int32:
        case DType::UInt32:
        case DType::Float32: return 4;
        case DType::Int64:
        case DType::UInt64:
        case DType::Float64: return 8;
        case DType::Struct: return 0;
    }
    return 0;
}

Column::Column(DType type, std::size_t jagged_levels)
    : dtype_(type), offsets_(jagged_levels + (type == DType::String ? 1 : 0), Offsets{0}) {}

Column::Column(const Column& other)
    : dtype_(other.dtype_),
      values_(copyOf(other.values_)),
      members_(other.members_),
      struct_length_(other.struct_length_) {
    offsets_.reserve(other.offsets_.size());
    for (const Offsets& level : other.offsets_) offsets_.push_back(copyOf(level));
}

Column& Column::operator=(const Column& other) {
    if (this != &other) *this = Column(other);
    return *this;
}

std::int64_t Column::length() const {
    if (dtype_ == DType::Struct) return struct_length_;
    if (!offsets_.empty()) return static_cast<std::int64_t>(offsets_[0].size()) - 1;
    return static_cast<std::int64_t>(numValues());
}

std::size_t Column::numValues() const {
    const auto size = dtypeSize(dtype_);
    return size == 0 ? 0 : values_.size() / size;
}

void Column::appendString(std::string_view text) {
    HEPFLOW_ASSERT(dtype_ == DType::String, "appendString on a non-string column");
    const auto n = values_.size();
    values_.resize(n + text.size());
    if (!text.empty()) std::memcpy(values_.data() + n, text.data(), text.size());
    offsets_.back().push_back(static_cast<std::int64_t>(values_.size()));
}

std::string_view Column::stringAt(std::size_t index) const {
    const auto& chars = offsets_.back();
    HEPFLOW_ASSERT(index + 1 < chars.size(), "string index out of range");
    return {reinterpret_cast<const char*>(values_.data()) + chars[index],
            static_cast<std::size_t>(chars[index + 1] - chars[index])};
}

std::size_t Column::numStrings() const {
    return dtype_ == DType::String ? offsets_.back().size() - 1 : 0;
}

Column Column::concatenate(std::vector<Column>&& parts) {
    HEPFLOW_ASSERT(!parts.empty(), "concatenating no columns");
    if (parts.size() == 1) return std::move(parts.front());
    const Column& first = parts.front();
    Column out;
    out.dtype_ = first.dtype_;
    out.offsets_.resize(first.offsets_.size());  // the constructor would add a string level
    for (const Column& part : parts)
        HEPFLOW_ASSERT(part.dtype_ == first.dtype_ &&
                           part.offsets_.size() == first.offsets_.size() &&
                           part.members_.size() == first.members_.size(),
                       "concatenating columns of another shape");
    for (std::size_t level = 0; level < first.offsets_.size(); ++level) {
        std::size_t total = 1;
        for (const Column& part : parts) total += part.offsets_[level].size() - 1;
        auto& offsets = out.offsets_[level];
        offsets.resize(total);
        offsets[0] = first.offsets_[level].front();
        std::size_t at = 1;
        for (const Column& part : parts) {
            const auto& theirs = part.offsets_[level];
            HEPFLOW_ASSERT(&part == &first || theirs.front() == 0,
                           "concatenating a column whose offsets start past 0");
            const std::int64_t shift = offsets[at - 1] - theirs.front();
            for (std::size_t i = 1; i < theirs.size(); ++i) offsets[at + i - 1] = theirs[i] + shift;
            at += theirs.size() - 1;
        }
    }
    std::size_t bytes = 0;
    for (const Column& part : parts) bytes += part.values_.size();
    out.values_.resize(bytes);
    std::size_t at = 0;
    for (const Column& part : parts) {
        if (!part.values_.empty())
            std::memcpy(out.values_.data() + at, part.values_.data(), part.values_.size());
        at += part.values_.size();
        out.struct_length_ += part.struct_length_;
    }
    for (std::size_t m = 0; m < first.members_.size(); ++m) {
        std::vector<Column> member_parts;
        member_parts.reserve(parts.size());
        for (Column& part : parts) member_parts.push_back(std::move(part.members_[m].second));
        out.members_.emplace_back(first.members_[m].first, concatenate(std::move(member_parts)));
    }
    return out;
}

const Column* ColumnBatch::find(std::string_view name) const {
    for (const auto& [column_name, column] : columns)
        if (column_name == name) return &column;
    return nullptr;
}

}  // namespace hepflow::frame
