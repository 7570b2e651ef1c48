// A ROOT directory as a file stores it (ROOT-FORMAT.md section 3): the TDirectory header, the
// keys list (every object's key, old cycles included) and the subdirectories, read recursively
// when the file is opened. Immutable afterwards, so any number of threads may look keys up.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "root/byte_reader.h"
#include "root/key.h"

namespace hepflow::root {

class RootFile;

// Bytes ROOT reserves for a TDirectory header in both layouts (small + padding, or big).
inline constexpr std::size_t kDirectoryHeaderSize = 60;
// A TDirectory version above this has 64-bit fSeekDir/fSeekParent/fSeekKeys (written as 1005).
inline constexpr std::int16_t kBigDirectoryVersionOffset = 1000;

struct DirectoryHeader {
    std::int16_t fVersion = 0;
    std::uint32_t fDatimeC = 0;
    std::uint32_t fDatimeM = 0;
    std::int32_t fNbytesKeys = 0;
    std::int32_t fNbytesName = 0;
    std::uint64_t fSeekDir = 0;
    std::uint64_t fSeekParent = 0;  // ROOT writes 100 (the top directory) at every depth
    std::uint64_t fSeekKeys = 0;    // 0 = no keys list
    std::uint16_t fUUIDVersion = 0;
    std::array<std::byte, 16> fUUID{};

    bool isBig() const { return fVersion > kBigDirectoryVersionOffset; }
};

// Parses a TDirectory header at the reader's position (section 3.2). Throws FormatError on
// negative sizes or seeks, or when the bytes end early.
DirectoryHeader readDirectoryHeader(ByteReader& reader);

class Directory {
public:
    // "" for the top directory, "one/two" for nested ones.
    const std::string& path() const { return path_; }
    // The directory's own name ("" for the top directory) and its key's cycle (0 for the top).
    const std::string& name() const { return name_; }
    int cycle() const { return cycle_; }
    const DirectoryHeader& header() const { return header_; }
    // The key in the parent's keys list (null for the top directory).
    const Key* key() const { return key_; }

    // In keys-list order, every cycle; subdirectories have class "TDirectoryFile".
    const std::vector<Key>& keys() const { return keys_; }
    // One per directory key (every cycle), in keys-list order.
    const std::vector<std::unique_ptr<Directory>>& subdirectories() const { return subdirs_; }
    // The subdirectory of that name with the highest cycle, or null.
    const Directory* subdirectory(std::string_view name) const;
    // The subdirectory read for keys()[index], or null if that key is not a directory.
    const Directory* subdirectoryForKey(std::size_t index) const;
    // The key of that name and cycle; cycle -1 picks the highest cycle. Null when missing.
    const Key* find(std::string_view name, int cycle = -1) const;

    // Reads the top directory of `file` and, recursively, every subdirectory. `head` holds
    // the first bytes of the file (from offset 0), read when the header was parsed; the top
    // directory record is taken from it when it is long enough. Throws FormatError for
    // inconsistent records, keys lists past the end of the file, impossible key counts and
    // loops in the directory structure.
    static std::unique_ptr<Directory> readAll(const RootFile& file,
                                              std::span<const std::byte> head);

private:
    friend class DirectoryReader;

    std::string path_;
    std::string name_;
    int cycle_ = 0;
    DirectoryHeader header_;
    std::uint64_t header_offset_ = 0;  // file offset of the TDirectory header, for errors
    const Key* key_ = nullptr;
    std::vector<Key> keys_;
    std::vector<std::unique_ptr<Directory>> subdirs_;
    std::vector<const Directory*> subdir_of_key_;  // per keys_ entry; null if not a directory
};

}  // namespace hepflow::root
