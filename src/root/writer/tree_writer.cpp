// TreeWriter: checks batches, derives counters, cuts clusters, fills baskets per branch in
// parallel, compresses them in parallel and writes them as they close, in a fixed order.
#include "root/writer/tree_writer.h"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "common/error.h"
#include "root/writer/basket_builder.h"
#include "root/writer/basket_record.h"
#include "root/writer/batch_checks.h"
#include "root/writer/branch_plan.h"
#include "root/writer/tree_record.h"

namespace hepflow::root {

namespace {

using frame::Column;
using frame::DType;

// Uncompressed bytes that entries [0, e) of a batch add to a branch's baskets (auto clustering
// only): a closed form of the offsets for every kind but strings, whose TString headers depend
// on each length (`long_strings[e]`: how many of the first e strings need the 5-byte header).
std::int64_t bytesBefore(const BranchPlan& plan, const Column& column, std::size_t e,
                         const std::vector<std::int64_t>& long_strings) {
    const std::int64_t size = static_cast<std::int64_t>(frame::dtypeSize(plan.dtype));
    const auto entries = static_cast<std::int64_t>(e);
    const auto spanned = [&](const frame::Offsets& offsets, std::size_t i) {
        return offsets[i] - offsets[0];
    };
    switch (plan.kind) {
        case BranchKind::Scalar:
        case BranchKind::FixedArray:
        case BranchKind::Counter: return entries * static_cast<std::int64_t>(plan.entrySize());
        case BranchKind::CountedArray: return 4 * entries + spanned(column.offsets(0), e) * size;
        case BranchKind::CharStar:
        case BranchKind::StdString:
            // 4 (entry offset) + 1 or 5 (TString header) + the characters.
            return 5 * entries + 4 * long_strings[e] + spanned(column.offsets(0), e);
        case BranchKind::Vector: return 14 * entries + spanned(column.offsets(0), e) * size;
        case BranchKind::VectorVector:
        case BranchKind::VectorString: {
            const auto& outer = column.offsets(0);
            const auto& inner = column.offsets(1);
            const auto values = inner[static_cast<std::size_t>(outer[e])] -
                                inner[static_cast<std::size_t>(outer[0])];
            return 14 * entries + 4 * spanned(outer, e) + values * size;
        }
    }
    return 0;
}

// long_strings for bytesBefore: empty for kinds that do not need it.
std::vector<std::int64_t> longStringCounts(const BranchPlan& plan, const Column& column,
                                           std::size_t n) {
    if (plan.kind != BranchKind::CharStar && plan.kind != BranchKind::StdString) return {};
    const auto& offsets = column.offsets(0);
    std::vector<std::int64_t> counts(n + 1, 0);
    for (std::size_t e = 0; e < n; ++e)
        counts[e + 1] = counts[e] + (offsets[e + 1] - offsets[e] >= kLongStringMarker ? 1 : 0);
    return counts;
}

// Most the buffer pool keeps: what a batch of the copy command's size (64 MiB of columns) needs
// for its baskets and their compressed copies, with room to spare.
constexpr std::size_t kPoolBytes = std::size_t{256} << 20;

// Uncompressed bytes of the first entries of a batch over all branches, in O(branches) per
// query once built (O(entries) only for string branches).
class BatchSizes {
public:
    BatchSizes(const TreePlan& plan, const std::vector<const Column*>& columns, std::size_t n)
        : plan_(plan), columns_(columns), long_strings_(plan.branches.size()) {
        for (std::size_t b = 0; b < plan.branches.size(); ++b)
            long_strings_[b] = longStringCounts(plan.branches[b], *columns[b], n);
    }
    // Bytes of entries [0, e).
    std::int64_t before(std::size_t e) const {
        std::int64_t total = 0;
        for (std::size_t b = 0; b < plan_.branches.size(); ++b)
            total += bytesBefore(plan_.branches[b], *columns_[b], e, long_strings_[b]);
        return total;
    }
    // The smallest e in (low, high] with before(e) >= target, or high when none; the bytes
    // grow with e, so a binary search finds it.
    std::size_t firstReaching(std::int64_t target, std::size_t low, std::size_t high) const {
        std::size_t first = low + 1;
        while (first < high) {
            const std::size_t middle = first + (high - first) / 2;
            if (before(middle) >= target)
                high = middle;
            else
                first = middle + 1;
        }
        return high;
    }

private:
    const TreePlan& plan_;
    const std::vector<const Column*>& columns_;
    std::vector<std::vector<std::int64_t>> long_strings_;
};

// A batch is serialized, compressed and written in slices of about this many uncompressed
// bytes, so that the buffers of one slice's baskets serve the next (fresh pages cost more than
// compressing them with LZ4) and memory stays bounded however large the batch. 4 MiB rather
// than 16: a slice's baskets are still in cache when compressed and fewer fresh pages are in
// flight (bench_write, uncompressed: a third less CPU); 2 MiB left threads idle at the end of
// each slice with the slower codecs.
constexpr std::int64_t kSliceBytes = 4 << 20;

// A run of entries of one batch inside one cluster.
struct Segment {
    std::int64_t begin = 0;
    std::int64_t end = 0;
    std::int64_t cluster = 0;
    bool closes_cluster = false;
};

}  // namespace

struct TreeWriter::Impl {
    FileWriter& file;
    FileWriter::DirectoryId dir;
    std::string name;
    std::string title;
    std::vector<BranchSpec> specs;
    TreeWriteOptions options;
    TreePlan plan;
    // Basket and compressed-payload buffers, reused from written baskets (before the builders,
    // which use it).
    BufferPool pool{kPoolBytes};
    std::vector<BasketBuilder> builders;   // per plan branch
    std::vector<BasketKeyInfo> key_infos;  // per plan branch
    std::vector<BranchRecord> records;     // per plan branch
    // Places the baskets closed by one slice (`placing`, in file order) while the next slice is
    // filled and compressed; only it touches the file and `records` while it runs.
    tbb::task_group io;
    std::vector<std::pair<std::size_t, EncodedBasket>> placing;
    std::int64_t entries = 0;
    std::int64_t cluster_size = 0;  // entries per cluster; 0 while auto mode looks for it
    std::int64_t auto_bytes = 0;    // auto mode: bytes of the first cluster so far
    bool closed = false;
    bool failed = false;

