// The writing twin of ByteReader: a growable big-endian buffer for one ROOT record, with
// TStrings, count+version headers patched once an object is complete, and the new-class
// tags and back-references of ROOT's object pointers (ROOT-FORMAT.md 4.1, 4.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "root/byte_reader.h"
#include "root/endian.h"

namespace hepflow::root {

// Bytes of a TString of `length` characters: a 1-byte length below kLongStringMarker (255),
// else the marker and a uint32 length. Key lengths and basket sizes are computed with it.
constexpr std::size_t tstringSize(std::size_t length) {
    return length < kLongStringMarker ? 1 + length : 5 + length;
}

class ByteWriter {
public:
    // `ref_origin` is added to buffer positions recorded in object references: the fKeylen
    // of the key this payload will follow (ROOT measures them from the key start).
    explicit ByteWriter(std::int64_t ref_origin = 0) : ref_origin_(ref_origin) {}

    std::size_t position() const { return bytes_.size(); }
    const std::vector<std::byte>& bytes() const { return bytes_; }
    std::vector<std::byte> release() { return std::move(bytes_); }
    void reserve(std::size_t n) { bytes_.reserve(n); }

    template <BigEndianValue T>
    void write(T value) {
        const auto n = bytes_.size();
        bytes_.resize(n + sizeof(T));
        storeBigEndian<T>(bytes_.data() + n, value);
    }
    template <BigEndianValue T>
    void writeArray(std::span<const T> values) {
        const auto n = bytes_.size();
        bytes_.resize(n + values.size() * sizeof(T));
        storeBigEndianArray<T>(values, std::span<std::byte>(bytes_).subspan(n));
    }
    void writeBytes(std::span<const std::byte> bytes);
    void writeZeros(std::size_t count);
    // TString: 1-byte length below 255, else 0xFF + uint32 length.
    void writeTString(std::string_view text);
    // NUL-terminated (class names after a new-class tag).
    void writeCString(std::string_view text);

    // Overwrites already written bytes (for fields known only later).
    template <BigEndianValue T>
    void patch(std::size_t position, T value) {
        storeBigEndian<T>(bytes_.data() + position, value);
    }

    // Starts a versioned object: reserves the byte count and writes the version. Returns the
    // position to pass to endVersion(), which patches the count.
    std::size_t beginVersion(std::int16_t version);
    void endVersion(std::size_t start);

    // TObject as ROOT writes it: version 1, fUniqueID, fBits.
    void writeTObject(std::uint32_t bits = kDefaultObjectBits, std::uint32_t unique_id = 0);

    // Object pointer with a new-class tag: writes count + 0xFFFFFFFF + class name; returns
    // the start to pass to endObject() after the object's body. Also returns, through
    // `reference`, the value other pointers use to refer back to this object.
    std::size_t beginObject(std::string_view class_name, std::uint32_t* reference = nullptr);
    void endObject(std::size_t start);
    // A back-reference to an object written earlier in this buffer.
    void writeReference(std::uint32_t reference) { write<std::uint32_t>(reference); }
    void writeNullPointer() { write<std::uint32_t>(0); }

    // kIsOnHeap | kNotDeleted: what ROOT-written objects carry.
    static constexpr std::uint32_t kDefaultObjectBits = 0x03000000;

private:
    std::vector<std::byte> bytes_;
    std::int64_t ref_origin_;
};

}  // namespace hepflow::root
