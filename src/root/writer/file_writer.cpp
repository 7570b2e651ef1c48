// FileWriter: the ROOT file skeleton (header, directories, keys lists, StreamerInfo record, free
// segments) around object records, written to a temporary file and renamed on commit.
#include "root/writer/file_writer.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <random>
#include <unordered_set>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include "common/error.h"
#include "root/directory.h"
#include "root/file_header.h"
#include "root/writer/streamer_registry.h"

namespace hepflow::root {

namespace {

// fBEGIN: the top directory record starts right after the 100-byte header area.
constexpr std::uint64_t kBegin = 100;
constexpr std::int16_t kKeyVersion = 4;
constexpr std::int16_t kDirectoryVersion = 5;
constexpr std::uint16_t kUUIDVersion = 1;
constexpr std::uint8_t kSmallUnits = 4;
constexpr std::uint8_t kBigUnits = 8;
// TFree: version 1 has 32-bit bounds, version 1001 64-bit ones.
constexpr std::int16_t kFreeVersion = 1;
constexpr std::int16_t kBigFreeVersion = 1001;
constexpr std::size_t kSmallFreeSize = 2 + 4 + 4;
constexpr std::size_t kBigFreeSize = 2 + 8 + 8;
// ROOT's TFile seeds its free list with [fBEGIN, kStartBigFile]; the open-ended last segment
// of a closed file keeps that upper bound (doubled while the file is larger, as uproot does).
constexpr std::uint64_t kFreeSegmentEnd = kStartBigFile;
// What ROOT's directory keys carry as class name (TKey writes "TDirectory" for TDirectoryFile so
// that old ROOT versions can read the file).
constexpr std::string_view kSubdirectoryClass = "TDirectory";
constexpr std::string_view kTopDirectoryClass = "TFile";
// The StreamerInfo record's key (ROOT-FORMAT.md 3.6).
constexpr std::string_view kStreamerInfoClass = "TList";
constexpr std::string_view kStreamerInfoName = "StreamerInfo";
constexpr std::string_view kStreamerInfoTitle = "Doubly linked list";
// ROOT compresses the StreamerInfo record even in uncompressed files (section 3.6).
constexpr CompressionSetting kStreamerInfoFallbackCompression{CompressionAlgorithm::Zlib, 1};
// TDatime of reproducible files: 1995-01-01 00:00:00 (the first date TDatime can hold).
constexpr std::uint32_t kReproducibleDatime = (1u << 22) | (1u << 17);

std::atomic<unsigned> temp_counter{0};

std::size_t keyLength(bool big, std::string_view class_name, std::string_view name,
                      std::string_view title) {
    return (big ? kBigKeyFixedSize : kSmallKeyFixedSize) + tstringSize(class_name.size()) +
           tstringSize(name.size()) + tstringSize(title.size());
}

void writeKeyHeader(ByteWriter& out, const Key& key) {
    out.write<std::int32_t>(key.fNbytes);
    out.write<std::int16_t>(key.fVersion);
    out.write<std::int32_t>(key.fObjlen);
    out.write<std::uint32_t>(key.fDatime);
    out.write<std::int16_t>(key.fKeylen);
    out.write<std::int16_t>(key.fCycle);
    if (key.isBig()) {
        out.write<std::int64_t>(static_cast<std::int64_t>(key.fSeekKey));
        out.write<std::int64_t>(static_cast<std::int64_t>(key.fSeekPdir));
    } else {
        out.write<std::int32_t>(static_cast<std::int32_t>(key.fSeekKey));
        out.write<std::int32_t>(static_cast<std::int32_t>(key.fSeekPdir));
    }
    out.writeTString(key.fClassName);
    out.writeTString(key.fName);
    out.writeTString(key.fTitle);
}

std::uint32_t currentDatime() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    const auto year = static_cast<std::uint32_t>(std::max(local.tm_year + 1900, 1995) - 1995);
    return (year << 26) | (static_cast<std::uint32_t>(local.tm_mon + 1) << 22) |
           (static_cast<std::uint32_t>(local.tm_mday) << 17) |
           (static_cast<std::uint32_t>(local.tm_hour) << 12) |
           (static_cast<std::uint32_t>(local.tm_min) << 6) |
           static_cast<std::uint32_t>(local.tm_sec);
}

// FNV-1a, for UUIDs of reproducible files.
std::uint64_t fnv1a(std::string_view text, std::uint64_t seed) {
    std::uint64_t hash = 0xcbf29ce484222325ull ^ seed;
    for (char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ull;
    }
    return hash;
}

std::array<std::byte, 16> makeUUID(bool reproducible, std::string_view seed_text) {
    std::array<std::byte, 16> uuid{};
    std::uint64_t halves[2];
    if (reproducible) {
        halves[0] = fnv1a(seed_text, 0);
        halves[1] = fnv1a(seed_text, halves[0]);
    } else {
        std::random_device device;
        halves[0] = (std::uint64_t{device()} << 32) | device();
        halves[1] = (std::uint64_t{device()} << 32) | device();
    }
    for (std::size_t i = 0; i < 16; ++i)
        uuid[i] = static_cast<std::byte>((halves[i / 8] >> (8 * (i % 8))) & 0xFF);
    return uuid;
}

std::string errnoText(int error) {
    switch (error) {
        case ENOSPC: return fmt::format("disk full ({})", std::strerror(error));
        case EDQUOT: return fmt::format("disk quota exceeded ({})", std::strerror(error));
        case EFBIG:
            return fmt::format("disk full: file size limit reached ({})", std::strerror(error));
        default: return std::strerror(error);
    }
}

std::string baseName(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string folderOf(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

struct FileWriter::DirectoryState {
    std::string path;   // "" for the top directory, "a/b" below
    std::string name;   // key name: the file's base name for the top directory
    std::string title;  // the file title for the top; the name for subdirectories (as ROOT)
    std::uint64_t seek_dir = 0;       // offset of its record (the fSeekPdir of its keys)
    std::uint64_t seek_parent = 0;    // 0 for the top, fBEGIN below (what ROOT writes)
    std::int32_t nbytes_name = 0;     // fNbytesName
    std::uint64_t header_offset = 0;  // where its 60-byte TDirectory header lies
    std::uint32_t datime_c = 0;
    std::array<std::byte, 16> uuid{};
    std::vector<Key> keys;  // objects and subdirectories, in writing order
    std::map<std::string, std::int16_t, std::less<>> last_cycle;
    std::map<std::string, DirectoryId, std::less<>> subdirectories;
    std::uint64_t seek_keys = 0;
    std::int32_t nbytes_keys = 0;
};

std::unique_ptr<FileWriter> FileWriter::create(const std::string& path, FileWriteOptions options) {
    if (options.big_file_threshold > kStartBigFile)
        throw UsageError(fmt::format("big_file_threshold {} is above {} (ROOT's 32-bit fields)",
                                     options.big_file_threshold, kStartBigFile))
            .at(path);
    if (path.empty() || path.back() == '/') throw UsageError("output path names no file").at(path);
    const std::string name = baseName(path);
    if (keyLength(false, kTopDirectoryClass, name, options.title) + tstringSize(name.size()) +
            tstringSize(options.title.size()) >
        static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max()))
        throw UsageError("file name and title too long for a ROOT key").at(path);
    const std::string temp_path =
        fmt::format("{}.hepflow-tmp-{}-{}", path, ::getpid(), temp_counter.fetch_add(1));
    const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        const int error = errno;
        throw IoError(fmt::format("cannot create {}: {}", temp_path, errnoText(error))).at(path);
    }
    // Once constructed, the writer owns the temporary file: its destructor removes it when
    // anything fails before commit().
    std::unique_ptr<FileWriter> writer;
    try {
        writer.reset(new FileWriter(path, temp_path, fd, std::move(options)));
    } catch (...) {
        ::close(fd);
        ::unlink(temp_path.c_str());
        throw;
    }
    writer->writeTopRecord();
    return writer;
}

FileWriter::FileWriter(std::string path, std::string temp_path, int fd, FileWriteOptions options)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      file_name_(baseName(path_)),
      fd_(fd),
      options_(std::move(options)),
      background_sync_(fd) {
    datime_ = options_.reproducible ? kReproducibleDatime : currentDatime();
    uuid_ = makeUUID(options_.reproducible, file_name_);
}

void FileWriter::writeTopRecord() {
    // Header area (rewritten at commit) and the top directory record at fBEGIN.
    auto top = std::make_unique<DirectoryState>();
    top->name = file_name_;
    top->title = options_.title;
    top->seek_dir = kBegin;
    top->datime_c = datime_;
    top->uuid = uuid_;
    const std::size_t keylen = keyLength(false, kTopDirectoryClass, top->name, top->title);
    top->nbytes_name = static_cast<std::int32_t>(keylen + tstringSize(top->name.size()) +
                                                 tstringSize(top->title.size()));
    top->header_offset = kBegin + static_cast<std::uint64_t>(top->nbytes_name);

    Key key;
    key.fObjlen = top->nbytes_name - static_cast<std::int32_t>(keylen) +
                  static_cast<std::int32_t>(kDirectoryHeaderSize);
    key.fNbytes = static_cast<std::int32_t>(keylen) + key.fObjlen;
    key.fVersion = kKeyVersion;
    key.fDatime = datime_;
    key.fKeylen = static_cast<std::int16_t>(keylen);
    key.fCycle = 1;
    key.fSeekKey = kBegin;
    key.fSeekPdir = 0;
    key.fClassName = kTopDirectoryClass;
    key.fName = top->name;
    key.fTitle = top->title;

    ByteWriter record;
    record.writeZeros(kBegin);
    writeKeyHeader(record, key);
    record.writeTString(top->name);
    record.writeTString(top->title);
    record.writeZeros(kDirectoryHeaderSize);  // written for real at commit
    directories_.push_back(std::move(top));
    end_ = record.position();
    writeBytesAt(0, record.bytes());
}

FileWriter::~FileWriter() {
    background_sync_.wait();  // a flush may still be using the descriptor
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_path_.c_str());
}

