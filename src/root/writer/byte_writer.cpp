// Strings, version headers and object pointers for ByteWriter.
#include "root/writer/byte_writer.h"

#include <cstring>

#include "common/error.h"
#include "root/byte_reader.h"

namespace hepflow::root {

void ByteWriter::writeBytes(std::span<const std::byte> bytes) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void ByteWriter::writeZeros(std::size_t count) {
    bytes_.resize(bytes_.size() + count);
}

void ByteWriter::writeTString(std::string_view text) {
    if (text.size() < kLongStringMarker) {
        write<std::uint8_t>(static_cast<std::uint8_t>(text.size()));
    } else {
        HEPFLOW_ASSERT(text.size() <= 0xFFFFFFFFu, "TString longer than 4 GiB");
        write<std::uint8_t>(kLongStringMarker);
        write<std::uint32_t>(static_cast<std::uint32_t>(text.size()));
    }
    writeBytes(std::as_bytes(std::span(text.data(), text.size())));
}

void ByteWriter::writeCString(std::string_view text) {
    writeBytes(std::as_bytes(std::span(text.data(), text.size())));
    write<std::uint8_t>(0);
}

std::size_t ByteWriter::beginVersion(std::int16_t version) {
    const std::size_t start = position();
    write<std::uint32_t>(0);
    write<std::int16_t>(version);
    return start;
}

void ByteWriter::endVersion(std::size_t start) {
    const std::size_t count = position() - start - 4;
    HEPFLOW_ASSERT(count < kByteCountMask, "object too large for a ROOT byte count");
    patch<std::uint32_t>(start, static_cast<std::uint32_t>(count) | kByteCountMask);
}

void ByteWriter::writeTObject(std::uint32_t bits, std::uint32_t unique_id) {
    write<std::int16_t>(1);
    write<std::uint32_t>(unique_id);
    write<std::uint32_t>(bits & ~kIsReferenced);
}

std::size_t ByteWriter::beginObject(std::string_view class_name, std::uint32_t* reference) {
    const std::size_t start = position();
    if (reference)
        *reference =
            static_cast<std::uint32_t>(static_cast<std::int64_t>(start) + ref_origin_ + kMapOffset);
    write<std::uint32_t>(0);
    write<std::uint32_t>(kNewClassTag);
    writeCString(class_name);
    return start;
}

void ByteWriter::endObject(std::size_t start) {
    endVersion(start);
}

}  // namespace hepflow::root