    Impl(FileWriter& file_in, FileWriter::DirectoryId dir_in, std::string name_in,
         std::string title_in, std::vector<BranchSpec> specs_in, TreeWriteOptions options_in)
        : file(file_in),
          dir(dir_in),
          name(std::move(name_in)),
          title(std::move(title_in)),
          specs(std::move(specs_in)),
          options(options_in) {}

    void checkUsable(std::string_view what) const {
        if (closed) throw UsageError(fmt::format("tree '{}': {} after close()", name, what));
        if (failed)
            throw UsageError(
                fmt::format("tree '{}': {} after an earlier write failed", name, what));
    }

    std::vector<Segment> segmentsOf(std::int64_t n, std::int64_t& new_cluster_size,
                                    std::int64_t& new_auto_bytes, const BatchSizes& sizes) const;
    // Fills entries [begin, end) of the batch into every branch's baskets and compresses the
    // baskets that close, branch by branch in parallel (each basket while it is in cache).
    // Returns them in file order (see encodeClosed).
    std::vector<std::pair<std::size_t, EncodedBasket>> fillAndEncode(
        const std::vector<const Column*>& columns, const std::vector<Segment>& segments,
        std::int64_t begin, std::int64_t end);
    // Branch by branch in parallel: `close(b, closed)` moves the baskets it closes to `closed`,
    // which are then compressed. Returns (branch, basket) pairs in file order: by the basket's
    // last entry, then by branch.
    template <class Close>
    std::vector<std::pair<std::size_t, EncodedBasket>> encodeClosed(const Close& close);
    // Waits for the previous placement, then places `baskets` on the io task group.
    void placeInBackground(std::vector<std::pair<std::size_t, EncodedBasket>> baskets);
    // Waits for the background placement; rethrows its error.
    void finishPlacing();
    void place(std::size_t branch, EncodedBasket& basket);
};

std::vector<Segment> TreeWriter::Impl::segmentsOf(std::int64_t n, std::int64_t& new_cluster_size,
                                                  std::int64_t& new_auto_bytes,
                                                  const BatchSizes& sizes) const {
    new_cluster_size = cluster_size;
    new_auto_bytes = auto_bytes;
    std::int64_t first_cluster_end = -1;
    if (cluster_size == 0) {
        // Auto mode: the first cluster ends at the first entry where all branches together
        // reach auto_cluster_bytes; its entry count then fixes every later cluster.
        const auto count = static_cast<std::size_t>(n);
        const std::int64_t batch_total = auto_bytes + sizes.before(count);
        if (batch_total < options.auto_cluster_bytes) {
            new_auto_bytes = batch_total;
        } else {
            const std::size_t end =
                sizes.firstReaching(options.auto_cluster_bytes - auto_bytes, 0, count);
            new_auto_bytes = auto_bytes + sizes.before(end);
            first_cluster_end = static_cast<std::int64_t>(end);
            new_cluster_size = entries + first_cluster_end;
        }
    }
    std::vector<Segment> segments;
    std::int64_t begin = 0;
    while (begin < n) {
        const std::int64_t global = entries + begin;
        Segment segment;
        segment.begin = begin;
        if (new_cluster_size == 0) {
            segment.end = n;
            segment.cluster = 0;
        } else if (first_cluster_end >= 0 && begin < first_cluster_end) {
            segment.end = first_cluster_end;
            segment.cluster = 0;
            segment.closes_cluster = true;
        } else {
            segment.cluster = global / new_cluster_size;
            const std::int64_t cluster_end = (segment.cluster + 1) * new_cluster_size;
            segment.end = std::min(n, cluster_end - entries);
            segment.closes_cluster = entries + segment.end == cluster_end;
        }
        segments.push_back(segment);
        begin = segment.end;
    }
    return segments;
}

template <class Close>
std::vector<std::pair<std::size_t, EncodedBasket>> TreeWriter::Impl::encodeClosed(
    const Close& close) {
    std::vector<std::vector<EncodedBasket>> encoded(builders.size());
    tbb::parallel_for(std::size_t{0}, builders.size(), [&](std::size_t b) {
        std::vector<BasketContent> closed;
        close(b, closed);
        for (auto& content : closed)
            encoded[b].push_back(
                encodeBasket(std::move(content), key_infos[b], plan.branches[b].compression, pool));
    });
    // A basket closes at the entry that fills it (or at its cluster's or the tree's end), so
    // once a slice is filled every basket whose last entry lies before the slice's end has
    // closed, in this slice or an earlier one. Ordering each slice's baskets by last entry, then
    // branch, thus gives one file order however the entries came in batches and slices, and
    // baskets are written as they close instead of being held until their cluster completes
    // (which kept up to a cluster of compressed baskets, each in a basket-sized buffer, alive
    // per output tree). A cluster still occupies one region of the file: its baskets all end
    // inside it.
    std::vector<std::pair<std::size_t, EncodedBasket>> ordered;
    for (std::size_t b = 0; b < encoded.size(); ++b)
        for (auto& basket : encoded[b]) ordered.emplace_back(b, std::move(basket));
    const auto last_entry = [](const EncodedBasket& basket) {
        return basket.first_entry + basket.num_entries - 1;
    };
    std::sort(ordered.begin(), ordered.end(), [&](const auto& left, const auto& right) {
        const auto left_last = last_entry(left.second);
        const auto right_last = last_entry(right.second);
        return left_last != right_last ? left_last < right_last : left.first < right.first;
    });
    return ordered;
}

std::vector<std::pair<std::size_t, EncodedBasket>> TreeWriter::Impl::fillAndEncode(
    const std::vector<const Column*>& columns, const std::vector<Segment>& segments,
    std::int64_t begin, std::int64_t end) {
    return encodeClosed([&](std::size_t b, std::vector<BasketContent>& closed) {
        auto& builder = builders[b];
        for (const auto& segment : segments) {
            const std::int64_t from = std::max(segment.begin, begin);
            const std::int64_t to = std::min(segment.end, end);
            if (from >= to) continue;
            builder.append(*columns[b], from, to, segment.cluster, closed);
            if (segment.closes_cluster && to == segment.end) builder.flush(closed);
        }
    });
}

void TreeWriter::Impl::place(std::size_t branch, EncodedBasket& basket) {
    const std::uint64_t offset = file.allocate(static_cast<std::uint64_t>(basket.nbytes()));
    setBasketSeek(basket, offset);
    file.writeAt(offset, basket.header);
    file.writeAt(offset + basket.header.size(), basket.payload);
    auto& record = records[branch];
    HEPFLOW_ASSERT(static_cast<std::size_t>(basket.slot) == record.basket_bytes.size(),
                   "baskets placed out of order");
    record.basket_bytes.push_back(basket.nbytes());
    record.basket_entry.push_back(basket.first_entry);
    record.basket_seek.push_back(offset);
    record.tot_bytes += basket.keylen + basket.objlen;
    record.zip_bytes += basket.nbytes();
    pool.give(std::move(basket.payload));
}

void TreeWriter::Impl::placeInBackground(
    std::vector<std::pair<std::size_t, EncodedBasket>> baskets) {
    finishPlacing();
    if (baskets.empty()) return;
    const auto threads =
        std::min(static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()),
                 tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
    if (threads < 2) {
        // No thread to overlap with: a deferred task would only return the baskets' buffers to
        // the pool a slice later (and the next slice would fault in fresh ones).
        for (auto& [branch, basket] : baskets) place(branch, basket);
        return;
    }
    placing = std::move(baskets);
    io.run([this] {
        for (auto& [branch, basket] : placing) place(branch, basket);
    });
}

void TreeWriter::Impl::finishPlacing() {
    io.wait();
    placing.clear();
}

TreeWriter::TreeWriter(FileWriter& file, FileWriter::DirectoryId dir, std::string name,
                       std::string title, std::vector<BranchSpec> branches,
                       TreeWriteOptions options)
    : impl_(std::make_unique<Impl>(file, dir, std::move(name), std::move(title),
                                   std::move(branches), options)) {
    auto& impl = *impl_;
    if (impl.name.empty()) throw UsageError("a tree needs a name");
    if (options.basket_bytes < 1 || options.basket_bytes > kMaxBasketBytes)
        throw UsageError(fmt::format("tree '{}': basket_bytes {} outside 1..{}", impl.name,
                                     options.basket_bytes, kMaxBasketBytes));
    if (options.cluster_entries < 0)
        throw UsageError(fmt::format("tree '{}': negative cluster_entries", impl.name));
    if (options.cluster_entries == 0 && options.auto_cluster_bytes < 1)
        throw UsageError(fmt::format("tree '{}': auto_cluster_bytes must be positive", impl.name));
    impl.plan = planTree(impl.specs, file.options().compression);
    impl.cluster_size = options.cluster_entries;
    // Baskets carry the file's date, like every other key (fixed in reproducible files).
    const std::uint32_t datime = file.datime();
    const std::uint64_t seek_pdir = file.directorySeek(dir);
    const std::size_t count = impl.plan.branches.size();
    impl.builders.reserve(count);
    impl.key_infos.resize(count);
    impl.records.resize(count);
    for (std::size_t b = 0; b < count; ++b) {
        const auto& branch = impl.plan.branches[b];
        auto& info = impl.key_infos[b];
        info.branch_name = branch.name;
        info.tree_name = impl.name;
        info.datime = datime;
        info.seek_pdir = seek_pdir;
        info.basket_size = static_cast<std::int32_t>(options.basket_bytes);
        info.entry_offsets = branch.hasEntryOffsets();
        info.entry_size = static_cast<std::int32_t>(branch.entrySize());
        // fKeylen is an int16: the names in every basket key must fit it.
        if (basketKeylen(info) > std::numeric_limits<std::int16_t>::max())
            throw UsageError(
                fmt::format("tree '{}': branch name of {} bytes is too long for "
                            "a basket key",
                            impl.name, branch.name.size()));
        impl.builders.emplace_back(branch, options.basket_bytes, basketKeylen(info), impl.pool);
        impl.records[b].plan = &impl.plan.branches[b];
        impl.records[b].basket_size = info.basket_size;
    }
}

TreeWriter::~TreeWriter() = default;

std::int64_t TreeWriter::numEntries() const {
    return impl_->entries;
}

void TreeWriter::write(const frame::ColumnBatch& batch) {
    auto& impl = *impl_;
    impl.checkUsable("write()");
    const std::int64_t n = batch.num_entries;
    // Check everything before changing any state: a rejected batch leaves the tree as it was.
    std::vector<Column> made_counters;
    const auto columns =
        checkBatch(impl.plan, impl.specs, batch, impl.name, impl.entries, made_counters);
    if (n == 0) return;

    const BatchSizes sizes(impl.plan, columns, static_cast<std::size_t>(n));
    std::int64_t new_cluster_size = 0;
    std::int64_t new_auto_bytes = 0;
    const auto segments = impl.segmentsOf(n, new_cluster_size, new_auto_bytes, sizes);
    try {
        std::size_t begin = 0;
        const auto count_entries = static_cast<std::size_t>(n);
        while (begin < count_entries) {
            const std::size_t end =
                sizes.firstReaching(sizes.before(begin) + kSliceBytes, begin, count_entries);
            const auto slice_begin = static_cast<std::int64_t>(begin);
            const auto slice_end = static_cast<std::int64_t>(end);
            // Written while the next slice is filled and compressed.
            impl.placeInBackground(impl.fillAndEncode(columns, segments, slice_begin, slice_end));
            begin = end;
        }
        impl.finishPlacing();
        impl.cluster_size = new_cluster_size;
        impl.auto_bytes = new_auto_bytes;
        impl.entries += n;
    } catch (...) {
        impl.failed = true;
        try {
            impl.finishPlacing();
        } catch (...) {
            // The first error is the one to report; the writer is failed either way.
        }
        throw;
    }
}

Key TreeWriter::close() {
    auto& impl = *impl_;
    impl.checkUsable("close()");
    try {
        auto last = impl.encodeClosed([&](std::size_t b, std::vector<BasketContent>& closed) {
            impl.builders[b].flush(closed);
        });
        for (auto& [branch, basket] : last) impl.place(branch, basket);

        TreeRecord tree;
        tree.name = impl.name;
        tree.title = impl.title;
        tree.entries = impl.entries;
        tree.auto_flush = impl.cluster_size > 0 ? impl.cluster_size : impl.entries;
        for (std::size_t b = 0; b < impl.records.size(); ++b) {
            auto& record = impl.records[b];
            record.entries = impl.builders[b].numEntries();
            record.maximum = impl.builders[b].maximum();
            tree.branches.push_back(record);
        }

        impl.file.requireStreamer("TTree");
        impl.file.requireStreamer("TBranch");
        bool elements = false;
        std::set<std::string> containers;
        for (const auto& branch : impl.plan.branches) {
            if (!branch.isElement()) continue;
            elements = true;
            if (branch.container_info && containers.insert(branch.class_name).second)
                impl.file.addStreamerInfo(branch.container_info);
        }
        if (elements) impl.file.requireStreamer("TBranchElement");
        for (const auto& leaf_class : leafClassesOf(tree)) impl.file.requireStreamer(leaf_class);

        Key key = impl.file.writeObject(impl.dir, "TTree", impl.name, impl.title,
                                        [&](ByteWriter& out) { writeTreePayload(out, tree); });
        impl.closed = true;
        return key;
    } catch (...) {
        impl.failed = true;
        throw;
    }
}

}  // namespace hepflow::root