void FileWriter::ensureWritable(std::string_view what) const {
    if (finished_) throw UsageError(fmt::format("{} after commit()", what)).at(path_);
    if (failed_) throw IoError(fmt::format("{} after an earlier write failure", what)).at(path_);
}

void FileWriter::writeBytesAt(std::uint64_t offset, std::span<const std::byte> bytes) {
    const auto* data = reinterpret_cast<const char*>(bytes.data());
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n =
            ::pwrite(fd_, data + done, bytes.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : ENOSPC;
            failed_ = true;
            throw IoError(fmt::format("cannot write {} bytes at offset {} of {}: {}",
                                      bytes.size() - done, offset + done, temp_path_,
                                      errnoText(error)))
                .at(path_, {}, offset + done);
        }
        done += static_cast<std::size_t>(n);
    }
    startWriteback(offset, bytes.size());
}

void FileWriter::startWriteback(std::uint64_t offset, std::uint64_t size) {
    // Records are appended in order; a rewrite (header, directory) is left to the final fsync.
    if (offset != written_end_) return;
    written_end_ = offset + size;
    if (written_end_ - writeback_from_ < kWritebackBytes) return;
    // A flush still running covers less: the next append past the mark starts the next one.
    if (background_sync_.request()) writeback_from_ = written_end_;
}

