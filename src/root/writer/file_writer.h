// Writes a ROOT file from scratch (ROOT-FORMAT.md sections 1-3 and 9.1): header, top and nested
// directories, object records with cycles, raw records for baskets, and at commit() the keys
// lists, StreamerInfo record and free segments. The file appears atomically: it is written under
// a temporary name in the same folder and renamed onto the target only when complete.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "root/compression/compression.h"
#include "root/key.h"
#include "root/streamer_info.h"
#include "root/writer/background_sync.h"
#include "root/writer/byte_writer.h"

namespace hepflow::root {

// kStartBigFile: past this many bytes (2e9 decimal, not 2 GiB) ROOT switches to 64-bit seeks.
inline constexpr std::uint64_t kStartBigFile = 2000000000;
// The ROOT release hepflow's files claim to come from (6.24/00, as uproot): the class versions
// and checksums of the streamer infos we write are those of ROOT 6.14-6.30 (ROOT-FORMAT.md 6.1).
inline constexpr std::int32_t kWriterRootVersion = 62400;

struct FileWriteOptions {
    // The file default (fCompress 505), used by writeObject when it is not given a setting.
    CompressionSetting compression{CompressionAlgorithm::Zstd, 5};
    // Title of the top directory (TFile title).
    std::string title;
    // Positions past this use 64-bit seeks (keys, directory headers, the file header). Tests
    // lower it to exercise the big layout without writing 2 GB.
    std::uint64_t big_file_threshold = kStartBigFile;
    // Fixed dates (1995-01-01 00:00:00) and UUIDs derived from the file and directory names
    // instead of the clock and random numbers, so that equal inputs give byte-identical files.
    bool reproducible = false;
};

class FileWriter {
public:
    // "" is the top directory; others come from directory().
    using DirectoryId = int;
    static constexpr DirectoryId kTopDirectory = 0;

    // Creates `path` atomically: writes "<path>.hepflow-tmp-<pid>-<n>" in the same folder,
    // renamed onto `path` by commit(). Throws IoError (naming the path and errno text) if the
    // temporary file cannot be created, UsageError for a threshold above kStartBigFile (the
    // 32-bit fields could not hold it) or a path with no file name.
    static std::unique_ptr<FileWriter> create(const std::string& path,
                                              FileWriteOptions options = {});
    // Without commit(): closes and removes the temporary file; an existing file at `path` is
    // untouched. Never throws.
    ~FileWriter();

    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;

    const std::string& path() const { return path_; }
    const std::string& temporaryPath() const { return temp_path_; }
    const FileWriteOptions& options() const { return options_; }

    // Directory handle: "" is the top directory; "a/b" creates a and a/b (TDirectoryFile
    // records, section 3.3) on first use and returns the same id afterwards. Throws UsageError
    // for empty path components ("a//b") or when a component names a non-directory object.
    DirectoryId directory(std::string_view path);

    // Writes one object record in `dir` with the next cycle for that name: key header (small, or
    // big past the threshold) + payload produced by `body` (called with a ByteWriter whose
    // ref_origin is the key's fKeylen), compressed with `compression` (nullopt = file default)
    // unless that does not shrink it. Returns the key as written (also listed in the
    // directory's keys list at commit). Throws IoError on write failure, UsageError after
    // commit().
    Key writeObject(DirectoryId dir, std::string_view class_name, std::string_view name,
                    std::string_view title, const std::function<void(ByteWriter&)>& body,
                    std::optional<CompressionSetting> compression = std::nullopt);

    // Low level, for baskets (whose key header the caller builds, big 64-bit fields included):
    // reserves `nbytes` at the current end and returns its offset; writeAt then fills it. Not
    // listed in any keys list. Not thread-safe (nothing in FileWriter is).
    std::uint64_t allocate(std::uint64_t nbytes);
    // Writes `bytes` at `offset`, which must lie inside space returned by allocate() (or a
    // record written before). Throws IoError on failure, UsageError outside the file.
    void writeAt(std::uint64_t offset, std::span<const std::byte> bytes);
    // The offset of directory `dir`'s record (the fSeekPdir its keys carry; 100 for the top).
    std::uint64_t directorySeek(DirectoryId dir) const;
    // Current end of the file (where the next record goes).
    std::uint64_t end() const { return end_; }
    // The TDatime stamped on every key and directory of this file (taken once, at create()).
    std::uint32_t datime() const { return datime_; }
    // Whether a record written at `offset` must use 64-bit seek fields.
    bool needsBigSeek(std::uint64_t offset) const { return offset > options_.big_file_threshold; }

