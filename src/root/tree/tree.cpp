// Opening a tree (streaming its record, laying out each branch's baskets, choosing
// interpretations) and the bulk read: plan the baskets of all requested branches, fetch the
// on-disk ones with one vectored read, decode each basket as its own task: numeric branches
// straight into a column sized once for the range, others into per-basket columns that are
// trimmed and concatenated in entry order.
#include "root/tree/tree.h"

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
#include "root/tree/tree_streamer.h"

namespace hepflow::root {

namespace {

// Enough bytes for a basket key header (34 bytes, three strings, 19 basket bytes) and the first
// compression block header, on top of the branch and tree names.
constexpr std::size_t kBasketPeekBytes = 256;

bool isTreeClass(std::string_view class_name) {
    return class_name == "TTree" || class_name == "TNtuple" || class_name == "TNtupleD";
}

// "one/two/tree;1" -> "one/two/tree".
std::string normalizeTreePath(std::string_view key_path) {
    while (key_path.starts_with('/')) key_path.remove_prefix(1);
    const std::size_t semicolon = key_path.rfind(';');
    if (semicolon != std::string_view::npos) key_path = key_path.substr(0, semicolon);
    return std::string(key_path);
}

FormatError branchError(const Tree& tree, const TBranch& branch, std::string message,
                        std::optional<std::uint64_t> offset = std::nullopt) {
    FormatError error(std::move(message));
    error.at(tree.file().url(), fmt::format("{} branch {}", tree.path(), branch.path), offset);
    return error;
}

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

void Tree::checkSelection(std::span<const std::int64_t> rows, std::int64_t length,
                          const TBranch& branch) const {
    std::int64_t previous = -1;
    for (const std::int64_t row : rows) {
        if (row <= previous || row >= length)
            throwAt<UsageError>(fmt::format("selected row {} of branch '{}' is not above the "
                                            "previous one ({}) and below the range's {} entries",
                                            row, branch.path, previous, length),
                                file_.url(), path_);
        previous = row;
    }
}

Tree::Tree(const RootFile& file, std::string path, std::shared_ptr<TTree> model)
    : file_(file), path_(std::move(path)), model_(std::move(model)) {}

std::unique_ptr<Tree> Tree::open(const RootFile& file, std::string_view key_path) {
    const Key& key = file.findKey(key_path);
    const std::string path = normalizeTreePath(key_path);
    if (!isTreeClass(key.fClassName)) {
        throwAt<UsageError>(fmt::format("'{}' is a {}, not a TTree", path, key.fClassName),
                            file.url(), path);
    }
    const RootFile::Payload payload = file.readPayload(key, path);
    ByteReader reader = payload.reader();
    std::shared_ptr<TTree> model;
    try {
        model = readTree(key.fClassName, reader);
    } catch (Error& error) {
        error.at(file.url(), path);
        throw;
    }

    std::unique_ptr<Tree> tree(new Tree(file, path, std::move(model)));
    tree->record_offset_ = key.fSeekKey;
    for (const auto& branch : tree->model_->fBranches)
        if (branch) tree->addBranch(*branch);

    // Streamer infos are only needed (and only read) for TBranchElement branches.
    static const StreamerInfoSet kNoStreamers;
    const bool needs_streamers =
        std::any_of(tree->branches_.begin(), tree->branches_.end(),
                    [](const TBranch* branch) { return branch->is_element; });
    const InterpretationContext context{*tree->model_,
                                        needs_streamers ? file.streamerInfos() : kNoStreamers};
    tree->infos_.reserve(tree->branches_.size());
    for (const TBranch* branch : tree->branches_)
        tree->infos_.push_back(tree->describeBranch(*branch, context));
    tree->findCounters();
    return tree;
}

void Tree::findCounters() {
    const auto isIntegerCounter = [&](const BranchInfo& info) {
        const DirectDecoder* decoder =
            info.interpretation ? info.interpretation->directDecoder() : nullptr;
        if (decoder == nullptr || decoder->fixedValuesPerEntry() != 1) return false;
        const frame::Column prototype = info.interpretation->makeColumn();
        switch (prototype.dtype()) {
            case frame::DType::Int8:
            case frame::DType::UInt8:
            case frame::DType::Int16:
            case frame::DType::UInt16:
            case frame::DType::Int32:
            case frame::DType::UInt32:
            case frame::DType::Int64:
            case frame::DType::UInt64: return prototype.levels() == 0;
            default: return false;
        }
    };
    for (BranchInfo& info : infos_) {
        const DirectDecoder* decoder =
            info.interpretation ? info.interpretation->directDecoder() : nullptr;
        if (decoder == nullptr || decoder->countedItemBytes() == 0) continue;
        const TBranch& branch = *info.branch;
        if (branch.fLeaves.size() != 1 || branch.fLeaves[0]->fLeafCount == nullptr) continue;
        const TLeaf* count_leaf = branch.fLeaves[0]->fLeafCount.get();
        for (std::size_t i = 0; i < branches_.size(); ++i) {
            const TBranch& candidate = *branches_[i];
            const bool holds =
                candidate.fLeaves.size() == 1 && (candidate.fLeaves[0].get() == count_leaf ||
                                                  candidate.fLeaves[0]->fName == count_leaf->fName);
            if (!holds || &candidate == &branch) continue;
            if (isIntegerCounter(infos_[i]) && infos_[i].first_entry == info.first_entry)
                info.counter = &candidate;
            break;
        }
    }
}

detail::CounterCache::Cached Tree::counterSums(const TBranch& counter, std::int64_t first,
                                               std::int64_t end) const {
    if (auto cached = counter_cache_.find(&counter, first, end); cached.counts) return cached;
    const TBranch* counter_branch[] = {&counter};
    try {
        auto read = readBranchesOnce(counter_branch, first, end, std::nullopt, true);
        if (read.size() != 1) return {};
        auto sums = detail::cumulativeCounts(read.front());
        if (sums.empty()) return {};
        const detail::CounterCache::Counts counts =
            std::make_shared<const std::vector<std::int32_t>>(std::move(sums));
        counter_cache_.insert(&counter, first, end, counts);
        return {counts, first};
    } catch (const Error&) {
        // Left to the stored offsets; reading the counter itself reports the damage.
        return {};
    }
}

void Tree::addBranch(const TBranch& branch) {
    index_.emplace(&branch, branches_.size());
    branches_.push_back(&branch);
    for (const auto& child : branch.fBranches)
        if (child) addBranch(*child);
}

BranchInfo Tree::describeBranch(const TBranch& branch, const InterpretationContext& context) const {
    BranchInfo info;
    info.branch = &branch;
    info.compressed_bytes = branch.fZipBytes;
    info.uncompressed_bytes = branch.fTotBytes;
    try {
        info.interpretation = interpretBranch(branch, context);
    } catch (UnsupportedError& error) {
        info.unsupported = error.message();
    }

    // On-disk baskets: the leading slots below fWriteBasket with a seek (ROOT-FORMAT.md 7.2).
    const std::size_t limit = std::min({static_cast<std::size_t>(std::max(branch.fWriteBasket, 0)),
                                        branch.fBasketSeek.size(), branch.fBasketBytes.size()});
    std::size_t num_disk = 0;
    while (num_disk < limit && branch.fBasketSeek[num_disk] != 0) ++num_disk;
    if (num_disk > 0 && branch.fBasketEntry.size() < num_disk)
        throw branchError(*this, branch,
                          fmt::format("fBasketEntry has {} values for {} baskets",
                                      branch.fBasketEntry.size(), num_disk));

    std::int64_t embedded_entries = 0;
    for (std::size_t slot = num_disk; slot < branch.fBaskets.size(); ++slot)
        if (branch.fBaskets[slot]) embedded_entries += branch.fBaskets[slot]->fNevBuf;

    const std::uint64_t file_size = file_.source().size();
    // A branch added to a filled tree starts at its fFirstEntry: earlier entries are not stored.
    std::int64_t cursor = num_disk > 0 ? std::max<std::int64_t>(branch.fBasketEntry[0], 0) : 0;
    info.first_entry = cursor;
    for (std::size_t i = 0; i < num_disk; ++i) {
        BasketSlot slot;
        slot.index = static_cast<int>(i);
        slot.seek = static_cast<std::uint64_t>(branch.fBasketSeek[i]);
        slot.bytes = branch.fBasketBytes[i];
        slot.first_entry = branch.fBasketEntry[i];
        // fBasketEntry[i + 1] closes basket i; a table without it leaves the last on-disk
        // basket with whatever the embedded ones do not hold.
        const std::int64_t end = i + 1 < branch.fBasketEntry.size()
                                     ? branch.fBasketEntry[i + 1]
                                     : branch.fEntries - embedded_entries;
        slot.num_entries = end - slot.first_entry;
        if (branch.fBasketSeek[i] < 0 || slot.bytes <= 0 ||
            slot.seek + static_cast<std::uint64_t>(slot.bytes) > file_size)
            throw branchError(*this, branch,
                              fmt::format("basket {} of {} bytes at byte {} lies outside the "
                                          "{}-byte file",
                                          i, slot.bytes, branch.fBasketSeek[i], file_size),
                              slot.seek);
        if (slot.first_entry != cursor || slot.num_entries < 0)
            throw branchError(*this, branch,
                              fmt::format("basket {} covers entries [{}, {}) but the previous "
                                          "basket ended at entry {}",
                                          i, slot.first_entry, end, cursor),
                              slot.seek);
        cursor = end;
        info.baskets.push_back(slot);
        ++info.num_disk_baskets;
    }
    for (std::size_t i = num_disk; i < branch.fBaskets.size(); ++i) {
        const EmbeddedBasket* embedded = branch.fBaskets[i].get();
        if (!embedded || embedded->fNevBuf <= 0) continue;
        BasketSlot slot;
        slot.index = static_cast<int>(i);
        slot.first_entry = cursor;
        slot.num_entries = embedded->fNevBuf;
        slot.embedded = embedded;
        cursor += slot.num_entries;
        info.baskets.push_back(slot);
        ++info.num_embedded_baskets;
    }
    info.num_entries = cursor;
    return info;
}

const TBranch* Tree::findBranch(std::string_view path) const {
    for (const TBranch* branch : branches_)
        if (branch->path == path) return branch;
    for (const TBranch* branch : branches_)
        if (branch->fName == path) return branch;
    return nullptr;
}

const BranchInfo& Tree::branchInfo(const TBranch& branch) const {
    const auto it = index_.find(&branch);
    if (it == index_.end()) {
        throwAt<UsageError>(
            fmt::format("branch '{}' does not belong to tree '{}'", branch.path, path_),
            file_.url(), path_);
    }
    return infos_[it->second];
}

std::optional<CompressionAlgorithm> Tree::firstBasketCompression(const TBranch& branch) const {
    const BranchInfo& info = branchInfo(branch);
    for (const BasketSlot& slot : info.baskets) {
        if (!slot.onDisk()) continue;
        const std::size_t length =
            std::min<std::size_t>(static_cast<std::size_t>(slot.bytes),
                                  kBasketPeekBytes + branch.fName.size() + model_->fName.size());
        const auto prefix = file_.source().read(slot.seek, length);
        BasketLocation where{file_.url(), branch.path, slot.index, slot.seek,
                             branch.fEntryOffsetLen > 0};
        return peekBasketCompression(prefix, where);
    }
    return std::nullopt;
}

frame::Column Tree::readBranch(const TBranch& branch, std::int64_t entry_begin,
                               std::int64_t entry_end) const {
    const TBranch* branches[] = {&branch};
    return std::move(readBranches(branches, entry_begin, entry_end).front());
}

std::vector<frame::Column> Tree::readBranches(std::span<const TBranch* const> branches,
                                              std::int64_t entry_begin,
                                              std::int64_t entry_end) const {
    return readBranchesImpl(branches, entry_begin, entry_end, std::nullopt, true);
}

std::vector<frame::Column> Tree::readBranches(std::span<const TBranch* const> branches,
                                              std::int64_t entry_begin, std::int64_t entry_end,
                                              std::span<const std::int64_t> rows) const {
    return readBranchesImpl(branches, entry_begin, entry_end, rows, true);
}

std::vector<frame::Column> Tree::readBranchesPerBasket(std::span<const TBranch* const> branches,
                                                       std::int64_t entry_begin,
                                                       std::int64_t entry_end) const {
    return readBranchesImpl(branches, entry_begin, entry_end, std::nullopt, false);
}

std::vector<frame::Column> Tree::readBranchesImpl(
    std::span<const TBranch* const> branches, std::int64_t entry_begin, std::int64_t entry_end,
    std::optional<std::span<const std::int64_t>> selection, bool direct) const {
    std::vector<frame::Column> out =
        readBranchesOnce(branches, entry_begin, entry_end, selection, direct);
    // Empty after a basket whose entry offsets disagree with its header's data size (only in
    // odd or corrupt files): the per-basket path then gives the answer or the error.
    if (out.empty() && !branches.empty() && direct)
        out = readBranchesOnce(branches, entry_begin, entry_end, selection, false);
    return out;
}

std::vector<frame::Column> Tree::readBranchesOnce(
    std::span<const TBranch* const> branches, std::int64_t entry_begin, std::int64_t entry_end,
    std::optional<std::span<const std::int64_t>> selection, bool direct) const {
    // Plan: which baskets of which branches, and the on-disk ranges to fetch.
    std::vector<BasketTask> tasks;
    std::vector<io::ReadRange> ranges;
    std::vector<std::int64_t> lengths(branches.size());
    for (std::size_t k = 0; k < branches.size(); ++k) {
        const TBranch& branch = *branches[k];
        const BranchInfo& info = branchInfo(branch);
        if (!info.interpretation) {
            throwAt<UnsupportedError>(info.unsupported, file_.url(),
                                      fmt::format("{} branch {}", path_, branch.path));
        }
        if (info.interpretation->kind() == InterpretationKind::NoData) {
            throwAt<UsageError>(fmt::format("branch '{}' holds no values of its own ({}); read "
                                            "its sub-branches",
                                            branch.path, info.interpretation->describe()),
                                file_.url(), path_);
        }
        const std::int64_t end = entry_end < 0 ? info.num_entries : entry_end;
        if (entry_begin < 0 || entry_begin > end || end > info.num_entries) {
            throwAt<UsageError>(fmt::format("entry range [{}, {}) is outside branch '{}' ({} "
                                            "entries)",
                                            entry_begin, end, branch.path, info.num_entries),
                                file_.url(), path_);
        }
        if (entry_begin < info.first_entry && entry_begin < end) {
            throwAt<UnsupportedError>(fmt::format("branch '{}' stores no entries before entry {} "
                                                  "(it was added to a filled tree)",
                                                  branch.path, info.first_entry),
                                      file_.url(), path_);
        }
        lengths[k] = end - entry_begin;
        if (selection) {
            lengths[k] = static_cast<std::int64_t>(selection->size());
            // Increasing rows are checked with the first branch; then the last one bounds them.
            if (k == 0 || (!selection->empty() && selection->back() >= end - entry_begin))
                checkSelection(*selection, end - entry_begin, branch);
        }
        for (const BasketSlot& slot : info.baskets) {
            const std::int64_t slot_end = slot.first_entry + slot.num_entries;
            if (slot_end <= entry_begin || slot.first_entry >= end || slot.num_entries == 0)
                continue;
            BasketTask task;
            task.output = k;
            task.info = &info;
            task.slot = &slot;
            task.keep_begin = std::max(entry_begin, slot.first_entry) - slot.first_entry;
            task.keep_end = std::min(end, slot_end) - slot.first_entry;
            if (selection) {
                // The selected rows in this basket: a basket with none is not even fetched.
                task.row_shift = entry_begin - slot.first_entry;
                const auto first = std::lower_bound(selection->begin(), selection->end(),
                                                    task.keep_begin - task.row_shift);
                const auto last =
                    std::lower_bound(first, selection->end(), task.keep_end - task.row_shift);
                if (first == last) continue;
                task.selective = true;
                task.selected = std::span<const std::int64_t>(first, last);
            }
            if (slot.onDisk()) {
                task.buffer = ranges.size();
                ranges.push_back({slot.seek, static_cast<std::uint64_t>(slot.bytes)});
            }
            tasks.push_back(task);
        }
    }

    // Fetch: one request per coalesced range (as ByteSource::readv would merge them), into
    // buffers that are not zero-filled and that each basket only views, never copies.
    std::vector<std::unique_ptr<std::byte[]>> fetched;
    std::vector<std::span<const std::byte>> records(ranges.size());
    if (!ranges.empty()) {
        io::ByteSource& source = file_.source();
        try {
            const std::uint64_t size = source.size();
            for (const io::ReadRange& range : ranges) {
                if (range.length > size || range.offset > size - range.length)
                    throwAt<IoError>(fmt::format("read past end of file (offset {}, length {}, "
                                                 "file size {})",
                                                 range.offset, range.length, size),
                                     source.url(), {}, range.offset);
            }
            const auto reads = io::coalesceRanges(ranges, source.coalesceLimits());
            fetched.reserve(reads.size());
            for (const io::CoalescedRead& merged : reads) {
                auto buffer = std::make_unique_for_overwrite<std::byte[]>(merged.range.length);
                source.readInto(merged.range,
                                std::span<std::byte>(buffer.get(), merged.range.length));
                for (std::size_t index : merged.inputs) {
                    const io::ReadRange& r = ranges[index];
                    records[index] = std::span<const std::byte>(
                        buffer.get() + (r.offset - merged.range.offset), r.length);
                }
                fetched.push_back(std::move(buffer));
            }
        } catch (Error& error) {
            error.at(file_.url(), path_);
            throw;
        }
    }

    // Counted arrays with a counter branch (BranchInfo::counter) take their entry offsets from
    // its values, read here once per counter over the entries their baskets span, and then
    // decompress only the data part of each basket (a whole direct read or a selective one;
    // cut baskets sized below keep their stored offsets). A counter that cannot be read, or
    // whose values do not add up to a basket's data part, leaves that basket to its stored
    // offsets.
    struct CounterValues {
        const TBranch* counter = nullptr;
        std::int64_t first_entry = 0;
        std::int64_t end_entry = 0;
        detail::CounterCache::Cached cumulative;  // null: unusable
    };
    constexpr std::size_t kNoCounter = std::numeric_limits<std::size_t>::max();
    std::vector<CounterValues> counters;
    std::vector<std::size_t> counter_of(branches.size(), kNoCounter);
    if (direct) {
        for (const BasketTask& task : tasks) {
            const TBranch* counter = task.info->counter;
            if (counter == nullptr || !task.slot->onDisk()) continue;
            const std::int64_t first = task.slot->first_entry;
            const std::int64_t end = first + task.slot->num_entries;
            auto it = std::find_if(counters.begin(), counters.end(),
                                   [&](const CounterValues& c) { return c.counter == counter; });
            if (it == counters.end()) {
                counters.push_back({counter, first, end, {}});
                it = counters.end() - 1;
            }
            it->first_entry = std::min(it->first_entry, first);
            it->end_entry = std::max(it->end_entry, end);
            counter_of[task.output] = static_cast<std::size_t>(it - counters.begin());
        }
        for (CounterValues& counts : counters)
            counts.cumulative = counterSums(*counts.counter, counts.first_entry, counts.end_entry);
        for (std::size_t& c : counter_of)
            if (c != kNoCounter && !counters[c].cumulative.counts) c = kNoCounter;
    }
    // A basket's running counts from its counter, with the bytes one count stands for; empty
    // when there are none or they do not add up to its data part (fLast - fKeylen from the raw
    // header), which leaves the basket to its stored offsets.
    struct GivenCounts {
        std::span<const std::int32_t> running;
        std::int64_t item_bytes = 0;
    };
    const auto countsFromCounter = [&](const BasketTask& task) -> GivenCounts {
        const std::size_t c = counter_of[task.output];
        if (c == kNoCounter || !task.slot->onDisk()) return {};
        const BasketExtent extent = wholeBasketExtent(records[task.buffer], task.slot->seek);
        if (extent.object_bytes == 0) return {};
        const detail::CounterCache::Cached& cumulative = counters[c].cumulative;
        const auto start = static_cast<std::size_t>(task.slot->first_entry - cumulative.first);
        const auto running =
            std::span<const std::int32_t>(*cumulative.counts)
                .subspan(start, static_cast<std::size_t>(task.slot->num_entries) + 1);
        const auto item_bytes = static_cast<std::int64_t>(
            task.info->interpretation->directDecoder()->countedItemBytes());
        if (!detail::countsSpanData(running, item_bytes,
                                    static_cast<std::int64_t>(extent.data_bytes)))
            return {};
        return {running, item_bytes};
    };

    const auto locate = [&](const BasketTask& task) {
        const TBranch& branch = *task.info->branch;
        return BasketLocation{file_.url(), branch.path, task.slot->index, task.slot->seek,
                              branch.fEntryOffsetLen > 0};
    };
    const auto embeddedData = [&](const BasketTask& task) {
        const EmbeddedBasket& embedded = *task.slot->embedded;
        BasketData data;
        data.data = embedded.data;
        data.entry_offsets = embedded.entry_offsets;
        data.num_entries = embedded.fNevBuf;
        data.origin = ByteOrigin{
            file_.url(),
            fmt::format("branch {} basket {} (inside the TTree record, payload byte {})",
                        task.info->branch->path, task.slot->index, embedded.payload_position),
            record_offset_, true, embedded.fKeylen};
        return data;
    };
    const auto checkEntries = [&](const BasketTask& task, const Basket& basket) {
        const BasketSlot& slot = *task.slot;
        if (basket.numEntries() != slot.num_entries)
            throw branchError(*this, *task.info->branch,
                              fmt::format("basket {} holds {} entries but fBasketEntry says {}",
                                          slot.index, basket.numEntries(), slot.num_entries),
                              slot.seek);
    };

    // Direct branches: the values of each basket's kept rows, to size each column once.
    // Fixed-size entries need only the raw header (to check the rows fit); a counted array's
    // whole on-disk basket holds its data part (fLast - fKeylen in the raw header) of values;
    // only the baskets cut by the range (and embedded ones) need their entry offsets, so only
    // those are decompressed here.
    std::vector<const DirectDecoder*> decoders(branches.size(), nullptr);
    // A selective read of a counted array decodes each basket's few rows into a part of its own
    // (sizing the column first would mean decompressing every basket twice or holding them all).
    if (direct)
        for (std::size_t k = 0; k < branches.size(); ++k) {
            const DirectDecoder* decoder = branchInfo(*branches[k]).interpretation->directDecoder();
            if (decoder != nullptr && !(selection && decoder->fixedValuesPerEntry() == 0))
                decoders[k] = decoder;
        }
    std::vector<std::size_t> task_values(tasks.size(), 0);
    std::vector<std::optional<Basket>> held(tasks.size());
    std::vector<std::vector<std::byte>> held_storage(tasks.size());
    std::vector<std::size_t> direct_tasks;
    for (std::size_t t = 0; t < tasks.size(); ++t)
        if (decoders[tasks[t].output] != nullptr) direct_tasks.push_back(t);
    // fBasketEntry (in the TTree record) gives the rows that size each column: a basket whose
    // own bytes cannot hold them (a fixed-size entry takes its bytes of data, a counted one its
    // 4-byte entry offset) is damage, left to the per-basket path's checks and errors rather
    // than allowed to ask for memory the file cannot fill.
    std::atomic<bool> implausible{false};
    tbb::parallel_for(std::size_t{0}, direct_tasks.size(), [&](std::size_t d) {
        const std::size_t t = direct_tasks[d];
        const BasketTask& task = tasks[t];
        const DirectDecoder& decoder = *decoders[task.output];
        const BasketSlot& slot = *task.slot;
        const auto rows = static_cast<std::size_t>(taskRows(task));
        const std::size_t fixed = decoder.fixedValuesPerEntry();
        if (fixed > 0) {
            const std::size_t entry_bytes = fixed * decoder.diskValueSize();
            const std::size_t data_bytes =
                slot.onDisk() ? wholeBasketExtent(records[task.buffer], slot.seek).data_bytes
                              : slot.embedded->data.size();
            if (static_cast<std::size_t>(slot.num_entries) > data_bytes / entry_bytes)
                implausible.store(true, std::memory_order_relaxed);
            else
                task_values[t] = rows * fixed;
            return;
        }
        // Counted arrays size a column only in whole-range reads (see `decoders`).
        const bool whole = task.keep_begin == 0 && task.keep_end == slot.num_entries;
        const auto count = [&](const BasketData& data) {
            return decoder.countValues(data, task.keep_begin, task.keep_end).value_or(0);
        };
        if (!slot.onDisk()) {
            task_values[t] = count(embeddedData(task));
            return;
        }
        if (whole) {
            const BasketExtent extent = wholeBasketExtent(records[task.buffer], slot.seek);
            constexpr std::size_t kEntryOffsetBytes = 4;
            if (static_cast<std::size_t>(slot.num_entries) >
                (extent.object_bytes - extent.data_bytes) / kEntryOffsetBytes)
                implausible.store(true, std::memory_order_relaxed);
            else
                task_values[t] = extent.data_bytes / decoder.diskValueSize();
            return;
        }
        const BasketLocation where = locate(task);
        held[t] = Basket::readView(records[task.buffer], where, held_storage[t]);
        checkEntries(task, *held[t]);
        task_values[t] = count(held[t]->view());
    });
    if (implausible.load()) return {};

    // Where each direct task's rows and values start in its branch's column.
    std::vector<frame::Column> out;
    out.reserve(branches.size());
    for (std::size_t k = 0; k < branches.size(); ++k)
        out.push_back(branchInfo(*branches[k]).interpretation->makeColumn());
    std::vector<std::int64_t> row_start(tasks.size(), 0);
    std::vector<std::int64_t> value_start(tasks.size(), 0);
    {
        std::vector<std::int64_t> rows(branches.size(), 0);
        std::vector<std::int64_t> values(branches.size(), 0);
        for (std::size_t t = 0; t < tasks.size(); ++t) {
            const std::size_t k = tasks[t].output;
            if (decoders[k] == nullptr) continue;
            row_start[t] = rows[k];
            value_start[t] = values[k];
            rows[k] += taskRows(tasks[t]);
            values[k] += static_cast<std::int64_t>(task_values[t]);
        }
        for (std::size_t k = 0; k < branches.size(); ++k) {
            if (decoders[k] == nullptr) continue;
            frame::Column& column = out[k];
            column.bytes().resize(static_cast<std::size_t>(values[k]) *
                                  decoders[k]->columnValueSize());
            if (column.levels() > 0) {
                column.offsets(0).resize(static_cast<std::size_t>(rows[k]) + 1);
                column.offsets(0)[0] = 0;
            }
        }
    }

    // Decode every basket on its own; tasks write only their own part. Direct tasks decompress
    // into a per-thread scratch buffer (decoders never wait on oneTBB, so no other task runs
    // on this thread meanwhile) and decode into their slice of the final column.
    std::atomic<bool> mismatch{false};
    std::vector<frame::Column> parts(tasks.size());
    tbb::parallel_for(std::size_t{0}, tasks.size(), [&](std::size_t t) {
        const BasketTask& task = tasks[t];
        const TBranch& branch = *task.info->branch;
        const Interpretation& interpretation = *task.info->interpretation;
        const BasketSlot& slot = *task.slot;
        thread_local std::vector<std::byte> scratch;
        // The task's decompressed basket: held from the sizing pass, decompressed into this
        // thread's scratch (kept alive by `basket`), or embedded in the TTree record.
        std::optional<Basket> basket;
        const GivenCounts counted = held[t] ? GivenCounts{} : countsFromCounter(task);
        const bool from_counter = !counted.running.empty();
        const auto basketData = [&](EntryOffsets offsets) -> BasketData {
            if (held[t]) return held[t]->view();
            if (!slot.onDisk()) return embeddedData(task);
            const bool given = offsets == EntryOffsets::Given;
            basket.emplace(
                Basket::readView(records[task.buffer], locate(task), scratch, offsets,
                                 given ? counted.running : std::span<const std::int32_t>(),
                                 given ? counted.item_bytes : 0));
            checkEntries(task, *basket);
            return basket->view();
        };
        if (const DirectDecoder* decoder = decoders[task.output]) {
            const BasketData data =
                basketData(from_counter ? EntryOffsets::Given : EntryOffsets::Converted);
            frame::Column& column = out[task.output];
            std::byte* values = column.bytes().data() + static_cast<std::size_t>(value_start[t]) *
                                                            decoder->columnValueSize();
            std::int64_t* offsets =
                column.levels() > 0 ? column.offsets(0).data() + 1 + row_start[t] : nullptr;
            const bool decoded =
                selection ? decoder->decodeSelectedRows(data, task.selected, task.row_shift, values,
                                                        task_values[t], offsets, value_start[t])
                          : decoder->decodeRows(data, task.keep_begin, task.keep_end, values,
                                                task_values[t], offsets, value_start[t]);
            if (!decoded) mismatch.store(true, std::memory_order_relaxed);
            return;
        }
        frame::Column part = interpretation.makeColumn();
        const DirectDecoder* selective_decoder =
            task.selective && direct ? interpretation.directDecoder() : nullptr;
        if (selective_decoder != nullptr) {
            // Offsets from the counter, or the few selected entries' stored ones converted as
            // they are read: never every stored offset of the basket.
            if (decodeSelectedPart(
                    *selective_decoder,
                    basketData(from_counter ? EntryOffsets::Given : EntryOffsets::Deferred), task,
                    part)) {
                parts[t] = std::move(part);
                return;
            }
            part = interpretation.makeColumn();  // odd offsets: the whole basket says why
            basket.reset();
        }
        const BasketData data = basketData(EntryOffsets::Converted);
        interpretation.decode(data, part);
        if (part.length() != slot.num_entries)
            throw branchError(*this, branch,
                              fmt::format("basket {} decoded to {} entries instead of {}",
                                          slot.index, part.length(), slot.num_entries),
                              slot.seek);
        if (selection)
            part = keepSelectedRows(part, task.selected, task.row_shift);
        else if (task.keep_begin > 0 || task.keep_end < slot.num_entries)
            part = sliceRows(part, task.keep_begin, task.keep_end);
        parts[t] = std::move(part);
    });
    if (mismatch.load()) return {};

    // Concatenate the other branches' parts, in entry order (the task order), each branch into
    // one allocation, the branches in parallel.
    std::vector<std::vector<frame::Column>> pieces(branches.size());
    for (std::size_t t = 0; t < tasks.size(); ++t)
        if (decoders[tasks[t].output] == nullptr)
            pieces[tasks[t].output].push_back(std::move(parts[t]));
    tbb::parallel_for(std::size_t{0}, branches.size(), [&](std::size_t k) {
        if (!pieces[k].empty()) out[k] = frame::Column::concatenate(std::move(pieces[k]));
    });
    for (std::size_t k = 0; k < branches.size(); ++k)
        HEPFLOW_ASSERT(out[k].length() == lengths[k], "baskets cover the requested range");
    return out;
}

}  // namespace hepflow::root