FileWriter::DirectoryState& FileWriter::directoryState(DirectoryId dir, std::string_view what) {
    if (dir < 0 || static_cast<std::size_t>(dir) >= directories_.size())
        throw UsageError(fmt::format("{}: no directory with id {}", what, dir)).at(path_);
    return *directories_[static_cast<std::size_t>(dir)];
}

std::uint64_t FileWriter::directorySeek(DirectoryId dir) const {
    if (dir < 0 || static_cast<std::size_t>(dir) >= directories_.size())
        throw UsageError(fmt::format("no directory with id {}", dir)).at(path_);
    return directories_[static_cast<std::size_t>(dir)]->seek_dir;
}

const std::vector<Key>& FileWriter::keys(DirectoryId dir) const {
    if (dir < 0 || static_cast<std::size_t>(dir) >= directories_.size())
        throw UsageError(fmt::format("no directory with id {}", dir)).at(path_);
    return directories_[static_cast<std::size_t>(dir)]->keys;
}

FileWriter::DirectoryId FileWriter::directory(std::string_view path) {
    ensureWritable("directory()");
    while (path.starts_with('/')) path.remove_prefix(1);
    while (path.ends_with('/')) path.remove_suffix(1);
    DirectoryId current = kTopDirectory;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const std::string_view name = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (name.empty()) throw UsageError("directory path has an empty component").at(path_, name);
        DirectoryState& parent = directoryState(current, "directory()");
        const auto it = parent.subdirectories.find(name);
        if (it != parent.subdirectories.end()) {
            current = it->second;
            continue;
        }
        if (parent.last_cycle.contains(name))
            throw UsageError(fmt::format("cannot create directory '{}': an object of that name "
                                         "exists in '{}'",
                                         name, parent.path))
                .at(path_, name);
        current = createSubdirectory(current, name);
    }
    return current;
}