    // Streamer infos to include in the StreamerInfo record at commit (deduplicated by class and
    // version, with the classes they depend on, from the known-streamer table). Throws
    // UnsupportedError for a class with no known streamer info.
    void requireStreamer(std::string_view class_name);
    // Adds an info built by the caller (e.g. vector<T> for the tree writer); its dependencies
    // are added from the table when known. An info with the same class and version replaces
    // nothing: the first one wins.
    void addStreamerInfo(std::shared_ptr<const StreamerInfo> info);

    // Finishes the file: keys lists of all directories, the StreamerInfo record (+ listOfRules
    // when a TTree streamer is included, as ROOT does), FreeSegments, directory headers and the
    // file header (big layout when fEND, fSeekFree or fSeekInfo pass the threshold), fsync,
    // rename onto path. Throws IoError on any write failure ("disk full" for ENOSPC/EFBIG);
    // afterwards the destructor removes the temporary file. Calling it twice is a UsageError.
    // The same as finish() then publish().
    void commit();
    // The first half of commit(): the file is complete and durable under its temporary name,
    // and closed; nothing more can be written. Lets several files be finished (in parallel)
    // before any is renamed (commitTogether). UsageError when called twice or after commit().
    void finish();
    // The second half: renames the finished file onto path (then syncs the folder). UsageError
    // before finish() or when called twice; IoError when the rename fails (the temporary file
    // is then removed by the destructor).
    void publish();

    // Every key written so far in `dir` (objects and subdirectories, in order; for tests and
    // `hepflow copy` reports). The reference is valid until the next write into `dir`.
    const std::vector<Key>& keys(DirectoryId dir) const;

private:
    struct DirectoryState;
    // Builds a record's payload once the key length (the payload's reference origin) is known.
    using PayloadBuilder = std::function<std::vector<std::byte>(std::int16_t keylen)>;

    FileWriter(std::string path, std::string temp_path, int fd, FileWriteOptions options);
    // The header area and the top directory record; create() calls it once the writer owns
    // the temporary file, so that a failure still removes it.
    void writeTopRecord();

    void writeBytesAt(std::uint64_t offset, std::span<const std::byte> bytes);
    // Flushes the appended bytes in the background every kWritebackBytes, so that the fsync
    // at finish() waits for the tail only.
    void startWriteback(std::uint64_t offset, std::uint64_t size);
    void ensureWritable(std::string_view what) const;
    DirectoryState& directoryState(DirectoryId dir, std::string_view what);
    DirectoryId createSubdirectory(DirectoryId parent, std::string_view name);
    // Appends one record (key header + payload, compressed when `compression` shrinks it) at
    // the end of the file.
    Key writeRecord(std::uint64_t seek_pdir, std::string_view class_name, std::string_view name,
                    std::string_view title, std::int16_t cycle, const PayloadBuilder& payload,
                    std::optional<CompressionSetting> compression);
    void writeKeysList(DirectoryState& dir);
    void writeStreamerInfoRecord();
    void writeFreeSegments();
    void writeDirectoryHeader(const DirectoryState& dir);
    void writeFileHeader();
    void finishOnDisk();

    std::string path_;
    std::string temp_path_;
    std::string file_name_;  // the top directory's name: the base name of path_
    int fd_ = -1;
    FileWriteOptions options_;
    std::uint64_t end_ = 0;
    // Background flushes (startWriteback): the end of the bytes appended in order so far, and
    // where those not yet covered by a flush start.
    static constexpr std::uint64_t kWritebackBytes = 8 << 20;
    std::uint64_t written_end_ = 0;
    std::uint64_t writeback_from_ = 0;
    BackgroundSync background_sync_;
    bool finished_ = false;   // complete and closed under temp_path_
    bool committed_ = false;  // renamed onto path_
    bool failed_ = false;
    std::uint32_t datime_ = 0;
    std::array<std::byte, 16> uuid_{};
    std::vector<std::unique_ptr<DirectoryState>> directories_;
    std::vector<std::shared_ptr<const StreamerInfo>> streamers_;
    // Filled at commit.
    std::uint64_t seek_info_ = 0;
    std::int32_t nbytes_info_ = 0;
    std::uint64_t seek_free_ = 0;
    std::int32_t nbytes_free_ = 0;
};

// Commits several files so that either all of them appear under their names or none does:
// finishes every one (in parallel, so their fsyncs overlap), then renames them in order. When
// a finish fails, nothing is renamed; when a rename fails, the files already renamed are
// removed again (an older file they replaced is not restored). Rethrows the first error; the
// writers' destructors remove the temporary files.
void commitTogether(std::span<FileWriter* const> files);

}  // namespace hepflow::root
