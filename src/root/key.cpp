// Decoding and sanity checks of TKey headers (small and big layouts).
#include "root/key.h"

#include <fmt/format.h>

namespace hepflow::root {

namespace {
// Long enough for any real path, short enough to keep a corrupt name from flooding a message.
constexpr std::size_t kMaxPrintableName = 200;
}  // namespace

std::string printableName(std::string_view name, std::string_view empty) {
    if (name.empty()) return std::string(empty);
    std::string out;
    for (const char c : name.substr(0, kMaxPrintableName)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F)
            out += fmt::format("\\x{:02x}", byte);
        else
            out += c;
    }
    if (name.size() > kMaxPrintableName) out += "...";
    return out;
}

Key readKeyHeader(ByteReader& reader, KeyCheck check) {
    const std::size_t start = reader.position();
    Key key;
    key.fNbytes = reader.read<std::int32_t>();
    key.fVersion = reader.read<std::int16_t>();
    key.fObjlen = reader.read<std::int32_t>();
    key.fDatime = reader.read<std::uint32_t>();
    key.fKeylen = reader.read<std::int16_t>();
    key.fCycle = reader.read<std::int16_t>();
    std::int64_t seek_key = 0;
    std::int64_t seek_pdir = 0;
    if (key.isBig()) {
        seek_key = reader.read<std::int64_t>();
        seek_pdir = static_cast<std::int64_t>(reader.read<std::uint64_t>() & kSeekPdirMask);
    } else {
        seek_key = reader.read<std::int32_t>();
        seek_pdir = reader.read<std::int32_t>();
    }
    const bool strict = check == KeyCheck::Strict;
    if (strict && key.fNbytes < 0)
        reader.failAt(start,
                      fmt::format("key with negative fNbytes {} (a deleted record)", key.fNbytes));
    if (seek_key < 0 || seek_pdir < 0)
        reader.failAt(start, fmt::format("key with negative fSeekKey {} or fSeekPdir {}", seek_key,
                                         seek_pdir));
    key.fSeekKey = static_cast<std::uint64_t>(seek_key);
    key.fSeekPdir = static_cast<std::uint64_t>(seek_pdir);

    key.fClassName = reader.readTString();
    key.fName = reader.readTString();
    key.fTitle = reader.readTString();
    if (key.fClassName == "TDirectory") key.fClassName = kDirectoryClassName;

    const std::size_t header_bytes = reader.position() - start;
    if (key.fKeylen < 0 || static_cast<std::size_t>(key.fKeylen) < header_bytes)
        reader.failAt(start, fmt::format("key '{}' has fKeylen {} but its header takes {} bytes",
                                         printableName(key.fName), key.fKeylen, header_bytes));
    if (strict && key.fNbytes < key.fKeylen)
        reader.failAt(start, fmt::format("key '{}' has fNbytes {} smaller than fKeylen {}",
                                         printableName(key.fName), key.fNbytes, key.fKeylen));
    if (key.fObjlen < 0)
        reader.failAt(start, fmt::format("key '{}' has negative fObjlen {}",
                                         printableName(key.fName), key.fObjlen));
    return key;
}

Key readPointedKey(ByteReader& reader, const RecordPointer& pointer) {
    const std::size_t start = reader.position();
    Key key = readKeyHeader(reader);
    if (key.fSeekKey != pointer.seek)
        reader.failAt(start,
                      fmt::format("the {} key says it is at byte {}, but it is at byte {} "
                                  "({})",
                                  pointer.record, key.fSeekKey, pointer.seek, pointer.seek_field));
    if (static_cast<std::uint64_t>(key.fNbytes) > pointer.nbytes)
        reader.failAt(start, fmt::format("the {} record is {} bytes (fNbytes) but {} says {} ({})",
                                         pointer.record, key.fNbytes, pointer.owner, pointer.nbytes,
                                         pointer.nbytes_field));
    return key;
}

}  // namespace hepflow::root
