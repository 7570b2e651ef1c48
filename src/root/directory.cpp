// Reading the directory tree: top directory record, keys lists and subdirectories, with the
// checks that keep a corrupt file from looping or allocating without bound.
#include "root/directory.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

#include "root/root_file.h"

namespace hepflow::root {

namespace {

// Smallest key header in a keys list: small fixed part + three empty strings.
constexpr std::size_t kMinKeyHeaderSize = kSmallKeyFixedSize + 3;
// Directory versions: 2 stores the UUID bare, 3 and later with a uint16 version first.
constexpr std::int16_t kDirectoryVersionBareUuid = 2;
// Real files nest a handful of levels; deeper means a corrupt chain of directory records.
constexpr int kMaxDirectoryDepth = 1000;

std::uint64_t readDirectorySeek(ByteReader& reader, bool big, std::string_view field) {
    const std::size_t position = reader.position();
    const std::int64_t value =
        big ? reader.read<std::int64_t>() : std::int64_t{reader.read<std::int32_t>()};
    if (value < 0) reader.failAt(position, fmt::format("negative {} ({})", field, value));
    return static_cast<std::uint64_t>(value);
}

std::string joinPath(std::string_view parent, std::string_view name) {
    if (parent.empty()) return std::string(name);
    return fmt::format("{}/{}", parent, name);
}

}  // namespace

DirectoryHeader readDirectoryHeader(ByteReader& reader) {
    DirectoryHeader header;
    header.fVersion = reader.read<std::int16_t>();
    header.fDatimeC = reader.read<std::uint32_t>();
    header.fDatimeM = reader.read<std::uint32_t>();
    const std::size_t counts_position = reader.position();
    header.fNbytesKeys = reader.read<std::int32_t>();
    header.fNbytesName = reader.read<std::int32_t>();
    if (header.fNbytesKeys < 0 || header.fNbytesName < 0)
        reader.failAt(counts_position,
                      fmt::format("directory header with negative fNbytesKeys {} or fNbytesName "
                                  "{}",
                                  header.fNbytesKeys, header.fNbytesName));
    const bool big = header.isBig();
    header.fSeekDir = readDirectorySeek(reader, big, "fSeekDir");
    header.fSeekParent = readDirectorySeek(reader, big, "fSeekParent");
    header.fSeekKeys = readDirectorySeek(reader, big, "fSeekKeys");
    const int version = header.fVersion % kBigDirectoryVersionOffset;
    if (version >= kDirectoryVersionBareUuid) {
        if (version > kDirectoryVersionBareUuid) header.fUUIDVersion = reader.read<std::uint16_t>();
        const auto uuid = reader.readBytes(header.fUUID.size());
        std::memcpy(header.fUUID.data(), uuid.data(), uuid.size());
    }
    return header;
}

const Directory* Directory::subdirectory(std::string_view name) const {
    const Directory* best = nullptr;
    for (const auto& subdir : subdirs_)
        if (subdir->name_ == name && (best == nullptr || subdir->cycle_ > best->cycle_))
            best = subdir.get();
    return best;
}

const Directory* Directory::subdirectoryForKey(std::size_t index) const {
    return index < subdir_of_key_.size() ? subdir_of_key_[index] : nullptr;
}

const Key* Directory::find(std::string_view name, int cycle) const {
    const Key* best = nullptr;
    for (const Key& key : keys_) {
        if (key.fName != name) continue;
        if (cycle >= 0) {
            if (key.fCycle == cycle) return &key;
        } else if (best == nullptr || key.fCycle > best->fCycle) {
            best = &key;
        }
    }
    return best;
}

// Walks the directory tree of one file. Every directory record is read once: a record offset
// seen twice is a loop (or a shared record) in a corrupt file and throws.
class DirectoryReader {
public:
    explicit DirectoryReader(const RootFile& file) : file_(file) {}