FileWriter::DirectoryId FileWriter::createSubdirectory(DirectoryId parent_id,
                                                       std::string_view name) {
    DirectoryState& parent = *directories_[static_cast<std::size_t>(parent_id)];
    auto dir = std::make_unique<DirectoryState>();
    dir->path = parent.path.empty() ? std::string(name) : parent.path + "/" + std::string(name);
    dir->name = name;
    dir->title = name;
    dir->seek_parent = kBegin;
    dir->datime_c = datime_;
    dir->uuid = makeUUID(options_.reproducible, file_name_ + "/" + dir->path);

    const std::uint64_t offset = end_;
    const bool big = needsBigSeek(offset) || needsBigSeek(parent.seek_dir);
    const std::size_t keylen = keyLength(big, kSubdirectoryClass, dir->name, dir->title);
    if (keylen > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max()))
        throw UsageError("directory name too long for a ROOT key").at(path_, dir->path);
    Key key;
    key.fObjlen = static_cast<std::int32_t>(kDirectoryHeaderSize);
    key.fNbytes = static_cast<std::int32_t>(keylen) + key.fObjlen;
    key.fVersion = static_cast<std::int16_t>(kKeyVersion + (big ? kBigKeyVersionOffset : 0));
    key.fDatime = datime_;
    key.fKeylen = static_cast<std::int16_t>(keylen);
    key.fCycle = 1;
    key.fSeekKey = offset;
    key.fSeekPdir = parent.seek_dir;
    key.fClassName = kSubdirectoryClass;
    key.fName = dir->name;
    key.fTitle = dir->title;
    dir->seek_dir = offset;
    dir->nbytes_name = static_cast<std::int32_t>(keylen);
    dir->header_offset = offset + keylen;

    ByteWriter record;
    writeKeyHeader(record, key);
    record.writeZeros(kDirectoryHeaderSize);  // written for real at commit
    writeBytesAt(offset, record.bytes());
    end_ = offset + record.position();

    const auto id = static_cast<DirectoryId>(directories_.size());
    parent.last_cycle.emplace(dir->name, std::int16_t{1});
    parent.subdirectories.emplace(dir->name, id);
    parent.keys.push_back(std::move(key));
    directories_.push_back(std::move(dir));
    return id;
}

Key FileWriter::writeRecord(std::uint64_t seek_pdir, std::string_view class_name,
                            std::string_view name, std::string_view title, std::int16_t cycle,
                            const PayloadBuilder& payload,
                            std::optional<CompressionSetting> compression) {
    const std::uint64_t offset = end_;
    const bool big = needsBigSeek(offset) || needsBigSeek(seek_pdir);
    const std::size_t keylen = keyLength(big, class_name, name, title);
    if (keylen > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max()))
        throw UsageError(fmt::format("class, name and title of '{}' too long for a ROOT key",
                                     printableName(name)))
            .at(path_, name);
    const std::vector<std::byte> raw = payload(static_cast<std::int16_t>(keylen));
    constexpr auto kMaxRecord = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
    if (raw.size() > kMaxRecord - keylen)
        throw UnsupportedError(fmt::format("object '{}' of {} bytes: ROOT keys hold at most 2 GiB",
                                           printableName(name), raw.size()))
            .at(path_, name);

    std::vector<std::byte> compressed;
    std::span<const std::byte> stored = raw;
    if (compression && compression->algorithm != CompressionAlgorithm::None &&
        compression->level > 0) {
        compressed = compressPayload(raw, *compression);
        // compressPayload returns the input unchanged when compressing does not shrink it.
        if (compressed.size() < raw.size()) stored = compressed;
    }

    Key key;
    key.fNbytes = static_cast<std::int32_t>(keylen + stored.size());
    key.fVersion = static_cast<std::int16_t>(kKeyVersion + (big ? kBigKeyVersionOffset : 0));
    key.fObjlen = static_cast<std::int32_t>(raw.size());
    key.fDatime = datime_;
    key.fKeylen = static_cast<std::int16_t>(keylen);
    key.fCycle = cycle;
    key.fSeekKey = offset;
    key.fSeekPdir = seek_pdir;
    key.fClassName = class_name;
    key.fName = name;
    key.fTitle = title;

    ByteWriter header;
    writeKeyHeader(header, key);
    HEPFLOW_ASSERT(header.position() == keylen, "key header length differs from fKeylen");
    writeBytesAt(offset, header.bytes());
    writeBytesAt(offset + keylen, stored);
    end_ = offset + keylen + stored.size();
    return key;
}

