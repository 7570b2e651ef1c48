// Decoding and sanity checks of the ROOT file header (small and big layouts).
#include "root/file_header.h"

#include <cstring>

#include <fmt/format.h>

namespace hepflow::root {

namespace {

constexpr std::string_view kMagic = "root";

// A seek field: int32 in the small layout, int64 in the big one; never negative.
std::uint64_t readSeek(ByteReader& reader, bool big, std::string_view field) {
    const std::size_t position = reader.position();
    const std::int64_t value =
        big ? reader.read<std::int64_t>() : std::int64_t{reader.read<std::int32_t>()};
    if (value < 0) reader.failAt(position, fmt::format("negative {} ({})", field, value));
    return static_cast<std::uint64_t>(value);
}

std::int32_t readCount(ByteReader& reader, std::string_view field) {
    const std::size_t position = reader.position();
    const auto value = reader.read<std::int32_t>();
    if (value < 0) reader.failAt(position, fmt::format("negative {} ({})", field, value));
    return value;
}

}  // namespace

FileHeader readFileHeader(ByteReader& reader, std::uint64_t file_size) {
    const auto data = reader.data();
    if (data.size() < kMagic.size() || std::memcmp(data.data(), kMagic.data(), kMagic.size()) != 0)
        reader.failAt(0, "not a ROOT file (it does not start with \"root\")");
    reader.seek(kMagic.size());

    FileHeader header;
    header.fVersion = reader.read<std::int32_t>();
    if (header.fVersion < 0)
        reader.failAt(4, fmt::format("negative file format version {}", header.fVersion));
    header.big = header.fVersion >= kBigFileVersionOffset;
    const std::size_t header_size = header.big ? kBigFileHeaderSize : kSmallFileHeaderSize;
    if (data.size() < header_size)
        reader.failAt(data.size(), fmt::format("truncated file header: {} bytes of the {} the "
                                               "header needs",
                                               data.size(), header_size));

    header.fBEGIN = reader.read<std::int32_t>();
    header.fEND = readSeek(reader, header.big, "fEND");
    header.fSeekFree = readSeek(reader, header.big, "fSeekFree");
    header.fNbytesFree = readCount(reader, "fNbytesFree");
    header.nfree = readCount(reader, "nfree");
    header.fNbytesName = readCount(reader, "fNbytesName");
    header.fUnits = reader.read<std::uint8_t>();
    header.fCompress = reader.read<std::int32_t>();
    header.fSeekInfo = readSeek(reader, header.big, "fSeekInfo");
    header.fNbytesInfo = readCount(reader, "fNbytesInfo");
    header.fUUIDVersion = reader.read<std::uint16_t>();
    const auto uuid = reader.readBytes(header.fUUID.size());
    std::memcpy(header.fUUID.data(), uuid.data(), uuid.size());

    if (header.fBEGIN < static_cast<std::int32_t>(header_size))
        reader.failAt(8, fmt::format("fBEGIN {} lies inside the {}-byte file header", header.fBEGIN,
                                     header_size));
    if (header.fEND < static_cast<std::uint64_t>(header.fBEGIN))
        reader.failAt(12, fmt::format("fEND {} lies before fBEGIN {}", header.fEND, header.fBEGIN));
    if (header.fEND > file_size)
        reader.failAt(12, fmt::format("file is truncated or was not closed: the header says it "
                                      "ends at byte {} (fEND) but it has {} bytes",
                                      header.fEND, file_size));
    return header;
}

}  // namespace hepflow::root
