// Column statistics with the conventions of the JSROOT reference dump: booleans count as
// 0/1, 64-bit integers beyond 2^53 are shown as exact text, NaN and infinities are counted
// apart and kept out of the sum, min and max.
#include "frame/columns/column_stats.h"

#include <cmath>
#include <string_view>

namespace hepflow::frame {
namespace {

// JavaScript's Number.MAX_SAFE_INTEGER: the reference shows larger integers as text.
constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;
// The dump marks the paths of string values with this suffix.
constexpr std::string_view kStringMark = "#string";

template <class T>
ShownValue shownValue(T value) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(value)) return std::string("NaN");
        if (std::isinf(value)) return std::string(value > 0 ? "Infinity" : "-Infinity");
        return static_cast<double>(value);
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        if (value > static_cast<std::uint64_t>(kMaxSafeInteger)) return std::to_string(value);
        return static_cast<std::int64_t>(value);
    } else {
        const auto wide = static_cast<std::int64_t>(value);
        if (wide > kMaxSafeInteger || wide < -kMaxSafeInteger) return std::to_string(wide);
        return wide;
    }
}

template <class T>
void addNumbers(std::span<const T> values, NumberStats& stats, std::size_t first_n) {
    for (const T value : values) {
        ++stats.count;
        if (stats.first.size() < first_n) stats.first.push_back(shownValue(value));
        const auto number = static_cast<double>(value);
        if (std::isnan(number)) {
            ++stats.nan_count;
        } else if (std::isinf(number)) {
            ++stats.inf_count;
        } else {
            stats.sum += number;
            if (number < stats.min) stats.min = number;
            if (number > stats.max) stats.max = number;
        }
    }
}

NumberStats numberStats(const Column& column, std::size_t first_n) {
    NumberStats stats;
    switch (column.dtype()) {
        case DType::Bool: addNumbers(column.values<bool>(), stats, first_n); break;
        case DType::Int8: addNumbers(column.values<std::int8_t>(), stats, first_n); break;
        case DType::UInt8: addNumbers(column.values<std::uint8_t>(), stats, first_n); break;
        case DType::Int16: addNumbers(column.values<std::int16_t>(), stats, first_n); break;
        case DType::UInt16: addNumbers(column.values<std::uint16_t>(), stats, first_n); break;
        case DType::Int32: addNumbers(column.values<std::int32_t>(), stats, first_n); break;
        case DType::UInt32: addNumbers(column.values<std::uint32_t>(), stats, first_n); break;
        case DType::Int64: addNumbers(column.values<std::int64_t>(), stats, first_n); break;
        case DType::UInt64: addNumbers(column.values<std::uint64_t>(), stats, first_n); break;
        case DType::Float32: addNumbers(column.values<float>(), stats, first_n); break;
        case DType::Float64: addNumbers(column.values<double>(), stats, first_n); break;
        case DType::String:
        case DType::Struct: HEPFLOW_ASSERT(false, "numberStats on a non-numeric column");
    }
    return stats;
}

StringStats stringStats(const Column& column, std::size_t first_n) {
    StringStats stats;
    const std::size_t n = column.numStrings();
    stats.count = static_cast<std::int64_t>(n);
    stats.total_length = static_cast<std::int64_t>(column.bytes().size());
    for (std::size_t i = 0; i < n && i < first_n; ++i) stats.first.emplace_back(column.stringAt(i));
    return stats;
}

std::int64_t valueCount(const MemberStats& stats) {
    return std::visit([](const auto& s) { return s.count; }, stats);
}

// Levels of a column above its values (a string's character level is not one).
std::size_t outerLevels(const Column& column) {
    return column.levels() - (column.dtype() == DType::String ? 1 : 0);
}

// Appends the stats of `column` under `path` ("" for the column itself); members of
// Struct columns go under "path.member", with "#string" marking strings as the dump does.
void collect(const Column& column, const std::string& path, std::size_t first_n,
             std::vector<std::pair<std::string, MemberStats>>& out) {
    if (column.dtype() == DType::Struct) {
        for (const auto& [name, member] : column.members()) {
            const bool dotted = !name.empty() && name.front() == '.';
            collect(member, path + (dotted ? "" : ".") + name, first_n, out);
        }
        return;
    }
    if (column.dtype() == DType::String)
        // Decoders may already name string members the dump's way (".first#string").
        out.emplace_back(path.ends_with(kStringMark) ? path : path + std::string(kStringMark),
                         stringStats(column, first_n));
    else
        out.emplace_back(path, numberStats(column, first_n));
}

// Outer offsets that give the per-entry lengths, or null for a column with one value
// (or one object) per entry.
const Offsets* entryOffsets(const Column& column) {
    if (column.dtype() != DType::Struct)
        return outerLevels(column) > 0 ? &column.offsets(0) : nullptr;
    if (column.levels() > 0) return &column.offsets(0);
    const Offsets* found = nullptr;
    for (const auto& [name, member] : column.members()) {
        const Offsets* offsets = entryOffsets(member);
        if (offsets == nullptr) return nullptr;
        if (found == nullptr) found = offsets;
    }
    return found;
}

}  // namespace

ColumnStats computeColumnStats(const Column& column, std::size_t first_n) {
    ColumnStats result;
    result.entries = column.length();
    if (const Offsets* offsets = entryOffsets(column)) {
        for (std::size_t i = 0; i + 1 < offsets->size() && i < first_n; ++i)
            result.lengths_first.push_back((*offsets)[i + 1] - (*offsets)[i]);
    }
    std::vector<std::pair<std::string, MemberStats>> paths;
    collect(column, "", first_n, paths);
    for (auto& [path, stats] : paths) {
        // The dump creates a path when its first value is seen: empty paths never show.
        if (valueCount(stats) == 0) continue;
        if (path.empty())
            result.values = std::get<NumberStats>(std::move(stats));
        else if (path == kStringMark)
            result.strings = std::get<StringStats>(std::move(stats));
        else
            result.members.emplace_back(path, std::move(stats));
    }
    if (!result.values && !result.strings && result.members.empty()) result.values.emplace();
    return result;
}

}  // namespace hepflow::frame