Key FileWriter::writeObject(DirectoryId dir_id, std::string_view class_name, std::string_view name,
                            std::string_view title, const std::function<void(ByteWriter&)>& body,
                            std::optional<CompressionSetting> compression) {
    ensureWritable("writeObject()");
    DirectoryState& dir = directoryState(dir_id, "writeObject()");
    if (name.empty()) throw UsageError("object name is empty").at(path_, dir.path);
    if (class_name.empty())
        throw UsageError(fmt::format("object '{}' has no class name", printableName(name)))
            .at(path_, name);
    const auto last = dir.last_cycle.find(name);
    const std::int16_t previous = last == dir.last_cycle.end() ? 0 : last->second;
    if (previous == std::numeric_limits<std::int16_t>::max())
        throw UsageError(
            fmt::format("object '{}' has reached ROOT's last cycle number", printableName(name)))
            .at(path_, name);
    const auto cycle = static_cast<std::int16_t>(previous + 1);
    Key key = writeRecord(
        dir.seek_dir, class_name, name, title, cycle,
        [&body](std::int16_t keylen) {
            ByteWriter out(keylen);
            body(out);
            return out.release();
        },
        compression ? compression : options_.compression);
    dir.last_cycle.insert_or_assign(std::string(name), cycle);
    dir.keys.push_back(key);
    return key;
}

std::uint64_t FileWriter::allocate(std::uint64_t nbytes) {
    ensureWritable("allocate()");
    const std::uint64_t offset = end_;
    end_ += nbytes;
    return offset;
}

void FileWriter::writeAt(std::uint64_t offset, std::span<const std::byte> bytes) {
    ensureWritable("writeAt()");
    const DirectoryState& top = *directories_.front();
    const std::uint64_t first_free = top.header_offset + kDirectoryHeaderSize;
    if (offset < first_free || offset > end_ || bytes.size() > end_ - offset)
        throw UsageError(fmt::format("writeAt({}, {} bytes) outside the allocated range [{}, {})",
                                     offset, bytes.size(), first_free, end_))
            .at(path_);
    writeBytesAt(offset, bytes);
}

void FileWriter::requireStreamer(std::string_view class_name) {
    ensureWritable("requireStreamer()");
    auto info = knownStreamerInfo(class_name);
    if (!info)
        throw UnsupportedError(fmt::format("no streamer info known for class '{}'", class_name))
            .at(path_);
    addStreamerInfo(std::move(info));
}

void FileWriter::addStreamerInfo(std::shared_ptr<const StreamerInfo> info) {
    ensureWritable("addStreamerInfo()");
    HEPFLOW_ASSERT(info != nullptr, "addStreamerInfo needs an info");
    for (auto& needed : withDependencies(std::move(info))) {
        const bool present = std::any_of(streamers_.begin(), streamers_.end(), [&](const auto& s) {
            return s->name == needed->name && s->class_version == needed->class_version;
        });
        if (!present) streamers_.push_back(std::move(needed));
    }
}

