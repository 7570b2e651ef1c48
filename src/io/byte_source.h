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
    virtual ~ByteSource() = default;

    // The URL or path, as given by the user; used in every error message.
    virtual const std::string& url() const = 0;
    // Total size in bytes. Does not issue a request after the source was opened.
    virtual std::uint64_t size() const = 0;

    // Reads exactly range.length bytes at range.offset into `out` (out.size() == length).
    // Thread-safe. Throws IoError (naming url and range) on failure or a short read.
    virtual void readInto(ReadRange range, std::span<std::byte> out) = 0;

    // Convenience: returns a new buffer holding the bytes of `range`.
    std::vector<std::byte> read(std::uint64_t offset, std::uint64_t length);

    // Vectored read: fills one buffer per requested range (same order), merging nearby
    // ranges into fewer requests according to coalesceLimits(). Thread-safe.
    virtual std::vector<std::vector<std::byte>> readv(std::span<const ReadRange> ranges);

    const CoalesceLimits& coalesceLimits() const { return limits_; }
    void setCoalesceLimits(const CoalesceLimits& limits) { limits_ = limits; }

    // Requests issued so far (each physical read counts once).
    const RequestStats& stats() const { return stats_; }

protected:
    RequestStats stats_;

private:
    CoalesceLimits limits_{};
};

// Opens a source by URL/path: for now local paths and file:// URLs.
std::unique_ptr<ByteSource> openSource(const std::string& url);

}  // namespace hepflow::io
