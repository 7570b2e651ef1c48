// Bounds checks, strings, versions and ROOT object pointers for ByteReader.
#include "root/byte_reader.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace hepflow::root {

namespace {
// A C string longer than this in a class tag is corruption, not a class name.
constexpr std::size_t kMaxClassNameLength = 4096;
// Real files nest objects a few levels deep (TTree > TObjArray > TBranch > TObjArray > ...);
// a crafted file could nest them until the stack overflows.
constexpr int kMaxObjectDepth = 200;
}  // namespace

ByteReader::ByteReader(std::span<const std::byte> data, ByteOrigin origin)
    : data_(data), origin_(std::move(origin)) {}

void ByteReader::seek(std::size_t position) {
    if (position > data_.size())
        fail(fmt::format("seek to position {} past the end of a {}-byte buffer", position,
                         data_.size()));
    pos_ = position;
}

void ByteReader::skip(std::size_t count) {
    require(count);
    pos_ += count;
}

std::span<const std::byte> ByteReader::readBytes(std::size_t count) {
    require(count);
    auto out = data_.subspan(pos_, count);
    pos_ += count;
    return out;
}

std::string ByteReader::readTString() {
    std::size_t length = read<std::uint8_t>();
    if (length == kLongStringMarker) length = read<std::uint32_t>();
    auto bytes = readBytes(length);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string ByteReader::readCString() {
    const std::size_t limit = std::min(remaining(), kMaxClassNameLength);
    const auto* begin = data_.data() + pos_;
    const void* nul = std::memchr(begin, 0, limit);
    if (nul == nullptr) fail("unterminated string");
    const std::size_t length = static_cast<const std::byte*>(nul) - begin;
    std::string out(reinterpret_cast<const char*>(begin), length);
    pos_ += length + 1;
    return out;
}

VersionHeader ByteReader::readVersion() {
    VersionHeader header;
    header.start = pos_;
    const auto word = read<std::uint32_t>();
    if (word & kByteCountMask) {
        header.byte_count = word & ~kByteCountMask;
        if (*header.byte_count < 2 || *header.byte_count > data_.size() - header.start - 4)
            failAt(header.start,
                   fmt::format("byte count {} does not fit in the buffer", *header.byte_count));
        header.version = read<std::int16_t>();
    } else {
        pos_ = header.start;
        header.version = read<std::int16_t>();
    }
    return header;
}

void ByteReader::skipToEnd(const VersionHeader& header, std::string_view class_name) {
    if (!header.byte_count) return;
    const std::size_t end = header.end();
    if (end > data_.size() || end < pos_)
        failAt(
            header.start,
            fmt::format("{} (version {}) decoded {} bytes, but its byte count says {}", class_name,
                        header.version, pos_ - header.start - 4, *header.byte_count));
    pos_ = end;
}

std::uint32_t ByteReader::readTObject() {
    auto version = read<std::int16_t>();
    if (version & kByteCountVMask) {
        // The two bytes were the high half of a byte count: the real version follows.
        skip(2);
        version = read<std::int16_t>();
    }
    (void)read<std::uint32_t>();  // fUniqueID
    const auto bits = read<std::uint32_t>();
    if (bits & kIsReferenced) skip(2);  // pidf
    return bits;
}

std::uint32_t ByteReader::refPosition(std::size_t position) const {
    return static_cast<std::uint32_t>(static_cast<std::int64_t>(position) + origin_.ref_origin +
                                      kMapOffset);
}

RootObjectPtr ByteReader::readObjectAny(ObjectFactory factory) {
    const std::size_t start = pos_;
    const auto first = read<std::uint32_t>();
    std::optional<std::uint32_t> byte_count;
    std::size_t tag_position = start;
    std::uint32_t tag = first;
    if ((first & kByteCountMask) && first != kNewClassTag) {
        byte_count = first & ~kByteCountMask;
        if (*byte_count > data_.size() - start - 4)
            failAt(start,
                   fmt::format("object byte count {} does not fit in the buffer", *byte_count));
        tag_position = pos_;
        tag = read<std::uint32_t>();
    }
    const std::size_t object_end = byte_count ? start + 4 + *byte_count : 0;

    if ((tag & kClassMask) == 0) {
        if (tag == 0) return nullptr;
        auto it = objects_.find(tag);
        if (it == objects_.end()) {
            // A reference ROOT recorded to an object we did not model: skip it.
            if (byte_count) pos_ = object_end;
            return nullptr;
        }
        return it->second;
    }

    std::string class_name;
    if (tag == kNewClassTag) {
        class_name = readCString();
        classes_[refPosition(tag_position)] = class_name;
    } else {
        auto it = classes_.find(tag & ~kClassMask);
        if (it == classes_.end())
            failAt(tag_position, fmt::format("reference to unknown class tag 0x{:08x}", tag));
        class_name = it->second;
    }

    if (depth_ >= kMaxObjectDepth)
        failAt(start, fmt::format("objects nested more than {} deep", kMaxObjectDepth));
    RootObjectPtr object;
    ++depth_;
    try {
        object = factory(class_name, *this);
    } catch (Error& error) {
        --depth_;
        error.within(class_name);
        throw;
    }
    --depth_;
    if (object) {
        object->class_name = class_name;
        objects_[refPosition(start)] = object;
    }
    if (byte_count) {
        if (pos_ > object_end)
            failAt(start, fmt::format("{} read {} bytes past its byte count", class_name,
                                      pos_ - object_end));
        pos_ = object_end;
    } else if (!object) {
        failAt(start,
               fmt::format("cannot skip an object of class {} without a byte count", class_name));
    }
    return object;
}

void ByteReader::addContext(Error& error, std::size_t position) const {
    if (origin_.decompressed) {
        error.at(origin_.file, origin_.object, origin_.file_offset);
        error.within(fmt::format("byte {} of the decompressed payload", position));
    } else {
        error.at(origin_.file, origin_.object, origin_.file_offset + position);
    }
}

NestingGuard::NestingGuard(int& depth, int max_depth, const ByteReader& reader,
                           std::string_view what)
    : depth_(depth) {
    if (++depth_ > max_depth) {
        --depth_;
        reader.fail(fmt::format("{} nested more than {} levels deep", what, max_depth));
    }
}

void ByteReader::fail(std::string_view message) const {
    failAt(pos_, message);
}

void ByteReader::failShort(std::size_t count) const {
    fail(fmt::format("need {} bytes but only {} remain in a {}-byte buffer", count, remaining(),
                     data_.size()));
}

}  // namespace hepflow::root
