// open()+fstat() once, then pread() loops that retry on EINTR and continue after short reads.
#include "io/local_file_source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

namespace hepflow::io {

namespace {

// Linux transfers at most 0x7ffff000 bytes per read call; asking for less keeps the count
// within ssize_t everywhere and makes the short-read loop the normal path for huge ranges.
constexpr std::size_t kMaxPreadBytes = std::size_t{1} << 30;

// strerror() may share a static buffer between threads; the GNU strerror_r does not.
std::string systemError(int error_number) {
    char buffer[256];
    return ::strerror_r(error_number, buffer, sizeof buffer);
}

}  // namespace

LocalFileSource::LocalFileSource(std::string path, std::string url)
    : path_(std::move(path)), url_(url.empty() ? path_ : std::move(url)) {
    do {
        fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) {
        throwAt<IoError>(fmt::format("cannot open '{}': {}", path_, systemError(errno)), url_);
    }
    struct stat info {};
    if (::fstat(fd_, &info) != 0) {
        const int error_number = errno;
        ::close(fd_);
        throwAt<IoError>(fmt::format("cannot stat '{}': {}", path_, systemError(error_number)),
                         url_);
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd_);
        throwAt<IoError>(fmt::format("'{}' is not a regular file", path_), url_);
    }
    size_ = static_cast<std::uint64_t>(info.st_size);
}

LocalFileSource::~LocalFileSource() {
    ::close(fd_);
}

void LocalFileSource::readAt(ReadRange range, std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const std::size_t want = std::min(out.size() - done, kMaxPreadBytes);
        const auto position = static_cast<off_t>(range.offset + done);
        const ssize_t got = ::pread(fd_, out.data() + done, want, position);
        if (got < 0) {
            if (errno == EINTR) continue;
            throwAt<IoError>(fmt::format("cannot read '{}' (offset {}, length {}): {}", path_,
                                         range.offset, range.length, systemError(errno)),
                             url_, {}, range.offset + done);
        }
        if (got == 0) {
            throwAt<IoError>(
                fmt::format("unexpected end of file reading '{}' (offset {}, length {}): got {} "
                            "bytes; the file shrank after it was opened",
                            path_, range.offset, range.length, done),
                url_, {}, range.offset + done);
        }
        done += static_cast<std::size_t>(got);
    }
}

}  // namespace hepflow::io
