// The bulk read of a tree's branches (Tree::readBranches): plan the baskets of all requested
// branches, fetch the on-disk ones with coalesced reads, decode each basket as its own task:
// numeric branches straight into a column sized once for the range, others into per-basket
// columns that are trimmed and concatenated in entry order.
#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "common/error.h"
#include "io/read_range.h"
#include "root/endian.h"
#include "root/tree/basket.h"
#include "root/tree/detail/counted_offsets.h"
#include "root/tree/detail/tree_errors.h"
#include "root/tree/tree.h"

namespace hepflow::root {

namespace {

// The rows [begin, end) of a column, all nesting levels re-based to start at 0.
frame::Column sliceRows(const frame::Column& column, std::int64_t begin, std::int64_t end) {
    using frame::DType;
    if (column.dtype() == DType::Struct) {
        frame::Column out(DType::Struct);
        for (const auto& [name, member] : column.members())
            out.members().emplace_back(name, sliceRows(member, begin, end));
        out.setStructLength(end - begin);
        return out;
    }
    const std::size_t levels = column.levels();
    const std::size_t string_level = column.dtype() == DType::String ? 1 : 0;
    frame::Column out(column.dtype(), levels - string_level);
    std::int64_t lo = begin;
    std::int64_t hi = end;
    for (std::size_t level = 0; level < levels; ++level) {
        const auto& src = column.offsets(level);
        auto& dst = out.offsets(level);
        dst.clear();
        dst.reserve(static_cast<std::size_t>(hi - lo) + 1);
        const std::int64_t base = src[lo];
        for (std::int64_t i = lo; i <= hi; ++i) dst.push_back(src[i] - base);
        lo = src[lo];
        hi = src[hi];
    }
    const std::size_t size = frame::dtypeSize(column.dtype());
    const auto& bytes = column.bytes();
    out.bytes() = frame::copyOfRange(bytes.data() + static_cast<std::size_t>(lo) * size,
                                     static_cast<std::size_t>(hi - lo) * size);
    for (const auto& [name, member] : column.members())
        out.members().emplace_back(name, sliceRows(member, begin, end));
    return out;
}

// Planned work of readBranches: one basket of one branch, and which of its rows to keep.
struct BasketTask {
    std::size_t output = 0;  // index of the requested branch
    const BranchInfo* info = nullptr;
    const BasketSlot* slot = nullptr;
    std::int64_t keep_begin = 0;  // rows of the basket to keep
    std::int64_t keep_end = 0;
    std::size_t buffer = 0;  // index into the fetched records (on-disk baskets)
    // A selective read: the part of its rows (relative to the range) in this basket, and what
    // turns them into the basket's own row numbers.
    bool selective = false;
    std::span<const std::int64_t> selected;
    std::int64_t row_shift = 0;
};

// The selected rows of a basket through its direct decoder, into `part` (empty, of the
// interpretation's shape); false when the basket's entry offsets do not give their values.
bool decodeSelectedPart(const DirectDecoder& decoder, const BasketData& data,
                        const BasketTask& task, frame::Column& part) {
    const auto values = decoder.countSelectedValues(data, task.selected, task.row_shift);
    if (!values) return false;
    part.bytes().resize(*values * decoder.columnValueSize());
    std::int64_t* offsets = nullptr;
    if (part.levels() > 0) {
        part.offsets(0).resize(task.selected.size() + 1);
        part.offsets(0)[0] = 0;
        offsets = part.offsets(0).data() + 1;
    }
    return decoder.decodeSelectedRows(data, task.selected, task.row_shift, part.bytes().data(),
                                      *values, offsets, 0);
}

// Rows a task adds to its column.
std::int64_t taskRows(const BasketTask& task) {
    return task.selective ? static_cast<std::int64_t>(task.selected.size())
                          : task.keep_end - task.keep_begin;
}

// The rows of a whole decoded basket that a selective read keeps (rows[i] + shift), in order.
frame::Column keepSelectedRows(const frame::Column& part, std::span<const std::int64_t> rows,
                               std::int64_t shift) {
    std::vector<frame::Column> slices;
    for (std::size_t k = 0; k < rows.size();) {
        std::size_t run = k + 1;
        while (run < rows.size() && rows[run] == rows[run - 1] + 1) ++run;
        slices.push_back(sliceRows(part, rows[k] + shift, rows[run - 1] + shift + 1));
        k = run;
    }
    if (slices.empty()) return {};
    return frame::Column::concatenate(std::move(slices));
}

// The sizes of a basket record's data part (fLast - fKeylen) and whole object (fObjlen), read
// from its raw header without the full checks of Basket::read: only to size a column, so 0
// whenever the header looks odd (the decode then throws or finds the count wrong) and never
// more than the basket decompresses to, so a corrupt header cannot make the column huge.
struct BasketExtent {
    std::size_t data_bytes = 0;
    std::size_t object_bytes = 0;
};

BasketExtent wholeBasketExtent(std::span<const std::byte> record, std::uint64_t seek) {
    constexpr std::size_t kKeylenPosition = 14;  // fNbytes, fVersion, fObjlen, fDatime
    constexpr std::size_t kLastFromKeyEnd = 5;   // fLast, then a 1-byte flag, end the header
    if (record.size() < kKeylenPosition + 2) return {};
    const auto nbytes = loadBigEndian<std::int32_t>(record.data());
    const auto objlen = loadBigEndian<std::int32_t>(record.data() + 6);
    const auto keylen = static_cast<std::size_t>(
        std::max<std::int16_t>(loadBigEndian<std::int16_t>(record.data() + kKeylenPosition), 0));
    if (static_cast<std::size_t>(nbytes) != record.size() || keylen < kKeylenPosition + 2 ||
        keylen > record.size() || objlen < 0)
        return {};
    const auto last = loadBigEndian<std::int32_t>(record.data() + keylen - kLastFromKeyEnd);
    if (last < 0 || static_cast<std::size_t>(last) < keylen ||
        static_cast<std::size_t>(last) - keylen > static_cast<std::size_t>(objlen))
        return {};
    if (static_cast<std::size_t>(objlen) != record.size() - keylen) {
        try {
            const std::uint64_t declared = declaredUncompressedSize(
                record.subspan(keylen), std::numeric_limits<std::uint64_t>::max(), seek + keylen);
            if (declared != static_cast<std::uint64_t>(objlen)) return {};
        } catch (const Error&) {
            return {};
        }
    }
    return {static_cast<std::size_t>(last) - keylen, static_cast<std::size_t>(objlen)};
}

}  // namespace

// One readBranchesOnce call (tree.h), in the order run() takes its steps: plan the baskets of
// every requested branch, fetch the on-disk ones with coalesced reads, read the counters of
// counted arrays, size the direct branches' columns, decode every basket as its own task, and
// concatenate the per-basket parts of the other branches.
class Tree::BranchRead {
public:
    BranchRead(const Tree& tree, std::span<const TBranch* const> branches, std::int64_t entry_begin,
               std::int64_t entry_end, std::optional<std::span<const std::int64_t>> selection,
               bool direct)
        : tree_(tree),
          branches_(branches),
          entry_begin_(entry_begin),
          entry_end_(entry_end),
          selection_(selection),
          direct_(direct) {}

