// Column batches: the in-memory form every stage after decoding works on. A column is
// flat (one value per entry) or jagged (n+1 int64 offsets per nesting level over one
// values array, Arrow's ListArray); strings are jagged bytes; structured branches (leaf
// lists, STL maps, TRefArray) are columns whose members are columns of the same entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/error.h"

namespace hepflow::frame {

enum class DType : std::uint8_t {
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
    // Strings: bytes, with the innermost offsets level indexing characters.
    String,
    // No values of its own: only members.
    Struct,
};

std::string_view dtypeName(DType type);
// Bytes per value (1 for Bool and String characters, 0 for Struct).
std::size_t dtypeSize(DType type);

template <class T>
constexpr DType dtypeOf() {
    if constexpr (std::is_same_v<T, bool>)
        return DType::Bool;
    else if constexpr (std::is_same_v<T, std::int8_t>)
        return DType::Int8;
    else if constexpr (std::is_same_v<T, std::uint8_t>)
        return DType::UInt8;
    else if constexpr (std::is_same_v<T, std::int16_t>)
        return DType::Int16;
    else if constexpr (std::is_same_v<T, std::uint16_t>)
        return DType::UInt16;
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return DType::Int32;
    else if constexpr (std::is_same_v<T, std::uint32_t>)
        return DType::UInt32;
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return DType::Int64;
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return DType::UInt64;
    else if constexpr (std::is_same_v<T, float>)
        return DType::Float32;
    else if constexpr (std::is_same_v<T, double>)
        return DType::Float64;
    else
        static_assert(sizeof(T) == 0, "no DType for this C++ type");
}

// An allocator whose resize() leaves new numbers uninitialized (default-initialized) instead
// of zeroing them: every kernel and decoder writes all the values it sizes, and zero-filling
// megabytes per batch (plus the page faults of touching them twice) cost up to a tenth of a
// reduction. resize(n, value) and assign() still initialize.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() = default;
    template <class U>
    DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {
    }  // NOLINT(google-explicit-constructor)

    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        std::construct_at(p, std::forward<Args>(args)...);
    }
};

// Column storage: raw values and per-level offsets.
using Bytes = std::vector<std::byte, DefaultInitAllocator<std::byte>>;
using Offsets = std::vector<std::int64_t, DefaultInitAllocator<std::int64_t>>;

// A copy of column storage at memcpy speed. std::vector's own copy goes element by element
// through the allocator's construct() (libstdc++ uses memmove for std::allocator only), which
// ran at a third of memcpy's speed on megabyte columns.
template <class T>
std::vector<T, DefaultInitAllocator<T>> copyOf(const std::vector<T, DefaultInitAllocator<T>>& in) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<T, DefaultInitAllocator<T>> out;
    out.resize(in.size());
    if (!in.empty()) std::memcpy(out.data(), in.data(), in.size() * sizeof(T));
    return out;
}

// The same for `count` values starting at `first` (a slice of a column's storage).
template <class T>
std::vector<T, DefaultInitAllocator<T>> copyOfRange(const T* first, std::size_t count) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<T, DefaultInitAllocator<T>> out;
    out.resize(count);
    if (count > 0) std::memcpy(out.data(), first, count * sizeof(T));
    return out;
}

class Column {
public:
    Column() = default;
    explicit Column(DType type, std::size_t jagged_levels = 0);
    // Copies use copyOf() for the values and offsets; moves keep the buffers.
    Column(const Column& other);
    Column& operator=(const Column& other);
    Column(Column&&) noexcept = default;
    Column& operator=(Column&&) noexcept = default;

    DType dtype() const { return dtype_; }
    // Number of entries (rows).
    std::int64_t length() const;
    // Nesting levels: 0 = flat, 1 = jagged (counted array, vector<T>), 2 = doubly jagged.
    // For strings the innermost (character) level is included.
    std::size_t levels() const { return offsets_.size(); }
    bool isJagged() const { return dtype_ == DType::String ? levels() > 1 : levels() > 0; }

    // Offsets of nesting level `level` (0 = outermost: entries -> items).
    const Offsets& offsets(std::size_t level) const { return offsets_[level]; }
    Offsets& offsets(std::size_t level) { return offsets_[level]; }

    // Values as raw bytes (for String: all characters concatenated).
    Bytes& bytes() { return values_; }
    const Bytes& bytes() const { return values_; }
    std::size_t numValues() const;

    template <class T>
    std::span<const T> values() const {
        checkType<T>();
        return {reinterpret_cast<const T*>(values_.data()), values_.size() / sizeof(T)};
    }
    template <class T>
    std::span<T> values() {
        checkType<T>();
        return {reinterpret_cast<T*>(values_.data()), values_.size() / sizeof(T)};
    }
    template <class T>
    void append(T value) {
        checkType<T>();
        const auto n = values_.size();
        values_.resize(n + sizeof(T));
        std::memcpy(values_.data() + n, &value, sizeof(T));
    }
    void appendString(std::string_view text);            // for String columns: characters + offset
    std::string_view stringAt(std::size_t index) const;  // index into the innermost level
    std::size_t numStrings() const;

    // Members of a Struct column (or extra parts of a structured branch), by name.
    std::vector<std::pair<std::string, Column>>& members() { return members_; }
    const std::vector<std::pair<std::string, Column>>& members() const { return members_; }

    // All rows of `parts` (at least one; same dtype, levels and members; the offsets of all but
    // the first start at 0 at every level: all their storage is appended), in order, in one
    // column whose storage is allocated once.
    static Column concatenate(std::vector<Column>&& parts);

private:
    template <class T>
    void checkType() const {
        HEPFLOW_ASSERT(dtype_ == dtypeOf<T>(), "column value type mismatch");
    }

    DType dtype_ = DType::Float64;
    std::vector<Offsets> offsets_;
    Bytes values_;
    std::vector<std::pair<std::string, Column>> members_;
    std::int64_t struct_length_ = 0;

public:
    // Entry count of a Struct column (it has no offsets or values of its own).
    void setStructLength(std::int64_t n) { struct_length_ = n; }
};

// Equal-length named columns: one batch of entries.
struct ColumnBatch {
    std::int64_t first_entry = 0;  // global entry number of row 0
    std::int64_t num_entries = 0;
    std::vector<std::pair<std::string, Column>> columns;

    const Column* find(std::string_view name) const;
};

}  // namespace hepflow::frame
