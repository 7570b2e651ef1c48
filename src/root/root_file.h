// An open ROOT file: its header, the directory tree with every key, and access to records
// (read in one request, checked against their key, decompressed) and to the StreamerInfo
// classes. The entry point of the ROOT layer; trees and histograms are read through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/byte_source.h"
#include "root/byte_reader.h"
#include "root/directory.h"
#include "root/file_header.h"
#include "root/key.h"
#include "root/streamer_info.h"

namespace hepflow::root {

class RootFile {
public:
    // Opens the URL with io::openSource and parses the header and every directory. Throws
    // IoError/UsageError/UnsupportedError from the source, FormatError for a corrupt file.
    static std::unique_ptr<RootFile> open(const std::string& url);
    // Parses the header and every directory of `source` (two requests for a flat file: the
    // head of the file and the keys list; two more per subdirectory).
    explicit RootFile(std::unique_ptr<io::ByteSource> source);

    const std::string& url() const { return url_; }
    io::ByteSource& source() const { return *source_; }
    const FileHeader& header() const { return header_; }
    const Directory& topDirectory() const { return *top_; }

    struct KeyEntry {
        std::string path;  // "one/two/tree"
        const Key* key;    // owned by the file's directories
    };
    // Every key of every directory, depth-first: each directory's keys in keys-list order, a
    // subdirectory's keys right after the subdirectory's own key. The StreamerInfo record is
    // not in any keys list and so not here (see streamerInfoKey()).
    std::vector<KeyEntry> allKeys() const;
    // "a/b/name" or "a/b/name;2" (no cycle: the highest). A leading '/' is ignored; a top-level
    // "StreamerInfo" that no key is named finds streamerInfoKey(), as in ROOT and JSROOT. Throws
    // UsageError naming the file and listing the names available where the lookup failed.
    const Key& findKey(std::string_view path) const;

    struct Payload {
        std::vector<std::byte> bytes;  // the uncompressed object (fObjlen bytes)
        ByteOrigin origin;
        // A reader over `bytes`; valid while this Payload lives.
        ByteReader reader() const { return ByteReader(bytes, origin); }
    };
    // Reads the record of `key` (one request), checks that its header agrees with the key
    // (fSeekKey, fNbytes, fKeylen, fObjlen), and decompresses it when it is compressed. The
    // origin names the file and `object_path`; references inside it count from the key start
    // (ref_origin = fKeylen). Thread-safe. Throws FormatError (record outside the file,
    // inconsistent header, corrupt compressed data) or IoError.
    Payload readPayload(const Key& key, std::string_view object_path) const;
    // The same for a record already in memory (`record` starts at the key header and holds at
    // least fNbytes bytes; it is consumed).
    Payload decodePayload(std::vector<std::byte> record, const Key& key,
                          std::string_view object_path) const;

    // The key of the StreamerInfo record (at fSeekInfo), or null when the file has none.
    // Read on first use; thread-safe. Throws FormatError when the record is corrupt.
    const Key* streamerInfoKey() const;
    // The classes described in the StreamerInfo record (empty when the file has none), parsed
    // on first use (thread-safe; a failed parse throws and is retried by the next call).
    const StreamerInfoSet& streamerInfos() const;

private:
    void loadStreamerRecord() const;

    std::unique_ptr<io::ByteSource> source_;
    std::string url_;
    FileHeader header_;
    std::unique_ptr<Directory> top_;

    mutable std::once_flag streamer_key_once_;
    mutable std::optional<Key> streamer_key_;
    mutable std::vector<std::byte> streamer_record_;
    mutable std::once_flag streamers_once_;
    mutable StreamerInfoSet streamers_;
};

}  // namespace hepflow::root