void FileWriter::writeKeysList(DirectoryState& dir) {
    const bool top = dir.path.empty();
    const Key key = writeRecord(
        dir.seek_dir, top ? kTopDirectoryClass : kSubdirectoryClass, dir.name, dir.title, 1,
        [&dir](std::int16_t keylen) {
            ByteWriter out(keylen);
            out.write<std::int32_t>(static_cast<std::int32_t>(dir.keys.size()));
            for (const Key& listed : dir.keys) writeKeyHeader(out, listed);
            return out.release();
        },
        std::nullopt);
    dir.seek_keys = key.fSeekKey;
    dir.nbytes_keys = key.fNbytes;
}

void FileWriter::writeStreamerInfoRecord() {
    const bool has_tree = std::any_of(streamers_.begin(), streamers_.end(),
                                      [](const auto& info) { return info->name == "TTree"; });
    const std::span<const std::string> rules =
        has_tree ? std::span<const std::string>(treeReadRules()) : std::span<const std::string>();
    const CompressionSetting compression =
        options_.compression.level > 0 &&
                options_.compression.algorithm != CompressionAlgorithm::None
            ? options_.compression
            : kStreamerInfoFallbackCompression;
    const Key key = writeRecord(
        kBegin, kStreamerInfoClass, kStreamerInfoName, kStreamerInfoTitle, 1,
        [&](std::int16_t keylen) { return serializeStreamerInfoList(streamers_, rules, keylen); },
        compression);
    seek_info_ = key.fSeekKey;
    nbytes_info_ = key.fNbytes;
}

void FileWriter::writeFreeSegments() {
    const std::uint64_t offset = end_;
    const DirectoryState& top = *directories_.front();
    const bool big_key = needsBigSeek(offset);
    const std::size_t keylen = keyLength(big_key, kTopDirectoryClass, top.name, top.title);
    // The segment starts at fEND, the end of this very record, whose size depends on whether
    // its bounds need 64 bits; the larger size can only push fEND further, so decide on the
    // small one.
    std::uint64_t file_end = offset + keylen + kSmallFreeSize;
    std::uint64_t last = kFreeSegmentEnd;
    bool big_free = needsBigSeek(file_end) || needsBigSeek(last);
    if (big_free) file_end = offset + keylen + kBigFreeSize;
    while (last <= file_end) last *= 2;
    big_free = big_free || needsBigSeek(last);
    const Key key = writeRecord(
        kBegin, kTopDirectoryClass, top.name, top.title, 1,
        [&](std::int16_t ref_origin) {
            ByteWriter out(ref_origin);
            if (big_free) {
                out.write<std::int16_t>(kBigFreeVersion);
                out.write<std::int64_t>(static_cast<std::int64_t>(file_end));
                out.write<std::int64_t>(static_cast<std::int64_t>(last));
            } else {
                out.write<std::int16_t>(kFreeVersion);
                out.write<std::int32_t>(static_cast<std::int32_t>(file_end));
                out.write<std::int32_t>(static_cast<std::int32_t>(last));
            }
            return out.release();
        },
        std::nullopt);
    HEPFLOW_ASSERT(end_ == file_end, "free segment does not start at the end of the file");
    seek_free_ = key.fSeekKey;
    nbytes_free_ = key.fNbytes;
}

void FileWriter::writeDirectoryHeader(const DirectoryState& dir) {
    const bool big =
        needsBigSeek(dir.seek_dir) || needsBigSeek(dir.seek_parent) || needsBigSeek(dir.seek_keys);
    ByteWriter out;
    out.write<std::int16_t>(
        static_cast<std::int16_t>(kDirectoryVersion + (big ? kBigDirectoryVersionOffset : 0)));
    out.write<std::uint32_t>(dir.datime_c);
    out.write<std::uint32_t>(datime_);  // fDatimeM
    out.write<std::int32_t>(dir.nbytes_keys);
    out.write<std::int32_t>(dir.nbytes_name);
    if (big) {
        out.write<std::int64_t>(static_cast<std::int64_t>(dir.seek_dir));
        out.write<std::int64_t>(static_cast<std::int64_t>(dir.seek_parent));
        out.write<std::int64_t>(static_cast<std::int64_t>(dir.seek_keys));
    } else {
        out.write<std::int32_t>(static_cast<std::int32_t>(dir.seek_dir));
        out.write<std::int32_t>(static_cast<std::int32_t>(dir.seek_parent));
        out.write<std::int32_t>(static_cast<std::int32_t>(dir.seek_keys));
    }
    out.write<std::uint16_t>(kUUIDVersion);
    out.writeBytes(dir.uuid);
    out.writeZeros(kDirectoryHeaderSize - out.position());  // room to grow to the big layout
    writeBytesAt(dir.header_offset, out.bytes());
}

