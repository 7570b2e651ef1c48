// TKey, the header in front of every record of a ROOT file (ROOT-FORMAT.md section 2): where
// the record is, how long it is on disk and uncompressed, and the class, name, title and cycle
// of the object it holds. Keys come from directory keys lists and from record headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "root/byte_reader.h"

namespace hepflow::root {

// Fixed part of a key header (before the three strings): 32-bit and 64-bit seek layouts.
inline constexpr std::size_t kSmallKeyFixedSize = 26;
inline constexpr std::size_t kBigKeyFixedSize = 34;
// A key version above this has 64-bit fSeekKey/fSeekPdir (ROOT writes 1004).
inline constexpr std::int16_t kBigKeyVersionOffset = 1000;
// In big keys the upper 16 bits of fSeekPdir hold fPidOffset (TKey.cxx kPidOffsetShift = 48).
inline constexpr std::uint64_t kSeekPdirMask = 0x0000FFFFFFFFFFFFull;
// The class name hepflow reports for directories, whatever the file wrote ("TDirectory").
inline constexpr std::string_view kDirectoryClassName = "TDirectoryFile";

struct Key {
    std::int32_t fNbytes = 0;  // record length on disk: fKeylen + stored payload
    std::int16_t fVersion = 0;
    std::int32_t fObjlen = 0;  // uncompressed payload length
    std::uint32_t fDatime = 0;
    std::int16_t fKeylen = 0;
    std::int16_t fCycle = 0;
    std::uint64_t fSeekKey = 0;   // offset of the record (self-check)
    std::uint64_t fSeekPdir = 0;  // offset of the parent directory's record (pid bits masked)
    std::string fClassName;       // "TDirectory" is reported as "TDirectoryFile"
    std::string fName;
    std::string fTitle;

    bool isBig() const { return fVersion > kBigKeyVersionOffset; }
    // The payload is stored raw iff fObjlen == fNbytes - fKeylen (ROOT-FORMAT.md pitfall 1).
    bool isCompressed() const { return fObjlen != fNbytes - fKeylen; }
    bool isDirectory() const { return fClassName == kDirectoryClassName; }
};

// A name read from a file, made safe for an error message: control bytes (NUL included, which
// would cut what()) become \xNN and the result is capped at a few hundred bytes. Empty names
// become `empty`.
std::string printableName(std::string_view name, std::string_view empty = "");

// Which size checks a key header must pass besides the common ones.
enum class KeyCheck {
    // The key of a record on disk: fNbytes >= fKeylen (a negative fNbytes is a deleted record).
    Strict,
    // The key of a basket inside a TTree record (ROOT-FORMAT.md 7.4): fNbytes is 0 and fObjlen
    // a capacity, so fNbytes is not checked.
    Embedded,
};

// Parses a key header at the reader's position, small or big per fVersion > 1000, and leaves
// the reader just after fTitle (for TBasket keys the basket header follows; it is part of
// fKeylen). Checks: fKeylen covers the fixed part and the three strings, fObjlen >= 0, seeks
// non-negative, and for KeyCheck::Strict fNbytes >= fKeylen. Throws FormatError with the
// reader's file and the offset of the key.
Key readKeyHeader(ByteReader& reader, KeyCheck check = KeyCheck::Strict);

// A record that a file header or directory points to with a (seek, nbytes) pair, and the names
// error messages give them.
struct RecordPointer {
    std::uint64_t seek = 0;
    std::uint64_t nbytes = 0;
    std::string_view record;        // "keys list", "StreamerInfo"
    std::string_view owner;         // who holds the pointer: "the directory", "the file header"
    std::string_view seek_field;    // "fSeekKeys"
    std::string_view nbytes_field;  // "fNbytesKeys"
};

// readKeyHeader on a record read at pointer.seek, which must also say it is at pointer.seek
// and be at most pointer.nbytes long. Throws FormatError at the record's start.
Key readPointedKey(ByteReader& reader, const RecordPointer& pointer);

}  // namespace hepflow::root
