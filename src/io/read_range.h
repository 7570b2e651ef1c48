// Byte ranges and the coalescing of many small ranges into fewer, larger reads, so that a
// remote source (XRootD, S3) pays its per-request latency once per cluster of baskets, not
// once per basket. Pure computation: ByteSource::readv issues the merged reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hepflow::io {

// A byte range as (offset, length): a ROOT key is a seek plus a byte count.
struct ReadRange {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;

    // One past the last byte. Callers check for overflow first (see rangeOverflows).
    std::uint64_t end() const { return offset + length; }
    bool operator==(const ReadRange&) const = default;
};

// True when offset + length does not fit in 64 bits (only a corrupt seek produces that).
inline bool rangeOverflows(ReadRange range) {
    return range.length > UINT64_MAX - range.offset;
}

// Holes up to this size are read rather than skipped: uproot's CoalesceConfig (after CMSSW's
// ReadRepacker) uses 32 KiB, about what a WAN link moves in the time of one round trip.
inline constexpr std::uint64_t kDefaultMaxGap = 32 * 1024;
// A merged request stays below this so that one slow request cannot stall a whole cluster and
// the buffer it needs stays modest; uproot uses 10 MiB, Arrow 32 MiB.
inline constexpr std::uint64_t kDefaultMaxRequest = 16 * 1024 * 1024;

struct CoalesceLimits {
    std::uint64_t max_gap = kDefaultMaxGap;          // largest unrequested hole read anyway
    std::uint64_t max_request = kDefaultMaxRequest;  // largest merged request, in bytes
};

// One physical request and the input ranges it serves.
struct CoalescedRead {
    ReadRange range;
    // Indices into the input of coalesceRanges, by offset (the longer range first at equal
    // offsets); each lies entirely inside `range`.
    std::vector<std::size_t> inputs;
};

// Merges `ranges` (any order, possibly overlapping or repeated) into requests sorted by offset.
// Every non-empty input is served by exactly one request; empty inputs need no bytes and are
// served by none. Ranges closer than limits.max_gap merge as long as the request stays within
// limits.max_request; a request exceeds it only when one input range alone is larger (ranges
// inside such a range merge into it, since they add no bytes). Requests may overlap when an
// overlapping range could not be merged without exceeding max_request.
// Throws IoError if a range's offset + length overflows 64 bits.
std::vector<CoalescedRead> coalesceRanges(std::span<const ReadRange> ranges,
                                          const CoalesceLimits& limits);

}  // namespace hepflow::io
