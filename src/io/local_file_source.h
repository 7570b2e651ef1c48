// A ByteSource over a local file, read with pread(): no shared file position, so any number
// of threads read through one descriptor without locking. The size is fixed when the file is
// opened; a file that shrinks later shows up as an IoError on the read.
#pragma once

#include <cstdint>
#include <string>

#include "io/byte_source.h"

namespace hepflow::io {

class LocalFileSource final : public ByteSource {
public:
    // Opens `path` read-only. `url` is what the user typed (a file:// URL) and names the source
    // in errors; empty means the path itself. Throws IoError (with the system's reason) if the
    // file cannot be opened or is not a regular file.
    explicit LocalFileSource(std::string path, std::string url = {});
    ~LocalFileSource() override;

    const std::string& url() const override { return url_; }
    std::uint64_t size() const override { return size_; }
    const std::string& path() const { return path_; }

protected:
    void readAt(ReadRange range, std::span<std::byte> out) override;

private:
    std::string path_;
    std::string url_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace hepflow::io
