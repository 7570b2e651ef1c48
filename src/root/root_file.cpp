// Opening a ROOT file, key lookup by path, record reading and the lazily parsed StreamerInfo.
#include "root/root_file.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "root/compression/compression.h"

namespace hepflow::root {

namespace {

// The first request of an open: the header and, in every file seen, the top directory record
// (ROOT itself reads ~300 bytes; a few KiB cost a remote source no extra round trip).
constexpr std::uint64_t kInitialReadSize = 4096;
constexpr std::string_view kStreamerInfoObject = "StreamerInfo";

// Splits "a/b/name;2" into directory components, name and cycle (-1 when absent).
struct ParsedPath {
    std::vector<std::string_view> directories;
    std::string_view name;
    int cycle = -1;
};

ParsedPath parsePath(std::string_view path) {
    ParsedPath parsed;
    while (path.starts_with('/')) path.remove_prefix(1);
    const auto semicolon = path.rfind(';');
    if (semicolon != std::string_view::npos) {
        const std::string_view digits = path.substr(semicolon + 1);
        int cycle = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cycle);
        if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
            cycle >= 0) {
            parsed.cycle = cycle;
            path = path.substr(0, semicolon);
        }
    }
    std::size_t start = 0;
    while (true) {
        const auto slash = path.find('/', start);
        if (slash == std::string_view::npos) break;
        if (slash > start) parsed.directories.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    parsed.name = path.substr(start);
    return parsed;
}

std::string listNames(const Directory& dir) {
    std::string names;
    for (const Key& key : dir.keys()) {
        if (!names.empty()) names += ", ";
        names += fmt::format("{};{}", printableName(key.fName), key.fCycle);
    }
    return names.empty() ? std::string("none") : names;
}

void appendKeys(const Directory& dir, std::vector<RootFile::KeyEntry>& out) {
    for (std::size_t i = 0; i < dir.keys().size(); ++i) {
        const Key& key = dir.keys()[i];
        out.push_back(
            {dir.path().empty() ? key.fName : fmt::format("{}/{}", dir.path(), key.fName), &key});
        if (const Directory* sub = dir.subdirectoryForKey(i)) appendKeys(*sub, out);
    }
}

}  // namespace

std::unique_ptr<RootFile> RootFile::open(const std::string& url) {
    return std::make_unique<RootFile>(io::openSource(url));
}

RootFile::RootFile(std::unique_ptr<io::ByteSource> source)
    : source_(std::move(source)), url_(source_ ? source_->url() : std::string()) {
    HEPFLOW_ASSERT(source_ != nullptr, "RootFile needs a byte source");
    try {
        const std::uint64_t size = source_->size();
        const std::vector<std::byte> head = source_->read(0, std::min(size, kInitialReadSize));
        ByteReader reader(head, ByteOrigin{url_, "file header", 0});
        header_ = readFileHeader(reader, size);
        top_ = Directory::readAll(*this, head);
    } catch (Error& error) {
        error.at(url_);
        throw;
    }
}

std::vector<RootFile::KeyEntry> RootFile::allKeys() const {
    std::vector<KeyEntry> out;
    appendKeys(*top_, out);
    return out;
}

const Key& RootFile::findKey(std::string_view path) const {
    const ParsedPath parsed = parsePath(path);
    const Directory* dir = top_.get();
    for (const std::string_view component : parsed.directories) {
        const Directory* sub = dir->subdirectory(component);
        if (sub == nullptr)
            throwAt<UsageError>(
                fmt::format("no directory '{}' in '{}' (looking up '{}'; available: {})",
                            printableName(component), printableName(dir->path(), "/"),
                            printableName(path), listNames(*dir)),
                url_);
        dir = sub;
    }
    const Key* key = dir->find(parsed.name, parsed.cycle);
    // The StreamerInfo record is in no keys list, but ROOT and JSROOT let users name it.
    if (key == nullptr && dir == top_.get() && parsed.name == kStreamerInfoObject) {
        const Key* streamer_key = streamerInfoKey();
        if (streamer_key != nullptr && (parsed.cycle < 0 || parsed.cycle == streamer_key->fCycle))
            return *streamer_key;
    }
    if (key == nullptr) {
        const std::string what = parsed.cycle >= 0 ? fmt::format("{};{}", parsed.name, parsed.cycle)
                                                   : std::string(parsed.name);
        throwAt<UsageError>(fmt::format("no key '{}' in '{}' (available: {})", printableName(what),
                                        printableName(dir->path(), "/"), listNames(*dir)),
                            url_);
    }
    return *key;
}

RootFile::Payload RootFile::readPayload(const Key& key, std::string_view object_path) const {
    const auto nbytes = static_cast<std::uint64_t>(key.fNbytes);
    if (key.fSeekKey < static_cast<std::uint64_t>(header_.fBEGIN) || key.fSeekKey > header_.fEND ||
        nbytes > header_.fEND - key.fSeekKey)
        throwAt<FormatError>(
            fmt::format("the record of '{}' (byte {}, {} bytes: fSeekKey, fNbytes) lies outside "
                        "the file's {} bytes (fEND)",
                        printableName(object_path), key.fSeekKey, nbytes, header_.fEND),
            url_, printableName(object_path), key.fSeekKey);
    try {
        return decodePayload(source_->read(key.fSeekKey, nbytes), key, object_path);
    } catch (Error& error) {
        error.at(url_, printableName(object_path), key.fSeekKey);
        throw;
    }
}

