// The fixed header at the start of every ROOT file (ROOT-FORMAT.md section 1): where the top
// directory, the StreamerInfo record and the free-segments record live, the file's default
// compression, and whether 64-bit seeks are used. Parsed once when a file is opened.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "root/byte_reader.h"

namespace hepflow::root {

// fVersion >= this marks the big (64-bit seek) header layout; the ROOT version is the rest.
inline constexpr std::int32_t kBigFileVersionOffset = 1000000;
// Bytes of the header fields (magic to UUID) in the small and big layouts.
inline constexpr std::size_t kSmallFileHeaderSize = 63;
inline constexpr std::size_t kBigFileHeaderSize = 75;

struct FileHeader {
    std::int32_t fVersion = 0;  // as stored: ROOT version, + 1000000 for the big layout
    bool big = false;
    std::int32_t fBEGIN = 0;
    std::uint64_t fEND = 0;
    std::uint64_t fSeekFree = 0;
    std::int32_t fNbytesFree = 0;
    std::int32_t nfree = 0;
    std::int32_t fNbytesName = 0;
    std::uint8_t fUnits = 0;
    std::int32_t fCompress = 0;
    std::uint64_t fSeekInfo = 0;
    std::int32_t fNbytesInfo = 0;
    std::uint16_t fUUIDVersion = 0;
    std::array<std::byte, 16> fUUID{};

    // ROOT release that wrote the file: 10000 * major + 100 * minor + patch (62400 = 6.24/00).
    int rootVersion() const { return fVersion % kBigFileVersionOffset; }
};

// Parses the header from the first bytes of a file (`reader` at position 0, over at least the
// header bytes when the file has them). `file_size` is the real size of the file: a header
// whose fEND lies beyond it means a truncated (or never closed) file, which is reported as
// such. Throws FormatError ("not a ROOT file", truncated header, impossible fields) with the
// reader's file and the offset of the offending field.
FileHeader readFileHeader(ByteReader& reader, std::uint64_t file_size);

}  // namespace hepflow::root
