// A bounds-checked cursor over the bytes of one ROOT record (a key payload or a basket).
// Every read checks the remaining length and throws FormatError naming the file, the
// object and the absolute byte offset at the first overrun; decoding never continues on
// garbage. It also holds the per-buffer class/object maps used by ROOT's object pointers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.h"
#include "root/endian.h"

namespace hepflow::root {

// ROOT's TBufferFile constants (ROOT-FORMAT.md section 4).
inline constexpr std::uint32_t kByteCountMask = 0x40000000;
inline constexpr std::uint16_t kByteCountVMask = 0x4000;
inline constexpr std::uint32_t kNewClassTag = 0xFFFFFFFF;
inline constexpr std::uint32_t kClassMask = 0x80000000;
inline constexpr std::uint32_t kMapOffset = 2;
inline constexpr std::uint16_t kStreamedMemberWise = 0x4000;
inline constexpr std::uint32_t kIsReferenced = 0x00000010;
// TString (and TLeafC) length prefix: one byte, or this marker followed by a uint32 length.
inline constexpr std::uint8_t kLongStringMarker = 255;

// Where the bytes of a reader came from, for error messages.
struct ByteOrigin {
    std::string file;    // path or URL
    std::string object;  // key path, "branch Muon_pt basket 3", ...
    // Absolute file offset of byte 0 of the buffer when it is stored raw; for a
    // decompressed payload, the offset of its key (errors then also say the payload byte).
    std::uint64_t file_offset = 0;
    bool decompressed = false;
    // Added to a buffer position to get the position ROOT recorded in object/class
    // references: fKeylen for key payloads and baskets (ROOT-FORMAT.md 4.3).
    std::int64_t ref_origin = 0;
};

// The count+version header of a versioned object (ROOT-FORMAT.md 4.1).
struct VersionHeader {
    std::int16_t version = 0;
    std::size_t start = 0;                    // position of the byte-count word (or version)
    std::optional<std::uint32_t> byte_count;  // bytes after the count word, if present
    std::size_t end() const { return byte_count ? start + 4 + *byte_count : 0; }
};

// Base of every ROOT object hepflow models (TNamed, TObjArray, TBranch, TLeaf, ...).
struct RootObject {
    virtual ~RootObject() = default;
    std::string class_name;
};
using RootObjectPtr = std::shared_ptr<RootObject>;

class ByteReader;
// Streams one object of class `class_name` whose bytes start at the reader's position.
// Returns nullptr only for classes it deliberately skips (the caller then skips by count).
using ObjectFactory = RootObjectPtr (*)(std::string_view class_name, ByteReader& reader);

// Counts how deep a recursive streamer is on this thread (in the caller's own thread_local
// counter) and throws FormatError at the reader's position past `max_depth`, so that a corrupt
// record cannot recurse until the stack runs out. `what` names the nested things in the message.
class NestingGuard {
public:
    NestingGuard(int& depth, int max_depth, const ByteReader& reader, std::string_view what);
    ~NestingGuard() { --depth_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

private:
    int& depth_;
};

class ByteReader {
public:
    ByteReader(std::span<const std::byte> data, ByteOrigin origin);

    std::size_t position() const { return pos_; }
    std::size_t size() const { return data_.size(); }
    std::size_t remaining() const { return data_.size() - pos_; }
    bool atEnd() const { return pos_ == data_.size(); }
    std::span<const std::byte> data() const { return data_; }
    const ByteOrigin& origin() const { return origin_; }

    void seek(std::size_t position);
    void skip(std::size_t count);

    template <BigEndianValue T>
    T read() {
        require(sizeof(T));
        T value = loadBigEndian<T>(data_.data() + pos_);
        pos_ += sizeof(T);
        return value;
    }
    // Reads out.size() big-endian values.
    template <BigEndianValue T>
    void readArray(std::span<T> out) {
        require(out.size() * sizeof(T));
        loadBigEndianArray<T>(data_.subspan(pos_), out);
        pos_ += out.size() * sizeof(T);
    }
    // A view of the next `count` bytes; valid as long as the underlying buffer.
    std::span<const std::byte> readBytes(std::size_t count);

    // TString encoding: 1-byte length, or kLongStringMarker + uint32 length, then the bytes.
    std::string readTString();
    // NUL-terminated string (class names after a new-class tag).
    std::string readCString();

    // Count+version header; versionless objects (no byte count) are handled too.
    VersionHeader readVersion();
    // Moves to the end of an object given by its byte count (skipping unknown trailing
    // members); throws if the count points past the buffer. No-op without a byte count.
    void skipToEnd(const VersionHeader& header, std::string_view class_name);
    // TObject: version, fUniqueID, fBits (+ pidf when referenced). Returns fBits.
    std::uint32_t readTObject();

    // ROOT's object pointer (ReadObjectAny, ROOT-FORMAT.md 4.3): null, new class, known
    // class, or a back-reference to an object already read from this buffer.
    RootObjectPtr readObjectAny(ObjectFactory factory);

    // Throws FormatError at the current position with this reader's context.
    [[noreturn]] void fail(std::string_view message) const;
    // Throws E at `position` with this reader's context: FormatError for corrupt bytes,
    // UnsupportedError for valid ROOT that hepflow does not decode.
    template <class E = FormatError>
    [[noreturn]] void failAt(std::size_t position, std::string_view message) const {
        E error{std::string(message)};
        addContext(error, position);
        throw error;
    }
    // Decorates an error thrown while decoding this buffer with file/object/offset.
    void addContext(Error& error, std::size_t position) const;

private:
    void require(std::size_t count) const {
        if (count > data_.size() - pos_) failShort(count);
    }
    [[noreturn]] void failShort(std::size_t count) const;
    std::uint32_t refPosition(std::size_t position) const;

    std::span<const std::byte> data_;
    std::size_t pos_ = 0;
    ByteOrigin origin_;
    std::unordered_map<std::uint32_t, std::string> classes_;
    std::unordered_map<std::uint32_t, RootObjectPtr> objects_;
    int depth_ = 0;  // objects being streamed inside each other (see kMaxObjectDepth)
};

}  // namespace hepflow::root