    std::unique_ptr<Directory> readTop(std::span<const std::byte> head) {
        const FileHeader& header = file_.header();
        const auto begin = static_cast<std::uint64_t>(header.fBEGIN);
        // ROOT reads fNbytesName + the directory header; a shorter file fails in the reader.
        const std::uint64_t wanted = std::min<std::uint64_t>(
            static_cast<std::uint64_t>(header.fNbytesName) + kDirectoryHeaderSize,
            header.fEND - begin);
        std::vector<std::byte> owned;
        std::span<const std::byte> record;
        if (begin + wanted <= head.size()) {
            record = head.subspan(begin, wanted);
        } else {
            owned = file_.source().read(begin, wanted);
            record = owned;
        }
        ByteReader reader(record, ByteOrigin{file_.url(), "top directory", begin});
        const Key key = readKeyHeader(reader);
        if (key.fSeekKey != begin)
            reader.failAt(0, fmt::format("the top directory key says it is at byte {}, but it "
                                         "is at fBEGIN = {}",
                                         key.fSeekKey, begin));
        if (header.fNbytesName < key.fKeylen)
            reader.failAt(0, fmt::format("fNbytesName {} of the file header is shorter than the "
                                         "top directory key ({} bytes)",
                                         header.fNbytesName, key.fKeylen));
        reader.seek(static_cast<std::size_t>(header.fNbytesName));
        auto top = std::make_unique<Directory>();
        top->header_offset_ = begin + reader.position();
        top->header_ = readDirectoryHeader(reader);
        visited_.insert(begin);
        readKeys(*top, 0);
        return top;
    }

private:
    void readKeys(Directory& dir, int depth) {
        const DirectoryHeader& header = dir.header_;
        if (header.fSeekKeys == 0) return;  // a directory without keys list is empty
        const std::string object = dir.path_.empty()
                                       ? std::string("keys list")
                                       : fmt::format("{} keys list", printableName(dir.path_));
        const std::uint64_t end = file_.header().fEND;
        const auto nbytes = static_cast<std::uint64_t>(header.fNbytesKeys);
        if (header.fSeekKeys < static_cast<std::uint64_t>(file_.header().fBEGIN) ||
            header.fSeekKeys > end || nbytes > end - header.fSeekKeys)
            fail(dir.path_.empty() ? "top directory" : dir.path_, dir.header_offset_,
                 fmt::format("keys list at byte {} ({} bytes, fSeekKeys and fNbytesKeys) lies "
                             "outside the file's {} bytes (fEND)",
                             header.fSeekKeys, nbytes, end));
        if (nbytes < kMinKeyHeaderSize + sizeof(std::int32_t))
            fail(dir.path_.empty() ? "top directory" : dir.path_, dir.header_offset_,
                 fmt::format("keys list of {} bytes (fNbytesKeys) cannot hold a key and a count",
                             nbytes));

        std::vector<std::byte> record = file_.source().read(header.fSeekKeys, nbytes);
        Key list_key;
        {
            ByteReader reader(record, ByteOrigin{file_.url(), object, header.fSeekKeys});
            list_key =
                readPointedKey(reader, RecordPointer{header.fSeekKeys, nbytes, "keys list",
                                                     "the directory", "fSeekKeys", "fNbytesKeys"});
        }
        record.resize(static_cast<std::size_t>(list_key.fNbytes));
        const RootFile::Payload payload = file_.decodePayload(std::move(record), list_key, object);
        ByteReader reader = payload.reader();
        const std::size_t count_position = reader.position();
        const auto nkeys = reader.read<std::int32_t>();
        if (nkeys < 0 || static_cast<std::size_t>(nkeys) > reader.remaining() / kMinKeyHeaderSize)
            reader.failAt(count_position,
                          fmt::format("keys list claims {} keys but has room for at most {}", nkeys,
                                      reader.remaining() / kMinKeyHeaderSize));
        dir.keys_.reserve(static_cast<std::size_t>(nkeys));
        for (std::int32_t i = 0; i < nkeys; ++i) dir.keys_.push_back(readKeyHeader(reader));

        dir.subdir_of_key_.assign(dir.keys_.size(), nullptr);
        for (std::size_t i = 0; i < dir.keys_.size(); ++i) {
            const Key& key = dir.keys_[i];
            if (!key.isDirectory()) continue;
            dir.subdirs_.push_back(readSubdirectory(dir, key, depth + 1));
            dir.subdir_of_key_[i] = dir.subdirs_.back().get();
        }
    }

    std::unique_ptr<Directory> readSubdirectory(const Directory& parent, const Key& key,
                                                int depth) {
        auto dir = std::make_unique<Directory>();
        dir->path_ = joinPath(parent.path_, key.fName);
        dir->name_ = key.fName;
        dir->cycle_ = key.fCycle;
        dir->key_ = &key;
        if (depth > kMaxDirectoryDepth)
            fail(dir->path_, key.fSeekKey,
                 fmt::format("directories nested more than {} levels deep", kMaxDirectoryDepth));
        if (!visited_.insert(key.fSeekKey).second)
            fail(dir->path_, key.fSeekKey,
                 fmt::format("directory '{}' points at the record at byte {}, which was already "
                             "read as a directory (a loop in the directory structure)",
                             printableName(dir->path_), key.fSeekKey));
        const RootFile::Payload payload = file_.readPayload(key, dir->path_);
        ByteReader reader = payload.reader();
        dir->header_offset_ = key.fSeekKey + static_cast<std::uint64_t>(key.fKeylen);
        dir->header_ = readDirectoryHeader(reader);
        readKeys(*dir, depth);
        return dir;
    }

    [[noreturn]] void fail(std::string_view object, std::uint64_t offset,
                           std::string message) const {
        throwAt<FormatError>(std::move(message), file_.url(), printableName(object), offset);
    }

    const RootFile& file_;
    std::unordered_set<std::uint64_t> visited_;
};

std::unique_ptr<Directory> Directory::readAll(const RootFile& file,
                                              std::span<const std::byte> head) {
    DirectoryReader reader(file);
    return reader.readTop(head);
}

}  // namespace hepflow::root
