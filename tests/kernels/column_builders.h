// Builders for hand-made test columns (flat, jagged, strings, sliced so offsets do not start
// at 0) and readers back into nested std::vectors, so kernel tests compare whole results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::frame::testing {

template <class T>
Column flat(const std::vector<T>& values) {
    Column column(dtypeOf<T>());
    for (const T& value : values) column.append<T>(value);
    return column;
}

template <class T>
Column jagged(const std::vector<std::vector<T>>& events) {
    Column column(dtypeOf<T>(), 1);
    for (const auto& event : events) {
        for (const T& value : event) column.append<T>(value);
        column.offsets(0).push_back(column.offsets(0).back() +
                                    static_cast<std::int64_t>(event.size()));
    }
    return column;
}

// A jagged column whose first `drop` entries are cut off by moving the start of offsets(0),
// as a slice of a bigger batch would be: offsets then start past 0.
inline Column sliced(Column column, std::size_t drop = 1) {
    auto& offsets = column.offsets(0);
    offsets.erase(offsets.begin(), offsets.begin() + static_cast<std::ptrdiff_t>(drop));
    return column;
}

// Doubly jagged: entries -> lists -> values.
template <class T>
Column jagged2(const std::vector<std::vector<std::vector<T>>>& events) {
    Column column(dtypeOf<T>(), 2);
    for (const auto& event : events) {
        for (const auto& list : event) {
            for (const T& value : list) column.append<T>(value);
            column.offsets(1).push_back(column.offsets(1).back() +
                                        static_cast<std::int64_t>(list.size()));
        }
        column.offsets(0).push_back(column.offsets(0).back() +
                                    static_cast<std::int64_t>(event.size()));
    }
    return column;
}

inline Column strings(const std::vector<std::string>& values) {
    Column column(DType::String);
    for (const auto& value : values) column.appendString(value);
    return column;
}

inline Column jaggedStrings(const std::vector<std::vector<std::string>>& events) {
    Column column(DType::String, 1);
    for (const auto& event : events) {
        for (const auto& value : event) column.appendString(value);
        column.offsets(0).push_back(column.offsets(0).back() +
                                    static_cast<std::int64_t>(event.size()));
    }
    return column;
}

template <class T>
std::vector<T> flatValues(const Column& column) {
    EXPECT_EQ(column.levels(), 0u);
    auto span = column.values<T>();
    return {span.begin(), span.end()};
}

template <class T>
std::vector<std::vector<T>> nested(const Column& column) {
    EXPECT_EQ(column.levels(), 1u);
    const auto& offsets = column.offsets(0);
    auto values = column.values<T>();
    std::vector<std::vector<T>> out;
    for (std::size_t e = 0; e + 1 < offsets.size(); ++e)
        out.emplace_back(values.begin() + offsets[e], values.begin() + offsets[e + 1]);
    return out;
}

template <class T>
std::vector<std::vector<std::vector<T>>> nested2(const Column& column) {
    EXPECT_EQ(column.levels(), 2u);
    const auto& outer = column.offsets(0);
    const auto& inner = column.offsets(1);
    auto values = column.values<T>();
    std::vector<std::vector<std::vector<T>>> out;
    for (std::size_t e = 0; e + 1 < outer.size(); ++e) {
        auto& event = out.emplace_back();
        for (auto l = outer[e]; l < outer[e + 1]; ++l)
            event.emplace_back(values.begin() + inner[l], values.begin() + inner[l + 1]);
    }
    return out;
}

inline std::vector<std::string> stringValues(const Column& column) {
    EXPECT_EQ(column.levels(), 1u);
    std::vector<std::string> out;
    const auto& offsets = column.offsets(0);
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) out.emplace_back(column.stringAt(i));
    return out;
}

inline std::vector<std::vector<std::string>> nestedStrings(const Column& column) {
    EXPECT_EQ(column.levels(), 2u);
    std::vector<std::vector<std::string>> out;
    const auto& offsets = column.offsets(0);
    for (std::size_t e = 0; e + 1 < offsets.size(); ++e) {
        auto& event = out.emplace_back();
        for (auto i = offsets[e]; i < offsets[e + 1]; ++i)
            event.emplace_back(column.stringAt(static_cast<std::size_t>(i)));
    }
    return out;
}

}  // namespace hepflow::frame::testing
