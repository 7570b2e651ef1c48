// A TTree opened for reading: its branches (depth-first, in file order), the interpretation of
// each (chosen once at open), where their baskets are (on disk or inside the TTree record), and
// bulk reads of entry ranges: one vectored read for all needed baskets of all requested branches,
// then parallel decoding on oneTBB with an output independent of the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "frame/columns/column.h"
#include "root/compression/compression.h"
#include "root/root_file.h"
#include "root/tree/detail/counted_offsets.h"
#include "root/tree/interpretation.h"
#include "root/tree/tree_model.h"

namespace hepflow::root {

// One basket of a branch: on disk (seek > 0) or embedded in the TTree record.
struct BasketSlot {
    int index = 0;  // slot in fBasketSeek / fBaskets
    std::int64_t first_entry = 0;
    std::int64_t num_entries = 0;
    std::uint64_t seek = 0;  // on disk: key offset
    std::int32_t bytes = 0;  // on disk: fBasketBytes
    const EmbeddedBasket* embedded = nullptr;

    bool onDisk() const { return embedded == nullptr; }
};

struct BranchInfo {
    const TBranch* branch = nullptr;
    // Chosen at open; null when hepflow cannot decode the branch, and then `unsupported` holds
    // the UnsupportedError message.
    std::unique_ptr<Interpretation> interpretation;
    std::string unsupported;
    std::int64_t first_entry = 0;         // fBasketEntry[0]: 0 except in odd files
    std::int64_t num_entries = 0;         // one past the last entry found in the baskets
    std::int64_t compressed_bytes = 0;    // fZipBytes
    std::int64_t uncompressed_bytes = 0;  // fTotBytes
    int num_disk_baskets = 0;
    int num_embedded_baskets = 0;     // non-empty baskets kept inside the TTree record
    std::vector<BasketSlot> baskets;  // in entry order
    // For a counted array: the flat integer branch holding its counter leaf, whose values give
    // its entry offsets, so that only the data part of its baskets needs decompressing (the
    // stored offset array after it is most of a basket of a few values per entry). Null when
    // there is none that hepflow decodes directly.
    const TBranch* counter = nullptr;
};

class Tree {
public:
    // Reads the TTree (or TNtuple) stored under `key_path` ("one/two/tree") and chooses the
    // interpretation of every branch. The file must outlive the tree. Throws UsageError if the
    // key is not a tree, FormatError for corrupt metadata (including basket tables that point
    // outside the file), UnsupportedError for unknown TTree/TBranch versions. A branch whose
    // type hepflow cannot decode does not fail the tree: its BranchInfo records why.
    static std::unique_ptr<Tree> open(const RootFile& file, std::string_view key_path);

    Tree(const Tree&) = delete;
    Tree& operator=(const Tree&) = delete;

    const std::string& name() const { return model_->fName; }
    const std::string& title() const { return model_->fTitle; }
    const std::string& path() const { return path_; }
    const std::string& className() const { return model_->class_name; }
    // fEntries of the TTree.
    std::int64_t numEntries() const { return model_->fEntries; }
    const TTree& model() const { return *model_; }
    const RootFile& file() const { return file_; }

    // All branches, depth-first in file order, duplicates included (two "Particle" branches in
    // a Delphes file are two entries).
    const std::vector<const TBranch*>& branches() const { return branches_; }
    // The first branch with this path ("Jet/Jet.PT") or, failing that, this name; null if none.
    const TBranch* findBranch(std::string_view path) const;
    // Throws UsageError if `branch` does not belong to this tree.
    const BranchInfo& branchInfo(const TBranch& branch) const;

    // Compression algorithm of the branch's first on-disk basket (None if stored raw), read
    // from the file; nullopt when the branch has no on-disk basket (none, or only embedded).
    std::optional<CompressionAlgorithm> firstBasketCompression(const TBranch& branch) const;