RootFile::Payload RootFile::decodePayload(std::vector<std::byte> record, const Key& key,
                                          std::string_view object_path) const {
    const std::string object = printableName(object_path);
    {
        ByteReader reader(record, ByteOrigin{url_, object, key.fSeekKey});
        const Key stored = readKeyHeader(reader);
        if (stored.fSeekKey != key.fSeekKey)
            reader.failAt(0, fmt::format("the record says it is at byte {} (fSeekKey), but its "
                                         "key puts it at byte {}",
                                         stored.fSeekKey, key.fSeekKey));
        if (stored.fNbytes != key.fNbytes || stored.fKeylen != key.fKeylen ||
            stored.fObjlen != key.fObjlen)
            reader.failAt(0, fmt::format("the record header (fNbytes {}, fKeylen {}, fObjlen {}) "
                                         "disagrees with its key ({}, {}, {})",
                                         stored.fNbytes, stored.fKeylen, stored.fObjlen,
                                         key.fNbytes, key.fKeylen, key.fObjlen));
        if (record.size() < static_cast<std::size_t>(key.fNbytes))
            reader.failAt(record.size(), fmt::format("record of {} bytes ends before its "
                                                     "fNbytes = {}",
                                                     record.size(), key.fNbytes));
    }
    const auto keylen = static_cast<std::size_t>(key.fKeylen);
    const auto stored_bytes = std::span<const std::byte>(record).subspan(
        keylen, static_cast<std::size_t>(key.fNbytes) - keylen);

    Payload payload;
    payload.origin = ByteOrigin{url_, object, key.fSeekKey + keylen, false, key.fKeylen};
    if (!key.isCompressed()) {
        record.resize(static_cast<std::size_t>(key.fNbytes));
        record.erase(record.begin(), record.begin() + static_cast<std::ptrdiff_t>(keylen));
        payload.bytes = std::move(record);
        return payload;
    }
    const auto objlen = static_cast<std::uint64_t>(key.fObjlen);
    try {
        const std::uint64_t claimed =
            declaredUncompressedSize(stored_bytes, objlen, key.fSeekKey + keylen);
        if (claimed < objlen)
            throwAt<FormatError>(fmt::format("compressed blocks inflate to at most {} bytes, "
                                             "but the key says {} (fObjlen)",
                                             claimed, objlen),
                                 url_, object, key.fSeekKey + keylen);
        payload.bytes.resize(static_cast<std::size_t>(objlen));
        decompressPayload(stored_bytes, payload.bytes, key.fSeekKey + keylen);
    } catch (Error& error) {
        error.at(url_, object);
        throw;
    }
    payload.origin.file_offset = key.fSeekKey;
    payload.origin.decompressed = true;
    return payload;
}

void RootFile::loadStreamerRecord() const {
    if (header_.fSeekInfo == 0 && header_.fNbytesInfo == 0) return;
    const auto nbytes = static_cast<std::uint64_t>(header_.fNbytesInfo);
    if (header_.fSeekInfo < static_cast<std::uint64_t>(header_.fBEGIN) ||
        header_.fSeekInfo > header_.fEND || nbytes > header_.fEND - header_.fSeekInfo ||
        nbytes == 0)
        throwAt<FormatError>(
            fmt::format("the StreamerInfo record (byte {}, {} bytes: fSeekInfo, fNbytesInfo) lies "
                        "outside the file's {} bytes (fEND)",
                        header_.fSeekInfo, nbytes, header_.fEND),
            url_, kStreamerInfoObject, header_.fSeekInfo);
    std::vector<std::byte> record = source_->read(header_.fSeekInfo, nbytes);
    ByteReader reader(record,
                      ByteOrigin{url_, std::string(kStreamerInfoObject), header_.fSeekInfo});
    streamer_key_ =
        readPointedKey(reader, RecordPointer{header_.fSeekInfo, nbytes, "StreamerInfo",
                                             "the file header", "fSeekInfo", "fNbytesInfo"});
    streamer_record_ = std::move(record);
}

const Key* RootFile::streamerInfoKey() const {
    std::call_once(streamer_key_once_, [this] { loadStreamerRecord(); });
    return streamer_key_ ? &*streamer_key_ : nullptr;
}

const StreamerInfoSet& RootFile::streamerInfos() const {
    std::call_once(streamers_once_, [this] {
        const Key* key = streamerInfoKey();
        if (key == nullptr) return;
        // Copy: a failed parse must leave the record for the retry.
        const Payload payload = decodePayload(streamer_record_, *key, kStreamerInfoObject);
        ByteReader reader = payload.reader();
        try {
            streamers_ = readStreamerInfoList(reader);
        } catch (Error& error) {
            error.at(url_, kStreamerInfoObject);
            throw;
        }
    });
    return streamers_;
}

}  // namespace hepflow::root
