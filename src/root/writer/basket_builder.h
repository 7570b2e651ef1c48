// Fills the open basket of one branch with entries of a column, in the big-endian layout ROOT
// reads for the branch's kind (ROOT-FORMAT.md 6.6, 9.4, 9.6), and closes baskets by size. The
// rule to close depends only on the entries, never on how they arrive in batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "frame/columns/column.h"
#include "root/writer/branch_plan.h"
#include "root/writer/buffer_pool.h"
#include "root/writer/byte_writer.h"

namespace hepflow::root {

// One basket's uncompressed contents.
struct BasketContent {
    ByteBuffer data;  // the entries, fKeylen..fLast of the record
    // Variable-size kinds: where each entry starts, counted from the key start (fKeylen + its
    // position in data), as the big-endian int32 values of the record's entry-offset array.
    ByteBuffer entry_offsets;
    std::int64_t first_entry = 0;  // tree entry of its first entry
    std::int64_t num_entries = 0;
    std::int64_t cluster = 0;  // cluster index it belongs to
    int slot = 0;              // basket index in the branch (fBasketSeek slot)
};

class BasketBuilder {
public:
    // `basket_bytes`: close a basket once its data plus its entry-offset array reach this.
    // `keylen`: the fKeylen of the branch's basket keys (entry offsets count from the key).
    // Basket buffers come from `pool` (shared by the tree's branches; it must outlive this).
    BasketBuilder(const BranchPlan& plan, std::int64_t basket_bytes, std::int32_t keylen,
                  BufferPool& pool);

    // Appends entries [begin, end) of `column` (already checked to have the plan's shape) to
    // the open basket, as entries of cluster `cluster`; baskets that fill up are moved to
    // `closed`. Throws UsageError when one entry alone exceeds kMaxBasketBytes.
    void append(const frame::Column& column, std::int64_t begin, std::int64_t end,
                std::int64_t cluster, std::vector<BasketContent>& closed);
    // Closes the open basket if it holds entries (end of a cluster, end of the tree).
    void flush(std::vector<BasketContent>& closed);

    // Entries appended so far (the branch's fEntries once flushed).
    std::int64_t numEntries() const { return next_entry_; }
    // Largest count written (Counter) or string length + 1 (CharStar): the leaf's fMaximum.
    std::int64_t maximum() const { return maximum_; }

private:
    void appendFixed(const frame::Column& column, std::int64_t begin, std::int64_t end,
                     std::int64_t cluster, std::vector<BasketContent>& closed);
    void appendVariable(const frame::Column& column, std::int64_t begin, std::int64_t end,
                        std::int64_t cluster, std::vector<BasketContent>& closed);
    void appendCounted(const frame::Column& column, std::int64_t begin, std::int64_t end,
                       std::int64_t cluster, std::vector<BasketContent>& closed);
    // Serializes one entry of a variable-size kind (not CountedArray) at the end of data.
    void writeEntry(const frame::Column& column, std::int64_t entry);
    void startEntry(std::int64_t cluster);
    std::size_t openSize() const;
    void close(std::vector<BasketContent>& closed);

    const BranchPlan& plan_;
    std::size_t basket_bytes_;
    std::size_t value_size_;
    std::int32_t keylen_;
    BufferPool* pool_;
    BasketContent open_;
    int next_slot_ = 0;
    std::int64_t next_entry_ = 0;
    std::int64_t maximum_ = 0;
};

}  // namespace hepflow::root
