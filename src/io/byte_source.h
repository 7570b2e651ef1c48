// The interface every byte source (local file, XRootD, S3/HTTP) implements: random reads
// and vectored reads of (offset, length) ranges, thread-safe, with per-request accounting
// (count, bytes, latency histogram) so that hepflow can say where I/O time went.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/read_range.h"
#include "io/request_stats.h"

namespace hepflow::io {

class ByteSource {
public:
    ByteSource() = default;
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;
    virtual ~ByteSource() = default;

    // The URL or path, as given by the user; used in every error message.
    virtual const std::string& url() const = 0;
    // Total size in bytes. Does not issue a request after the source was opened.
    virtual std::uint64_t size() const = 0;

    // Reads exactly range.length bytes at range.offset into `out` as one request (timed and
    // counted in stats()). Thread-safe. Throws IoError naming url and range when the range
    // does not lie within [0, size()) ("read past end of file") or the read fails;
    // InternalError if out.size() != range.length.
    void readInto(ReadRange range, std::span<std::byte> out);

    // Convenience: returns a new buffer holding the bytes of the range. The range is checked
    // against size() before anything is allocated, so a corrupt length cannot exhaust memory.
    std::vector<std::byte> read(std::uint64_t offset, std::uint64_t length);

    // Vectored read: fills one buffer per requested range (same order), merging nearby
    // ranges into fewer requests according to coalesceLimits(). Thread-safe. All ranges are
    // checked before any is read. The default issues the merged reads one after another
    // through readInto; remote sources may override it to issue them concurrently.
    virtual std::vector<std::vector<std::byte>> readv(std::span<const ReadRange> ranges);

    // Not synchronised: set the limits before sharing the source between threads.
    const CoalesceLimits& coalesceLimits() const { return limits_; }
    void setCoalesceLimits(const CoalesceLimits& limits) { limits_ = limits; }

    // Requests issued so far (each physical read counts once).
    const RequestStats& stats() const { return stats_; }

protected:
    // Throws IoError ("read past end of file ...", naming url, offset, length and size) unless
    // the range lies within the source.
    void checkRange(ReadRange range) const;

    // Reads the range, already checked against size(), into out (out.size() == range.length).
    // Must be thread-safe; throws IoError with url, offset and length on failure. A source
    // that overrides readv records its own requests in stats_.
    virtual void readAt(ReadRange range, std::span<std::byte> out) = 0;

    RequestStats stats_;

private:
    CoalesceLimits limits_{};
};

// Opens a source by URL/path: for now local paths and file:// URLs (file:/p, file:///p,
// file://localhost/p, with %XX escapes). Throws UnsupportedError naming the scheme for other
// URLs (root://, s3://, http(s)://, ...), UsageError for an empty or malformed URL, and
// IoError if the file cannot be opened.
std::unique_ptr<ByteSource> openSource(const std::string& url);

}  // namespace hepflow::io