    // Entries [entry_begin, entry_end) of one branch; entry_end = -1 means the branch's last
    // entry (BranchInfo::num_entries, which may differ from numEntries() in odd files). Throws
    // UsageError for a bad range or a branch without values (NoData), UnsupportedError for
    // a branch that has no interpretation or does not store the first entries requested,
    // FormatError / IoError naming file, branch and offset.
    frame::Column readBranch(const TBranch& branch, std::int64_t entry_begin = 0,
                             std::int64_t entry_end = -1) const;
    // The same for several branches at once (one column per branch, in order): one readv for
    // all their on-disk baskets in the range, then parallel decoding. Thread-safe.
    std::vector<frame::Column> readBranches(std::span<const TBranch* const> branches,
                                            std::int64_t entry_begin = 0,
                                            std::int64_t entry_end = -1) const;
    // Only the entries entry_begin + rows[i] of the range (rows increasing, each below the
    // range's length): columns of rows.size() entries. What a filter's survivors cost: every
    // basket holding one of them is fetched and decompressed, but only their values are decoded
    // (a basket without any is not fetched). Throws UsageError for rows out of order or range,
    // otherwise as above.
    std::vector<frame::Column> readBranches(std::span<const TBranch* const> branches,
                                            std::int64_t entry_begin, std::int64_t entry_end,
                                            std::span<const std::int64_t> rows) const;
    // readBranches through the per-basket path only: every basket decodes into a column of its
    // own, concatenated afterwards. readBranches falls back to it for odd files (entry offsets
    // that disagree with a basket's data size); public so that tests compare the two paths.
    std::vector<frame::Column> readBranchesPerBasket(std::span<const TBranch* const> branches,
                                                     std::int64_t entry_begin = 0,
                                                     std::int64_t entry_end = -1) const;

private:
    Tree(const RootFile& file, std::string path, std::shared_ptr<TTree> model);
    void addBranch(const TBranch& branch);
    BranchInfo describeBranch(const TBranch& branch, const InterpretationContext& context) const;
    // Sets BranchInfo::counter of the counted arrays (at open).
    void findCounters();
    // Running sums of the counter's values over entries [first, end), from the cache or read
    // (and cached); null counts when it cannot be read or holds counts no basket could use.
    detail::CounterCache::Cached counterSums(const TBranch& counter, std::int64_t first,
                                             std::int64_t end) const;
    // readBranches (all rows of the range, or the `selection` of them); `direct` lets numeric
    // branches decode straight into their final column (false: every basket decodes into its
    // own column, concatenated afterwards). readBranchesOnce returns {} when the direct path
    // meets a basket whose entry offsets disagree with its data size; readBranchesImpl then
    // falls back to the per-basket path.
    std::vector<frame::Column> readBranchesImpl(
        std::span<const TBranch* const> branches, std::int64_t entry_begin, std::int64_t entry_end,
        std::optional<std::span<const std::int64_t>> selection, bool direct) const;
    std::vector<frame::Column> readBranchesOnce(
        std::span<const TBranch* const> branches, std::int64_t entry_begin, std::int64_t entry_end,
        std::optional<std::span<const std::int64_t>> selection, bool direct) const;
    class BranchRead;  // one readBranchesOnce call (branch_read.cpp)
    // Throws UsageError unless `rows` increase and lie in [0, length).
    void checkSelection(std::span<const std::int64_t> rows, std::int64_t length,
                        const TBranch& branch) const;

    const RootFile& file_;
    std::string path_;
    std::uint64_t record_offset_ = 0;  // the TTree key, named in errors about embedded baskets
    std::shared_ptr<TTree> model_;
    std::vector<const TBranch*> branches_;
    std::vector<BranchInfo> infos_;  // parallel to branches_
    std::unordered_map<const TBranch*, std::size_t> index_;
    // Counter reads shared by the calls that read a collection's fields (readBranchesOnce).
    mutable detail::CounterCache counter_cache_;
};

}  // namespace hepflow::root