    // The columns, or {} when the direct path meets a basket whose entry offsets disagree with
    // its data size (readBranchesImpl then takes the per-basket path).
    std::vector<frame::Column> run() {
        plan();
        fetch();
        if (direct_) readCounters();
        chooseDecoders();
        if (!sizeDirectTasks()) return {};
        allocateColumns();
        if (!decodeTasks()) return {};
        concatenateParts();
        return std::move(out_);
    }

private:
    // A counter branch's running sums over the entries the baskets of its arrays span.
    struct CounterValues {
        const TBranch* counter = nullptr;
        std::int64_t first_entry = 0;
        std::int64_t end_entry = 0;
        detail::CounterCache::Cached cumulative;  // null: unusable
    };
    // A basket's running counts from its counter, with the bytes one count stands for.
    struct GivenCounts {
        std::span<const std::int32_t> running;
        std::int64_t item_bytes = 0;
    };
    static constexpr std::size_t kNoCounter = std::numeric_limits<std::size_t>::max();

    void plan();
    void fetch();
    void readCounters();
    GivenCounts countsFromCounter(const BasketTask& task) const;
    void chooseDecoders();
    bool sizeDirectTasks();
    void allocateColumns();
    bool decodeTasks();
    void concatenateParts();

    BasketLocation locate(const BasketTask& task) const {
        const TBranch& branch = *task.info->branch;
        return BasketLocation{tree_.file_.url(), branch.path, task.slot->index, task.slot->seek,
                              branch.fEntryOffsetLen > 0};
    }
    BasketData embeddedData(const BasketTask& task) const {
        const EmbeddedBasket& embedded = *task.slot->embedded;
        BasketData data;
        data.data = embedded.data;
        data.entry_offsets = embedded.entry_offsets;
        data.num_entries = embedded.fNevBuf;
        data.origin = ByteOrigin{
            tree_.file_.url(),
            fmt::format("branch {} basket {} (inside the TTree record, payload byte {})",
                        task.info->branch->path, task.slot->index, embedded.payload_position),
            tree_.record_offset_, true, embedded.fKeylen};
        return data;
    }
    void checkEntries(const BasketTask& task, const Basket& basket) const {
        const BasketSlot& slot = *task.slot;
        if (basket.numEntries() != slot.num_entries)
            throw detail::branchError(
                tree_, *task.info->branch,
                fmt::format("basket {} holds {} entries but fBasketEntry says {}", slot.index,
                            basket.numEntries(), slot.num_entries),
                slot.seek);
    }