void FileWriter::writeFileHeader() {
    const bool big = needsBigSeek(end_) || needsBigSeek(seek_free_) || needsBigSeek(seek_info_);
    ByteWriter out;
    out.writeBytes(std::as_bytes(std::span("root", 4)));
    out.write<std::int32_t>(kWriterRootVersion + (big ? kBigFileVersionOffset : 0));
    out.write<std::int32_t>(static_cast<std::int32_t>(kBegin));
    if (big) {
        out.write<std::int64_t>(static_cast<std::int64_t>(end_));
        out.write<std::int64_t>(static_cast<std::int64_t>(seek_free_));
    } else {
        out.write<std::int32_t>(static_cast<std::int32_t>(end_));
        out.write<std::int32_t>(static_cast<std::int32_t>(seek_free_));
    }
    out.write<std::int32_t>(nbytes_free_);
    out.write<std::int32_t>(1);  // nfree: the open-ended segment after fEND
    out.write<std::int32_t>(directories_.front()->nbytes_name);
    out.write<std::uint8_t>(big ? kBigUnits : kSmallUnits);
    out.write<std::int32_t>(options_.compression.toRoot());
    if (big)
        out.write<std::int64_t>(static_cast<std::int64_t>(seek_info_));
    else
        out.write<std::int32_t>(static_cast<std::int32_t>(seek_info_));
    out.write<std::int32_t>(nbytes_info_);
    out.write<std::uint16_t>(kUUIDVersion);
    out.writeBytes(uuid_);
    HEPFLOW_ASSERT(out.position() == (big ? kBigFileHeaderSize : kSmallFileHeaderSize),
                   "file header size");
    out.writeZeros(kBegin - out.position());
    writeBytesAt(0, out.bytes());
}

void FileWriter::finishOnDisk() {
    const int background_error = background_sync_.wait();
    if (background_error != 0 || ::fsync(fd_) != 0) {
        const int error = background_error != 0 ? background_error : errno;
        failed_ = true;
        throw IoError(fmt::format("cannot sync {}: {}", temp_path_, errnoText(error))).at(path_);
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        const int error = errno;
        failed_ = true;
        throw IoError(fmt::format("cannot close {}: {}", temp_path_, errnoText(error))).at(path_);
    }
    finished_ = true;
}

void FileWriter::commit() {
    finish();
    publish();
}

void FileWriter::finish() {
    ensureWritable("commit()");
    try {
        for (auto& dir : directories_) writeKeysList(*dir);
        writeStreamerInfoRecord();
        writeFreeSegments();
        for (const auto& dir : directories_) writeDirectoryHeader(*dir);
        writeFileHeader();
        finishOnDisk();
    } catch (...) {
        // A half-finished file cannot be finished again; the destructor removes it.
        failed_ = true;
        throw;
    }
}

void FileWriter::publish() {
    if (!finished_ || committed_)
        throw UsageError(committed_ ? "publish() after commit()" : "publish() before finish()")
            .at(path_);
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        const int error = errno;
        failed_ = true;
        throw IoError(
            fmt::format("cannot rename {} to {}: {}", temp_path_, path_, errnoText(error)))
            .at(path_);
    }
    committed_ = true;
    // Make the rename itself durable; the file is complete either way, so failures are ignored.
    const int folder = ::open(folderOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder >= 0) {
        ::fsync(folder);
        ::close(folder);
    }
}

void commitTogether(std::span<FileWriter* const> files) {
    tbb::parallel_for(std::size_t{0}, files.size(), [&](std::size_t i) { files[i]->finish(); });
    std::size_t published = 0;
    try {
        for (; published < files.size(); ++published) files[published]->publish();
    } catch (...) {
        for (std::size_t i = 0; i < published; ++i) ::unlink(files[i]->path().c_str());
        throw;
    }
}

}  // namespace hepflow::root
