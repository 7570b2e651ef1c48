// Coalescing of read ranges: sort by offset, then grow one request at a time while the next
// range is close enough and the request stays within its size limit.
#include "io/read_range.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace hepflow::io {

std::vector<CoalescedRead> coalesceRanges(std::span<const ReadRange> ranges,
                                          const CoalesceLimits& limits) {
    std::vector<std::size_t> order;
    order.reserve(ranges.size());
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        const ReadRange& r = ranges[i];
        if (rangeOverflows(r)) {
            throwAt<IoError>(fmt::format("invalid read range: offset {} + length {} overflows",
                                         r.offset, r.length),
                             {}, {}, r.offset);
        }
        if (r.length > 0) order.push_back(i);
    }
    // Longer first at equal offsets, so that shorter ranges there merge into it whatever the
    // limits; stable, so that the result does not depend on the sort algorithm.
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (ranges[a].offset != ranges[b].offset) return ranges[a].offset < ranges[b].offset;
        return ranges[a].length > ranges[b].length;
    });

    std::vector<CoalescedRead> reads;
    for (std::size_t index : order) {
        const ReadRange& r = ranges[index];
        if (!reads.empty()) {
            CoalescedRead& current = reads.back();
            const std::uint64_t start = current.range.offset;
            const std::uint64_t end = current.range.end();
            // Sorted by offset, so r.offset >= start; a gap exists only past the end.
            const std::uint64_t gap = r.offset > end ? r.offset - end : 0;
            const bool adds_no_bytes = r.end() <= end;
            const bool fits = adds_no_bytes || r.end() - start <= limits.max_request;
            if (gap <= limits.max_gap && fits) {
                current.range.length = std::max(end, r.end()) - start;
                current.inputs.push_back(index);
                continue;
            }
        }
        reads.push_back(CoalescedRead{r, {index}});
    }
    return reads;
}

}  // namespace hepflow::io