    const Tree& tree_;
    const std::span<const TBranch* const> branches_;
    const std::int64_t entry_begin_;
    const std::int64_t entry_end_;
    const std::optional<std::span<const std::int64_t>> selection_;
    const bool direct_;

    // plan(): the baskets to decode, the on-disk ranges to fetch, each branch's row count.
    std::vector<BasketTask> tasks_;
    std::vector<io::ReadRange> ranges_;
    std::vector<std::int64_t> lengths_;
    // fetch(): the fetched buffers, viewed by each range's record (parallel to ranges_).
    std::vector<std::unique_ptr<std::byte[]>> fetched_;
    std::vector<std::span<const std::byte>> records_;
    // readCounters(): per branch, its counter's entry in counters_ or kNoCounter.
    std::vector<CounterValues> counters_;
    std::vector<std::size_t> counter_of_;
    // chooseDecoders() and sizeDirectTasks(): per branch its direct decoder (null: per-basket
    // parts); per task its values, and the baskets the sizing had to decompress.
    std::vector<const DirectDecoder*> decoders_;
    std::vector<std::size_t> task_values_;
    std::vector<std::optional<Basket>> held_;
    std::vector<std::vector<std::byte>> held_storage_;
    // allocateColumns(): the columns, and where each direct task's rows and values start.
    std::vector<frame::Column> out_;
    std::vector<std::int64_t> row_start_;
    std::vector<std::int64_t> value_start_;
    // decodeTasks(): the per-basket columns of the branches without a direct decoder.
    std::vector<frame::Column> parts_;
};

// Which baskets of which branches, and the on-disk ranges to fetch.
void Tree::BranchRead::plan() {
    lengths_.assign(branches_.size(), 0);
    for (std::size_t k = 0; k < branches_.size(); ++k) {
        const TBranch& branch = *branches_[k];
        const BranchInfo& info = tree_.branchInfo(branch);
        const std::string& url = tree_.file_.url();
        if (!info.interpretation) {
            throwAt<UnsupportedError>(info.unsupported, url,
                                      fmt::format("{} branch {}", tree_.path_, branch.path));
        }
        if (info.interpretation->kind() == InterpretationKind::NoData) {
            throwAt<UsageError>(fmt::format("branch '{}' holds no values of its own ({}); read "
                                            "its sub-branches",
                                            branch.path, info.interpretation->describe()),
                                url, tree_.path_);
        }
        const std::int64_t end = entry_end_ < 0 ? info.num_entries : entry_end_;
        if (entry_begin_ < 0 || entry_begin_ > end || end > info.num_entries) {
            throwAt<UsageError>(fmt::format("entry range [{}, {}) is outside branch '{}' ({} "
                                            "entries)",
                                            entry_begin_, end, branch.path, info.num_entries),
                                url, tree_.path_);
        }
        if (entry_begin_ < info.first_entry && entry_begin_ < end) {
            throwAt<UnsupportedError>(fmt::format("branch '{}' stores no entries before entry {} "
                                                  "(it was added to a filled tree)",
                                                  branch.path, info.first_entry),
                                      url, tree_.path_);
        }
        lengths_[k] = end - entry_begin_;
        if (selection_) {
            const auto& selection = *selection_;
            lengths_[k] = static_cast<std::int64_t>(selection.size());
            // Increasing rows are checked with the first branch; then the last one bounds them.
            if (k == 0 || (!selection.empty() && selection.back() >= end - entry_begin_))
                tree_.checkSelection(selection, end - entry_begin_, branch);
        }
        for (const BasketSlot& slot : info.baskets) {
            const std::int64_t slot_end = slot.first_entry + slot.num_entries;
            if (slot_end <= entry_begin_ || slot.first_entry >= end || slot.num_entries == 0)
                continue;
            BasketTask task;
            task.output = k;
            task.info = &info;
            task.slot = &slot;
            task.keep_begin = std::max(entry_begin_, slot.first_entry) - slot.first_entry;
            task.keep_end = std::min(end, slot_end) - slot.first_entry;
            if (selection_) {
                // The selected rows in this basket: a basket with none is not even fetched.
                const auto& selection = *selection_;
                task.row_shift = entry_begin_ - slot.first_entry;
                const auto first = std::lower_bound(selection.begin(), selection.end(),
                                                    task.keep_begin - task.row_shift);
                const auto last =
                    std::lower_bound(first, selection.end(), task.keep_end - task.row_shift);
                if (first == last) continue;
                task.selective = true;
                task.selected = std::span<const std::int64_t>(first, last);
            }
            if (slot.onDisk()) {
                task.buffer = ranges_.size();
                ranges_.push_back({slot.seek, static_cast<std::uint64_t>(slot.bytes)});
            }
            tasks_.push_back(task);
        }
    }
}

// One request per coalesced range (as ByteSource::readv would merge them), into buffers that
// are not zero-filled and that each basket only views, never copies.
void Tree::BranchRead::fetch() {
    records_.resize(ranges_.size());
    if (ranges_.empty()) return;
    io::ByteSource& source = tree_.file_.source();
    try {
        const std::uint64_t size = source.size();
        for (const io::ReadRange& range : ranges_) {
            if (range.length > size || range.offset > size - range.length)
                throwAt<IoError>(fmt::format("read past end of file (offset {}, length {}, "
                                             "file size {})",
                                             range.offset, range.length, size),
                                 source.url(), {}, range.offset);
        }
        const auto reads = io::coalesceRanges(ranges_, source.coalesceLimits());
        fetched_.reserve(reads.size());
        for (const io::CoalescedRead& merged : reads) {
            auto buffer = std::make_unique_for_overwrite<std::byte[]>(merged.range.length);
            source.readInto(merged.range, std::span<std::byte>(buffer.get(), merged.range.length));
            for (std::size_t index : merged.inputs) {
                const io::ReadRange& r = ranges_[index];
                records_[index] = std::span<const std::byte>(
                    buffer.get() + (r.offset - merged.range.offset), r.length);
            }
            fetched_.push_back(std::move(buffer));
        }
    } catch (Error& error) {
        error.at(tree_.file_.url(), tree_.path_);
        throw;
    }
}

// Counted arrays with a counter branch (BranchInfo::counter) take their entry offsets from its
// values, read here once per counter over the entries their baskets span, and then decompress
// only the data part of each basket (a whole direct read or a selective one; cut baskets sized
// by sizeDirectTasks keep their stored offsets). A counter that cannot be read leaves its
// arrays to their stored offsets.
void Tree::BranchRead::readCounters() {
    counter_of_.assign(branches_.size(), kNoCounter);
    for (const BasketTask& task : tasks_) {
        const TBranch* counter = task.info->counter;
        if (counter == nullptr || !task.slot->onDisk()) continue;
        const std::int64_t first = task.slot->first_entry;
        const std::int64_t end = first + task.slot->num_entries;
        auto it = std::find_if(counters_.begin(), counters_.end(),
                               [&](const CounterValues& c) { return c.counter == counter; });
        if (it == counters_.end()) {
            counters_.push_back({counter, first, end, {}});
            it = counters_.end() - 1;
        }
        it->first_entry = std::min(it->first_entry, first);
        it->end_entry = std::max(it->end_entry, end);
        counter_of_[task.output] = static_cast<std::size_t>(it - counters_.begin());
    }
    for (CounterValues& counts : counters_)
        counts.cumulative =
            tree_.counterSums(*counts.counter, counts.first_entry, counts.end_entry);
    for (std::size_t& c : counter_of_)
        if (c != kNoCounter && !counters_[c].cumulative.counts) c = kNoCounter;
}

// Empty when the basket has no usable counter or its counts do not add up to its data part
// (fLast - fKeylen from the raw header), which leaves the basket to its stored offsets.
Tree::BranchRead::GivenCounts Tree::BranchRead::countsFromCounter(const BasketTask& task) const {
    if (counter_of_.empty()) return {};  // readCounters() did not run: not a direct read
    const std::size_t c = counter_of_[task.output];
    if (c == kNoCounter || !task.slot->onDisk()) return {};
    const BasketExtent extent = wholeBasketExtent(records_[task.buffer], task.slot->seek);
    if (extent.object_bytes == 0) return {};
    const detail::CounterCache::Cached& cumulative = counters_[c].cumulative;
    const auto start = static_cast<std::size_t>(task.slot->first_entry - cumulative.first);
    const auto running = std::span<const std::int32_t>(*cumulative.counts)
                             .subspan(start, static_cast<std::size_t>(task.slot->num_entries) + 1);
    const auto item_bytes =
        static_cast<std::int64_t>(task.info->interpretation->directDecoder()->countedItemBytes());
    if (!detail::countsSpanData(running, item_bytes, static_cast<std::int64_t>(extent.data_bytes)))
        return {};
    return {running, item_bytes};
}

// Numeric branches decode straight into their final column. A selective read of a counted
// array decodes each basket's few rows into a part of its own instead (sizing the column first
// would mean decompressing every basket twice or holding them all).
void Tree::BranchRead::chooseDecoders() {
    decoders_.assign(branches_.size(), nullptr);
    if (!direct_) return;
    for (std::size_t k = 0; k < branches_.size(); ++k) {
        const DirectDecoder* decoder =
            tree_.branchInfo(*branches_[k]).interpretation->directDecoder();
        if (decoder != nullptr && !(selection_ && decoder->fixedValuesPerEntry() == 0))
            decoders_[k] = decoder;
    }
}

// Direct branches: the values of each basket's kept rows, to size each column once. Fixed-size
// entries need only the raw header (to check the rows fit); a counted array's whole on-disk
// basket holds its data part (fLast - fKeylen in the raw header) of values; only the baskets
// cut by the range (and embedded ones) need their entry offsets, so only those are
// decompressed here (and held for decodeTasks). False for an implausible basket: fBasketEntry
// (in the TTree record) gives the rows that size each column, and a basket whose own bytes
// cannot hold them (a fixed-size entry takes its bytes of data, a counted one its 4-byte entry
// offset) is damage, left to the per-basket path's checks and errors rather than allowed to ask
// for memory the file cannot fill.
bool Tree::BranchRead::sizeDirectTasks() {
    task_values_.assign(tasks_.size(), 0);
    held_.resize(tasks_.size());
    held_storage_.resize(tasks_.size());
    std::vector<std::size_t> direct_tasks;
    for (std::size_t t = 0; t < tasks_.size(); ++t)
        if (decoders_[tasks_[t].output] != nullptr) direct_tasks.push_back(t);
    std::atomic<bool> implausible{false};
    tbb::parallel_for(std::size_t{0}, direct_tasks.size(), [&](std::size_t d) {
        const std::size_t t = direct_tasks[d];
        const BasketTask& task = tasks_[t];
        const DirectDecoder& decoder = *decoders_[task.output];
        const BasketSlot& slot = *task.slot;
        const auto rows = static_cast<std::size_t>(taskRows(task));
        const std::size_t fixed = decoder.fixedValuesPerEntry();
        if (fixed > 0) {
            const std::size_t entry_bytes = fixed * decoder.diskValueSize();
            const std::size_t data_bytes =
                slot.onDisk() ? wholeBasketExtent(records_[task.buffer], slot.seek).data_bytes
                              : slot.embedded->data.size();
            if (static_cast<std::size_t>(slot.num_entries) > data_bytes / entry_bytes)
                implausible.store(true, std::memory_order_relaxed);
            else
                task_values_[t] = rows * fixed;
            return;
        }
        // Counted arrays size a column only in whole-range reads (see chooseDecoders).
        const bool whole = task.keep_begin == 0 && task.keep_end == slot.num_entries;
        const auto count = [&](const BasketData& data) {
            return decoder.countValues(data, task.keep_begin, task.keep_end).value_or(0);
        };
        if (!slot.onDisk()) {
            task_values_[t] = count(embeddedData(task));
            return;
        }
        if (whole) {
            const BasketExtent extent = wholeBasketExtent(records_[task.buffer], slot.seek);
            constexpr std::size_t kEntryOffsetBytes = 4;
            if (static_cast<std::size_t>(slot.num_entries) >
                (extent.object_bytes - extent.data_bytes) / kEntryOffsetBytes)
                implausible.store(true, std::memory_order_relaxed);
            else
                task_values_[t] = extent.data_bytes / decoder.diskValueSize();
            return;
        }
        held_[t] = Basket::readView(records_[task.buffer], locate(task), held_storage_[t]);
        checkEntries(task, *held_[t]);
        task_values_[t] = count(held_[t]->view());
    });
    return !implausible.load();
}

// The columns, the direct ones sized for their values and rows; where each direct task's rows
// and values start in its branch's column.
void Tree::BranchRead::allocateColumns() {
    out_.reserve(branches_.size());
    for (std::size_t k = 0; k < branches_.size(); ++k)
        out_.push_back(tree_.branchInfo(*branches_[k]).interpretation->makeColumn());
    row_start_.assign(tasks_.size(), 0);
    value_start_.assign(tasks_.size(), 0);
    std::vector<std::int64_t> rows(branches_.size(), 0);
    std::vector<std::int64_t> values(branches_.size(), 0);
    for (std::size_t t = 0; t < tasks_.size(); ++t) {
        const std::size_t k = tasks_[t].output;
        if (decoders_[k] == nullptr) continue;
        row_start_[t] = rows[k];
        value_start_[t] = values[k];
        rows[k] += taskRows(tasks_[t]);
        values[k] += static_cast<std::int64_t>(task_values_[t]);
    }
    for (std::size_t k = 0; k < branches_.size(); ++k) {
        if (decoders_[k] == nullptr) continue;
        frame::Column& column = out_[k];
        column.bytes().resize(static_cast<std::size_t>(values[k]) *
                              decoders_[k]->columnValueSize());
        if (column.levels() > 0) {
            column.offsets(0).resize(static_cast<std::size_t>(rows[k]) + 1);
            column.offsets(0)[0] = 0;
        }
    }
}

// Decodes every basket on its own; tasks write only their own part. Direct tasks decompress
// into a per-thread scratch buffer (decoders never wait on oneTBB, so no other task runs on
// this thread meanwhile) and decode into their slice of the final column. False when a direct
// task finds another number of values than sizeDirectTasks did.
bool Tree::BranchRead::decodeTasks() {
    std::atomic<bool> mismatch{false};
    parts_.resize(tasks_.size());
    tbb::parallel_for(std::size_t{0}, tasks_.size(), [&](std::size_t t) {
        const BasketTask& task = tasks_[t];
        const TBranch& branch = *task.info->branch;
        const Interpretation& interpretation = *task.info->interpretation;
        const BasketSlot& slot = *task.slot;
        thread_local std::vector<std::byte> scratch;
        // The task's decompressed basket: held from the sizing pass, decompressed into this
        // thread's scratch (kept alive by `basket`), or embedded in the TTree record.
        std::optional<Basket> basket;
        const GivenCounts counted = held_[t] ? GivenCounts{} : countsFromCounter(task);
        const bool from_counter = !counted.running.empty();
        const auto basketData = [&](EntryOffsets offsets) -> BasketData {
            if (held_[t]) return held_[t]->view();
            if (!slot.onDisk()) return embeddedData(task);
            const bool given = offsets == EntryOffsets::Given;
            basket.emplace(
                Basket::readView(records_[task.buffer], locate(task), scratch, offsets,
                                 given ? counted.running : std::span<const std::int32_t>(),
                                 given ? counted.item_bytes : 0));
            checkEntries(task, *basket);
            return basket->view();
        };
        if (const DirectDecoder* decoder = decoders_[task.output]) {
            const BasketData data =
                basketData(from_counter ? EntryOffsets::Given : EntryOffsets::Converted);
            frame::Column& column = out_[task.output];
            std::byte* values = column.bytes().data() + static_cast<std::size_t>(value_start_[t]) *
                                                            decoder->columnValueSize();
            std::int64_t* offsets =
                column.levels() > 0 ? column.offsets(0).data() + 1 + row_start_[t] : nullptr;
            const bool decoded =
                selection_
                    ? decoder->decodeSelectedRows(data, task.selected, task.row_shift, values,
                                                  task_values_[t], offsets, value_start_[t])
                    : decoder->decodeRows(data, task.keep_begin, task.keep_end, values,
                                          task_values_[t], offsets, value_start_[t]);
            if (!decoded) mismatch.store(true, std::memory_order_relaxed);
            return;
        }
        frame::Column part = interpretation.makeColumn();
        const DirectDecoder* selective_decoder =
            task.selective && direct_ ? interpretation.directDecoder() : nullptr;
        if (selective_decoder != nullptr) {
            // Offsets from the counter, or the few selected entries' stored ones converted as
            // they are read: never every stored offset of the basket.
            if (decodeSelectedPart(
                    *selective_decoder,
                    basketData(from_counter ? EntryOffsets::Given : EntryOffsets::Deferred), task,
                    part)) {
                parts_[t] = std::move(part);
                return;
            }
            part = interpretation.makeColumn();  // odd offsets: the whole basket says why
            basket.reset();
        }
        const BasketData data = basketData(EntryOffsets::Converted);
        interpretation.decode(data, part);
        if (part.length() != slot.num_entries)
            throw detail::branchError(tree_, branch,
                                      fmt::format("basket {} decoded to {} entries instead of {}",
                                                  slot.index, part.length(), slot.num_entries),
                                      slot.seek);
        if (selection_)
            part = keepSelectedRows(part, task.selected, task.row_shift);
        else if (task.keep_begin > 0 || task.keep_end < slot.num_entries)
            part = sliceRows(part, task.keep_begin, task.keep_end);
        parts_[t] = std::move(part);
    });
    return !mismatch.load();
}

// The other branches' parts, in entry order (the task order), each branch into one allocation,
// the branches in parallel.
void Tree::BranchRead::concatenateParts() {
    std::vector<std::vector<frame::Column>> pieces(branches_.size());
    for (std::size_t t = 0; t < tasks_.size(); ++t)
        if (decoders_[tasks_[t].output] == nullptr)
            pieces[tasks_[t].output].push_back(std::move(parts_[t]));
    tbb::parallel_for(std::size_t{0}, branches_.size(), [&](std::size_t k) {
        if (!pieces[k].empty()) out_[k] = frame::Column::concatenate(std::move(pieces[k]));
    });
    for (std::size_t k = 0; k < branches_.size(); ++k)
        HEPFLOW_ASSERT(out_[k].length() == lengths_[k], "baskets cover the requested range");
}

std::vector<frame::Column> Tree::readBranchesOnce(
    std::span<const TBranch* const> branches, std::int64_t entry_begin, std::int64_t entry_end,
    std::optional<std::span<const std::int64_t>> selection, bool direct) const {
    return BranchRead(*this, branches, entry_begin, entry_end, selection, direct).run();
}

}  // namespace hepflow::root
