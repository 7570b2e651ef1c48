// A real ROOT file past 2 GB (CTest labels slow + jsroot): an uncompressed tree of ~2.2 GB whose
// baskets cross 2e9 (ROOT's big-file threshold) and 2^31, then a nested directory, a small tree
// of every common branch kind and TH1Ds, all past 2^31. hepflow's reader and JSROOT must both
// read it back exactly: 64-bit seeks in the header, keys, directories and basket tables.
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "root/directory.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "root/writer/file_writer.h"
#include "root/writer/histogram_writer.h"
#include "root/writer/tree_writer.h"

namespace hepflow {
namespace {

namespace fs = std::filesystem;
using frame::Column;
using frame::DType;
using nlohmann::json;
using root::BranchSpec;
using root::CompressionAlgorithm;
using root::CompressionSetting;
using root::FileWriter;

// Only JSROOT runs as a separate program here; hepflow is read in-process.
const jsroot::Tools kTools{"", HEPFLOW_NODE, HEPFLOW_ROOTDUMP};

constexpr std::uint64_t k2GiB = std::uint64_t{1} << 31;
// The file holds ~2.2 GB; with the fsync and the readers, 3 GB free is the least that works.
constexpr std::uintmax_t kNeededSpace = std::uintmax_t{3} << 30;
// The bulk tree: one Long64_t branch in 64 MiB baskets, one basket per cluster and batch.
constexpr std::int64_t kBulkBasketEntries = std::int64_t{8} << 20;
constexpr std::int64_t kBulkBaskets = 33;  // 33 * 64 MiB = 2.21e9 bytes: past 2^31
constexpr std::int64_t kBulkEntries = kBulkBaskets * kBulkBasketEntries;
// The small tree past 2 GB, read whole by JSROOT.
constexpr std::int64_t kSmallEntries = 5000;

// ---------------------------------------------------------------- the small tree's values

std::int32_t intValue(std::int64_t e) {
    return static_cast<std::int32_t>((e * 7919) % 10007) - 5000;
}
double doubleValue(std::int64_t e) {
    return static_cast<double>(e) * 0.25 - 100;
}
// Muon_pt: e % 4 items, exact in float.
float muonValue(std::int64_t e, std::int64_t k) {
    return static_cast<float>(e) + 1.0f + 0.5f * static_cast<float>(k);
}
// v (std::vector<Long64_t>): e % 3 items.
std::int64_t vectorValue(std::int64_t e, std::int64_t k) {
    return e * 100003 + k;
}
std::string stringValue(std::int64_t e) {
    return "s" + std::to_string(e * 13);
}

BranchSpec branch(std::string name, DType dtype) {
    BranchSpec spec;
    spec.name = std::move(name);
    spec.dtype = dtype;
    return spec;
}

struct SmallTree {
    std::vector<BranchSpec> specs;
    frame::ColumnBatch batch;
};

SmallTree smallTree() {
    SmallTree tree;
    const CompressionSetting zstd{CompressionAlgorithm::Zstd, 5};
    const CompressionSetting lz4{CompressionAlgorithm::Lz4, 4};
    tree.specs = {branch("i", DType::Int32), branch("d", DType::Float64),
                  branch("Muon_pt", DType::Float32), branch("v", DType::Int64),
                  branch("s", DType::String)};
    tree.specs[1].compression = zstd;  // compressed baskets past 2 GB too
    tree.specs[2].compression = lz4;
    tree.specs[2].levels = 1;
    tree.specs[3].levels = 1;
    tree.specs[3].layout = root::JaggedLayout::Vector;
    Column i(DType::Int32), d(DType::Float64), muon(DType::Float32, 1), v(DType::Int64, 1),
        s(DType::String);
    for (std::int64_t e = 0; e < kSmallEntries; ++e) {
        i.append(intValue(e));
        d.append(doubleValue(e));
        for (std::int64_t k = 0; k < e % 4; ++k) muon.append(muonValue(e, k));
        muon.offsets(0).push_back(muon.offsets(0).back() + e % 4);
        for (std::int64_t k = 0; k < e % 3; ++k) v.append(vectorValue(e, k));
        v.offsets(0).push_back(v.offsets(0).back() + e % 3);
        s.appendString(stringValue(e));
    }
    tree.batch.num_entries = kSmallEntries;
    tree.batch.columns = {{"i", std::move(i)},
                          {"d", std::move(d)},
                          {"Muon_pt", std::move(muon)},
                          {"v", std::move(v)},
                          {"s", std::move(s)}};
    return tree;
}

root::Histogram1D histogram(const std::string& name, int shift) {
    root::Histogram1D h(name, "past 2 GB", 20, 0, 20);
    for (int i = 0; i < 1000; ++i) h.fill((i * 7 + shift) % 23);
    return h;
}

// ---------------------------------------------------------------- writing

// The bulk tree (one batch per basket, values = entry numbers, cheap to make and to check),
// then everything else past it. Returns nothing; throws on failure.
void writeBigFile(const std::string& path, const SmallTree& small) {
    root::FileWriteOptions options;
    options.compression = {CompressionAlgorithm::None, 0};
    options.reproducible = true;
    auto file = FileWriter::create(path, options);
    // Written first (below 2 GB); its directory's keys list ends up past it at commit.
    writeHistogram(*file, file->directory("early"), histogram("h", 1));

    root::TreeWriteOptions bulk_options;
    bulk_options.basket_bytes = kBulkBasketEntries * 8;
    bulk_options.cluster_entries = kBulkBasketEntries;
    root::TreeWriter bulk(*file, FileWriter::kTopDirectory, "bulk", "2.2 GB of Long64_t",
                          {branch("x", DType::Int64)}, bulk_options);
    frame::ColumnBatch batch;
    batch.num_entries = kBulkBasketEntries;
    batch.columns.emplace_back("x", Column(DType::Int64));
    auto& values = batch.columns.front().second;
    values.bytes().resize(static_cast<std::size_t>(kBulkBasketEntries) * 8);
    for (std::int64_t basket = 0; basket < kBulkBaskets; ++basket) {
        const auto x = values.values<std::int64_t>();
        std::iota(x.begin(), x.end(), basket * kBulkBasketEntries);
        batch.first_entry = basket * kBulkBasketEntries;
        bulk.write(batch);
    }
    bulk.close();

    const auto deep = file->directory("deep/er");
    root::TreeWriter tree(*file, deep, "small", "past 2 GB", small.specs);
    tree.write(small.batch);
    tree.close();
    writeHistogram(*file, deep, histogram("h", 0));
    writeHistogram(*file, FileWriter::kTopDirectory, histogram("h_top", 5));
    file->commit();
}

// ---------------------------------------------------------------- hepflow's reader

void expectSameColumn(const Column& expected, const Column& got, const std::string& what) {
    EXPECT_EQ(got.dtype(), expected.dtype()) << what;
    ASSERT_EQ(got.levels(), expected.levels()) << what;
    for (std::size_t level = 0; level < expected.levels(); ++level)
        EXPECT_EQ(got.offsets(level), expected.offsets(level)) << what << " level " << level;
    EXPECT_TRUE(got.bytes() == expected.bytes()) << what << ": values differ";
}

void expectEntryNumbers(const root::Tree& tree, std::int64_t begin, std::int64_t end) {
    const Column x = tree.readBranch(*tree.findBranch("x"), begin, end);
    const auto values = x.values<std::int64_t>();
    ASSERT_EQ(static_cast<std::int64_t>(values.size()), end - begin);
    std::int64_t wrong = 0;
    for (std::int64_t e = begin; e < end; ++e)
        wrong += values[static_cast<std::size_t>(e - begin)] != e ? 1 : 0;
    EXPECT_EQ(wrong, 0) << "bulk entries [" << begin << ", " << end << ")";
}

void checkWithHepflow(const std::string& path, const SmallTree& small) {
    const auto file = root::RootFile::open(path);
    const root::FileHeader& header = file->header();
    EXPECT_TRUE(header.big);
    EXPECT_EQ(header.fVersion, root::kWriterRootVersion + 1000000);
    EXPECT_EQ(header.fUnits, 8);
    EXPECT_EQ(header.fEND, fs::file_size(path));
    EXPECT_GT(header.fEND, k2GiB);
    EXPECT_GT(header.fSeekInfo, k2GiB);
    EXPECT_GT(header.fSeekFree, k2GiB);

    // Keys before and after the boundary; big keys exactly where ROOT uses them.
    const root::Key& early = file->findKey("early/h");
    EXPECT_LT(early.fSeekKey, root::kStartBigFile);
    EXPECT_FALSE(early.isBig());
    for (const char* name : {"bulk", "deep", "deep/er", "deep/er/small", "deep/er/h", "h_top"}) {
        const root::Key& key = file->findKey(name);
        EXPECT_GT(key.fSeekKey, k2GiB) << name;
        EXPECT_TRUE(key.isBig()) << name;
    }
    const root::Directory* er = file->topDirectory().subdirectory("deep")->subdirectory("er");
    ASSERT_NE(er, nullptr);
    EXPECT_GT(er->header().fSeekDir, k2GiB);
    EXPECT_GT(er->header().fVersion, 1000);
    EXPECT_GT(file->topDirectory().subdirectory("early")->header().fSeekKeys, k2GiB);
    EXPECT_EQ(file->readPayload(file->findKey("deep/er/h"), "deep/er/h").bytes.size(),
              file->readPayload(early, "early/h").bytes.size());

    // The bulk tree: baskets on both sides of 2e9 and 2^31, one of them across each.
    const auto bulk = root::Tree::open(*file, "bulk");
    ASSERT_EQ(bulk->numEntries(), kBulkEntries);
    const auto& info = bulk->branchInfo(*bulk->findBranch("x"));
    ASSERT_EQ(info.baskets.size(), static_cast<std::size_t>(kBulkBaskets));
    const auto straddles = [&](std::uint64_t boundary) {
        for (const auto& basket : info.baskets)
            if (basket.seek < boundary &&
                basket.seek + static_cast<std::uint64_t>(basket.bytes) > boundary)
                return basket.first_entry;
        return std::int64_t{-1};
    };
    const std::int64_t across_2e9 = straddles(root::kStartBigFile);
    const std::int64_t across_2gib = straddles(k2GiB);
    ASSERT_GE(across_2e9, 0) << "no basket crosses 2e9";
    ASSERT_GE(across_2gib, 0) << "no basket crosses 2^31";
    expectEntryNumbers(*bulk, 0, 1000);
    expectEntryNumbers(*bulk, across_2e9, across_2e9 + kBulkBasketEntries);
    expectEntryNumbers(*bulk, across_2gib, across_2gib + kBulkBasketEntries);
    expectEntryNumbers(*bulk, kBulkEntries - 1000, kBulkEntries);

    // The small tree, whole and exact.
    const auto tree = root::Tree::open(*file, "deep/er/small");
    ASSERT_EQ(tree->numEntries(), kSmallEntries);
    for (const auto& [name, column] : small.batch.columns) {
        const root::TBranch* branch = tree->findBranch(name);
        ASSERT_NE(branch, nullptr) << name;
        for (const auto& basket : tree->branchInfo(*branch).baskets)
            EXPECT_GT(basket.seek, k2GiB) << name;
        expectSameColumn(column, tree->readBranch(*branch), name);
    }
}

// ---------------------------------------------------------------- JSROOT

const json* findByKey(const json& list, const char* key, const std::string& value) {
    for (const auto& item : list)
        if (item.value(key, "") == value) return &item;
    return nullptr;
}

// count, sum, min, max and the first 3 values, as rootdump.mjs computes them.
json numberStats(const std::vector<double>& values) {
    json out = {{"count", values.size()}, {"sum", 0.0}};
    double sum = 0;
    for (const double v : values) sum += v;
    out["sum"] = sum;
    if (!values.empty()) {
        out["min"] = *std::min_element(values.begin(), values.end());
        out["max"] = *std::max_element(values.begin(), values.end());
    }
    out["first"] = std::vector<double>(values.begin(),
                                       values.begin() + std::min<std::size_t>(3, values.size()));
    return out;
}

void expectValues(const json& tree, const std::string& branch, const json& expected) {
    const json* record = findByKey(tree.at("branches"), "name", branch);
    ASSERT_NE(record, nullptr) << "JSROOT shows no branch " << branch;
    EXPECT_FALSE(record->contains("error")) << branch << ": " << record->dump();
    const json& values = record->contains("strings") ? record->at("strings") : record->at("values");
    for (const auto& [field, value] : expected.items())
        EXPECT_EQ(values.at(field), value) << branch << "." << field << " in " << values.dump();
}

void checkWithJsroot(const std::string& path) {
    // JSROOT reads the first entries of the bulk tree (at the start of the file) and all of
    // the small tree (past 2^31), through 64-bit keys and basket seeks.
    const json dump = jsroot::jsrootDump(
        kTools, path, {"--max-entries", std::to_string(kSmallEntries), "--first", "3"});
    ASSERT_FALSE(dump.contains("errors")) << dump["errors"].dump();
    for (const char* key :
         {"early", "early/h", "bulk", "deep", "deep/er", "deep/er/small", "deep/er/h", "h_top"})
        EXPECT_NE(findByKey(dump.at("keys"), "path", key), nullptr) << "JSROOT lists no " << key;

    const json* small = findByKey(dump.at("trees"), "path", "deep/er/small");
    ASSERT_NE(small, nullptr);
    EXPECT_EQ(small->at("entries"), kSmallEntries);
    std::vector<double> ints, doubles, muons, counts, vectors;
    std::int64_t string_length = 0;
    for (std::int64_t e = 0; e < kSmallEntries; ++e) {
        ints.push_back(intValue(e));
        doubles.push_back(doubleValue(e));
        counts.push_back(static_cast<double>(e % 4));
        for (std::int64_t k = 0; k < e % 4; ++k) muons.push_back(muonValue(e, k));
        for (std::int64_t k = 0; k < e % 3; ++k)
            vectors.push_back(static_cast<double>(vectorValue(e, k)));
        string_length += static_cast<std::int64_t>(stringValue(e).size());
    }
    expectValues(*small, "i", numberStats(ints));
    expectValues(*small, "d", numberStats(doubles));
    expectValues(*small, "nMuon", numberStats(counts));
    expectValues(*small, "Muon_pt", numberStats(muons));
    expectValues(*small, "v", numberStats(vectors));
    expectValues(*small, "s",
                 {{"count", kSmallEntries},
                  {"total_length", string_length},
                  {"first", {stringValue(0), stringValue(1), stringValue(2)}}});

    const json* bulk = findByKey(dump.at("trees"), "path", "bulk");
    ASSERT_NE(bulk, nullptr);
    EXPECT_EQ(bulk->at("entries"), kBulkEntries);
    std::vector<double> first_entries(static_cast<std::size_t>(kSmallEntries));
    std::iota(first_entries.begin(), first_entries.end(), 0.0);
    expectValues(*bulk, "x", numberStats(first_entries));

    ASSERT_TRUE(dump.contains("histograms"));
    for (const char* name : {"early/h", "deep/er/h", "h_top"}) {
        const json* h = findByKey(dump.at("histograms"), "path", name);
        ASSERT_NE(h, nullptr) << name;
        EXPECT_EQ(h->at("entries"), 1000) << name;
        EXPECT_EQ(h->at("sum_of_cells_with_flow"), 1000) << name;
    }
}

// The temporary folder, or /dev/shm (memory) when the disk is short of room, as on small CI
// machines; empty when neither has kNeededSpace free.
std::string roomyFolder(std::string& tried) {
    for (const fs::path& candidate : {fs::temp_directory_path(), fs::path("/dev/shm")}) {
        std::error_code ec;
        const auto space = fs::space(candidate, ec);
        if (!ec && space.available >= kNeededSpace) return candidate.string();
        tried += fmt::format("{} ({} bytes free) ", candidate.string(), ec ? 0 : space.available);
    }
    return {};
}

TEST(BigFile, KeysAndSeeksPast2GBReadBackInHepflowAndJsroot) {
    std::string tried;
    const std::string parent = roomyFolder(tried);
    ASSERT_FALSE(parent.empty()) << "the 2 GB file test needs 3 GiB free; tried " << tried
                                 << "(set TMPDIR to a folder with room)";
    jsroot::ScratchDir folder(parent);
    const std::string path = folder.file("big.root");

    const SmallTree small = smallTree();
    writeBigFile(path, small);
    EXPECT_EQ(folder.contents(), std::vector<std::string>{"big.root"});
    ASSERT_GT(fs::file_size(path), k2GiB + (std::uint64_t{64} << 20));
    checkWithHepflow(path, small);
    checkWithJsroot(path);
}

}  // namespace
}  // namespace hepflow
