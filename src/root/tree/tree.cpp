// Opening a tree: streaming its record, laying out each branch's baskets, choosing
// interpretations and finding the counters of counted arrays; the entry points of the bulk
// read, whose work is in branch_read.cpp.
#include "root/tree/tree.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "root/tree/basket.h"
#include "root/tree/detail/counted_offsets.h"
#include "root/tree/detail/tree_errors.h"
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
        throw detail::branchError(*this, branch,
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
            throw detail::branchError(
                *this, branch,
                fmt::format("basket {} of {} bytes at byte {} lies outside the "
                            "{}-byte file",
                            i, slot.bytes, branch.fBasketSeek[i], file_size),
                slot.seek);
        if (slot.first_entry != cursor || slot.num_entries < 0)
            throw detail::branchError(
                *this, branch,
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

}  // namespace hepflow::root
