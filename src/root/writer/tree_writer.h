// Writes one TTree into a FileWriter from column batches: flat numbers and bools, fixed arrays
// (x[3]/F), counted arrays sharing counters (nMuon + Muon_pt[nMuon], NanoAOD style), std::vector
// and vector<vector> branches, char* and std::string branches (ROOT-FORMAT.md sections 6, 7, 9).
// Baskets are cut by bytes, clusters are aligned across branches and compressed in parallel.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame/columns/column.h"
#include "root/compression/compression.h"
#include "root/writer/file_writer.h"

namespace hepflow::root {

// How a column with one jagged level is written.
enum class JaggedLayout {
    // A counter branch (nMuon/I) plus a counted array (Muon_pt[nMuon]/F): plain TBranches that
    // every reader handles, as NanoAOD and uproot write them. For strings: a char* leaf (s/C).
    Counted,
    // A std::vector<T> TBranchElement (+ TLeafElement and the vector<T> streamer info), as ROOT
    // writes a vector member. For strings: a std::string TBranchElement.
    Vector,
};

struct BranchSpec {
    std::string name;
    frame::DType dtype = frame::DType::Float64;
    // Jagged levels of the column: 0 flat (one value, or one string, per entry), 1 jagged,
    // 2 doubly jagged. Two levels (and jagged strings) are always vector<vector<T> > (and
    // vector<string>): plain leaves cannot express them.
    std::size_t levels = 0;
    // > 0: a fixed-size array x[N] per entry (levels must be 0; the column may be flat with N
    // values per entry or jagged with every length N, as the reader returns it).
    std::int32_t fixed_length = 0;
    // Counted layout: the counter branch ("nMuon"); several arrays may share one. Empty means
    // "n" + the name up to its first '_' ("Muon_pt" -> "nMuon"; "pt" -> "npt"). When a spec of
    // that name exists (a flat integer column) it is the counter and its values are checked;
    // otherwise an Int_t counter branch is added right before the first array using it.
    std::string counter;
    JaggedLayout layout = JaggedLayout::Counted;
    // Per-branch compression; nullopt = the file's default.
    std::optional<CompressionSetting> compression;
    // Branch title; empty = ROOT's leaf-list title ("Muon_pt[nMuon]/F") or the branch name.
    std::string title;
};

// ROOT's TBasket default is 32000 bytes, tuned for one-entry-at-a-time readers; bulk readers
// (uproot, hepflow, RDataFrame) decode far fewer, larger baskets faster and compress them
// better, while JSROOT and ROOT still read them with little memory. 256 KiB is in between.
inline constexpr std::int64_t kDefaultBasketBytes = 256 * 1024;
// Auto clustering: the first cluster closes once the uncompressed data of all branches
// reaches this (ROOT's default fAutoFlush is -30000000 bytes); later clusters have as many
// entries as the first, so that fAutoFlush describes them all, as ROOT does.
inline constexpr std::int64_t kAutoClusterBytes = 32 * 1024 * 1024;
// ROOT cannot stream a buffer past 1 GiB (byte counts have 30 bits); baskets stay below.
inline constexpr std::int64_t kMaxBasketBytes = 1 << 30;

struct TreeWriteOptions {
    // Target uncompressed bytes per basket per branch: a basket is cut once it reaches this
    // (one entry may overshoot it), at the latest at the end of each cluster. 1..kMaxBasketBytes.
    std::int64_t basket_bytes = kDefaultBasketBytes;
    // Entries per cluster: every branch ends a basket at multiples of it (fAutoFlush). 0 = auto
    // by bytes (kAutoClusterBytes for the first cluster).
    std::int64_t cluster_entries = 0;
    // Bytes that close the first cluster in auto mode (tests lower it).
    std::int64_t auto_cluster_bytes = kAutoClusterBytes;
};

class TreeWriter {
public:
    // Validates the specs (names unique and non-empty, dtypes/levels/layout combinations that
    // ROOT can express, counters integer and flat): throws UsageError naming the branch. The
    // file must outlive the writer; nothing is written until the first full basket.
    TreeWriter(FileWriter& file, FileWriter::DirectoryId dir, std::string name, std::string title,
               std::vector<BranchSpec> branches, TreeWriteOptions options = {});
    // Without close(): the tree record is not written (the baskets already written stay as
    // unreferenced records). Never throws.
    ~TreeWriter();

    TreeWriter(const TreeWriter&) = delete;
    TreeWriter& operator=(const TreeWriter&) = delete;

    // Appends a batch: its columns in the order of the specs, named like them, all of
    // batch.num_entries entries and of the declared dtype and shape. Counters are computed from
    // the counted arrays; arrays sharing a counter must agree entry by entry, and a counter
    // given as a column must equal the counts (UsageError naming branch and entry otherwise;
    // nothing of the batch is kept then). Branches fill their baskets in parallel and full
    // baskets are compressed in parallel on oneTBB, then written as they close, in a fixed order
    // (by last entry, then branch; a cluster's baskets stay in one region of the file), so the
    // same entries give the same bytes however they are split into batches and whatever the
    // thread count (with FileWriteOptions::reproducible, the whole file). Memory: one open
    // basket per branch plus the baskets of two slices of about 4 MiB. Any other error (I/O, an
    // entry over 1 GiB) leaves the writer failed: later calls throw UsageError. Not thread-safe.
    void write(const frame::ColumnBatch& batch);

    // Writes the last baskets and the TTree record (TTree v20, TBranch v13, TBranchElement v10)
    // and registers the streamer infos it needs with the file. Returns the tree's key. A second
    // call, or write() after close(), is a UsageError.
    Key close();

    std::int64_t numEntries() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hepflow::root
