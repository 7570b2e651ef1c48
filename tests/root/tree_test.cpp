// Tests of the TTree reading core on tests/data: every plain TBranch of the golden files against
// JSROOT's values in expected.json, every basket of every file, entry ranges against slices, the
// single vectored read of readBranches, Float16_t/Double32_t on hand-made baskets, and damaged or
// truncated copies that must throw hepflow::Error naming file, branch and offset.
#include "root/tree/tree.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "root/endian.h"
#include "root/root_file.h"
#include "root/tree/basic_interpretation.h"
#include "root/tree/basket.h"
#include "root/tree/tree_streamer.h"
#include "support/test_support.h"

namespace hepflow::root {
namespace {

using frame::Column;
using frame::DType;
using nlohmann::json;
using test::dataPath;
using test::fileBytes;
using test::openMemory;

const json& expectedFile(std::string_view name) {
    return test::expectedJson().at("files").at(std::string(name));
}

// ---- value statistics, computed the way rootdump.mjs does (NaN counted apart) ----

struct NumericStats {
    std::int64_t count = 0;
    std::int64_t nan_count = 0;
    double sum = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    std::vector<double> first;
};

template <class F>
void forEachValue(const Column& column, F&& f) {
    if (column.dtype() == DType::String || column.dtype() == DType::Struct)
        FAIL() << "not a numeric column: " << frame::dtypeName(column.dtype());
    visitNumericDType(column.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        for (T value : column.values<T>()) f(static_cast<double>(value));
    });
}

NumericStats numericStats(const Column& column) {
    NumericStats stats;
    forEachValue(column, [&](double value) {
        ++stats.count;
        if (stats.first.size() < 5) stats.first.push_back(value);
        if (std::isnan(value)) {
            ++stats.nan_count;
            return;
        }
        stats.sum += value;
        stats.min = std::min(stats.min, value);
        stats.max = std::max(stats.max, value);
    });
    return stats;
}

double expectedNumber(const json& value) {
    if (value.is_string()) {
        const auto text = value.get<std::string>();
        if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
        if (text == "Infinity") return std::numeric_limits<double>::infinity();
        if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
        ADD_FAILURE() << "unexpected number text " << text;
    }
    return value.get<double>();
}

void expectSameNumber(double actual, double wanted, const std::string& what) {
    if (std::isnan(wanted)) {
        EXPECT_TRUE(std::isnan(actual)) << what;
    } else {
        EXPECT_DOUBLE_EQ(actual, wanted) << what;
    }
}

void checkValues(const Column& column, const json& values, const std::string& what) {
    const NumericStats stats = numericStats(column);
    EXPECT_EQ(stats.count, values.at("count").get<std::int64_t>()) << what;
    EXPECT_EQ(stats.nan_count, values.value("nan_count", std::int64_t{0})) << what;
    const double sum = values.at("sum").get<double>();
    EXPECT_NEAR(stats.sum, sum, 1e-9 * std::max(1.0, std::abs(sum))) << what;
    if (values.contains("min")) {
        expectSameNumber(stats.min, values.at("min").get<double>(), what + " min");
        expectSameNumber(stats.max, values.at("max").get<double>(), what + " max");
    }
    const auto& first = values.at("first");
    ASSERT_EQ(stats.first.size(), first.size()) << what;
    for (std::size_t i = 0; i < first.size(); ++i)
        expectSameNumber(stats.first[i], expectedNumber(first[i]),
                         fmt::format("{} first[{}]", what, i));
}

void checkLengths(const Column& column, const json& lengths, const std::string& what) {
    ASSERT_GE(column.levels(), 1u) << what << " should be jagged";
    const auto& offsets = column.offsets(0);
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        ASSERT_LT(i + 1, offsets.size()) << what;
        EXPECT_EQ(offsets[i + 1] - offsets[i], lengths[i].get<std::int64_t>())
            << what << " length of entry " << i;
    }
}

void checkStrings(const Column& column, const json& strings, const std::string& what) {
    ASSERT_EQ(column.dtype(), DType::String) << what;
    EXPECT_EQ(static_cast<std::int64_t>(column.numStrings()),
              strings.at("count").get<std::int64_t>())
        << what;
    EXPECT_EQ(static_cast<std::int64_t>(column.bytes().size()),
              strings.at("total_length").get<std::int64_t>())
        << what;
    const auto& first = strings.at("first");
    for (std::size_t i = 0; i < first.size(); ++i)
        EXPECT_EQ(column.stringAt(i), first[i].get<std::string>()) << what << " string " << i;
}

// Compares a decoded column with one branch entry of expected.json.
void checkBranchValues(const Column& column, const json& branch, const std::string& what) {
    const auto entries = branch.value("entries_read", branch.at("entries").get<std::int64_t>());
    if (branch.contains("members")) {
        ASSERT_EQ(column.dtype(), DType::Struct) << what;
        EXPECT_EQ(column.length(), entries) << what;
        const auto& members = branch.at("members");
        ASSERT_EQ(column.members().size(), members.size()) << what;
        for (const auto& [name, member] : column.members()) {
            ASSERT_TRUE(members.contains(name)) << what << " member " << name;
            checkValues(member, members.at(name), what + name);
        }
        return;
    }
    EXPECT_EQ(column.length(), entries) << what;
    if (branch.contains("strings")) return checkStrings(column, branch.at("strings"), what);
    if (column.dtype() == DType::String) {  // an empty char* branch has empty "values"
        EXPECT_EQ(static_cast<std::int64_t>(column.numStrings()),
                  branch.at("values").at("count").get<std::int64_t>());
        return;
    }
    if (branch.contains("lengths_first")) checkLengths(column, branch.at("lengths_first"), what);
    checkValues(column, branch.at("values"), what);
}

std::string expectedCompression(CompressionAlgorithm algorithm) {
    return std::string(algorithmName(algorithm));
}

// ---- golden files ----

class GoldenTreeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTreeTest, PlainBranchesMatchJsroot) {
    const std::string file_name = GetParam();
    const auto file = RootFile::open(dataPath(file_name));
    for (const auto& tree_json : expectedFile(file_name).at("trees")) {
        const std::string tree_path = tree_json.at("path");
        SCOPED_TRACE(file_name + ":" + tree_path);
        const auto tree = Tree::open(*file, tree_path);
        EXPECT_EQ(tree->path(), tree_path);
        EXPECT_EQ(tree->name(), tree_json.at("name").get<std::string>());
        EXPECT_EQ(tree->title(), tree_json.at("title").get<std::string>());
        EXPECT_EQ(tree->className(), tree_json.at("class").get<std::string>());
        EXPECT_EQ(tree->numEntries(), tree_json.at("entries").get<std::int64_t>());

        // Same branches, same depth-first order, duplicates included.
        const auto& branches_json = tree_json.at("branches");
        ASSERT_EQ(tree->branches().size(), branches_json.size());
        int checked = 0;
        for (std::size_t i = 0; i < branches_json.size(); ++i) {
            const json& expected_branch = branches_json[i];
            const TBranch& branch = *tree->branches()[i];
            const std::string what = fmt::format("{}:{}", tree_path, branch.path);
            ASSERT_EQ(branch.path, expected_branch.at("path").get<std::string>());
            EXPECT_EQ(branch.class_name, expected_branch.at("class").get<std::string>()) << what;
            EXPECT_EQ(branch.fTitle, expected_branch.at("title").get<std::string>()) << what;
            EXPECT_EQ(branch.fLeaves.size(), expected_branch.at("leaves").size()) << what;
            const BranchInfo& info = tree->branchInfo(branch);
            EXPECT_EQ(info.num_disk_baskets, expected_branch.at("baskets").get<int>()) << what;
            if (branch.is_element) continue;  // element interpretations are tested elsewhere

            ASSERT_NE(info.interpretation, nullptr) << what << ": " << info.unsupported;
            const json& compression = expected_branch.at("basket_compression");
            if (compression.is_string()) {
                const std::string text = compression;
                if (text == "in-tree") {
                    EXPECT_EQ(info.num_disk_baskets, 0) << what;
                    EXPECT_GT(info.num_embedded_baskets, 0) << what;
                    EXPECT_FALSE(tree->firstBasketCompression(branch).has_value()) << what;
                } else {
                    const auto algorithm = tree->firstBasketCompression(branch);
                    ASSERT_TRUE(algorithm.has_value()) << what;
                    EXPECT_EQ(expectedCompression(*algorithm), text) << what;
                }
            } else if (compression.is_null()) {
                EXPECT_TRUE(info.baskets.empty()) << what;
            }

            const Column column = tree->readBranch(branch);
            if (expected_branch.contains("error")) {
                // ai1 (Char_t[3]): JSROOT has no values, but the shape is known.
                EXPECT_EQ(column.length(), expected_branch.at("entries").get<std::int64_t>());
                EXPECT_EQ(column.numValues(), 3 * static_cast<std::size_t>(column.length()));
                continue;
            }
            checkBranchValues(column, expected_branch, what);
            ++checked;
        }
        if (tree_path != "three/tree") {
            EXPECT_GT(checked, 0);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Files, GoldenTreeTest,
    ::testing::Values("uproot-HZZ.root", "uproot-HZZ-lzma.root", "uproot-HZZ-lz4.root",
                      "uproot-HZZ-zstd.root", "uproot-HZZ-uncompressed.root", "uproot-Zmumu.root",
                      "uproot-sample-6.20.04-zlib.root", "nanoAOD_2015_CMS_Open_Data_ttbar.root",
                      "TNtuple.root", "tree_with_large_array_lzma.root", "uproot-leaflist.root",
                      "uproot-nesteddirs.root", "string-example.root"),
    [](const auto& info) {
        std::string name = info.param;
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

// Every tree of every test file opens, and every basket of every branch (TBranchElement ones
// too) parses, decompresses and splits into data and entry offsets with the entry count its
// branch expects: all 1,232 on-disk baskets and the embedded ones.
TEST(TreeTest, EveryBasketOfEveryFileParses) {
    int disk_baskets = 0;
    int embedded_baskets = 0;
    for (const auto& [file_name, file_json] : test::expectedJson().at("files").items()) {
        const auto file = RootFile::open(dataPath(file_name));
        for (const auto& tree_json : file_json.at("trees")) {
            SCOPED_TRACE(file_name + ":" + tree_json.at("path").get<std::string>());
            const auto tree = Tree::open(*file, tree_json.at("path").get<std::string>());
            for (const TBranch* branch : tree->branches()) {
                const BranchInfo& info = tree->branchInfo(*branch);
                // Parents of split objects have entries but no baskets of their own.
                if (!info.baskets.empty()) {
                    EXPECT_EQ(info.num_entries, branch->fEntries) << branch->path;
                }
                for (const BasketSlot& slot : info.baskets) {
                    if (!slot.onDisk()) {
                        ++embedded_baskets;
                        EXPECT_EQ(slot.embedded->has_entry_offsets, branch->fEntryOffsetLen > 0);
                        continue;
                    }
                    BasketLocation where{file->url(), branch->path, slot.index, slot.seek,
                                         branch->fEntryOffsetLen > 0};
                    const Basket basket =
                        Basket::read(file->source().read(slot.seek, slot.bytes), where);
                    EXPECT_EQ(basket.numEntries(), slot.num_entries) << branch->path;
                    EXPECT_EQ(basket.entryOffsets().empty(), branch->fEntryOffsetLen == 0)
                        << branch->path;
                    EXPECT_EQ(basket.header().key.fCycle, slot.index) << branch->path;
                    ++disk_baskets;
                }
            }
        }
    }
    EXPECT_EQ(disk_baskets, 1232);
    EXPECT_EQ(embedded_baskets, 947);
}

TEST(TreeTest, InterpretationsDescribeTheLeaves) {
    const auto file = RootFile::open(dataPath("uproot-sample-6.20.04-zlib.root"));
    const auto tree = Tree::open(*file, "sample");
    const auto describe = [&](std::string_view path) {
        return tree->branchInfo(*tree->findBranch(path)).interpretation->describe();
    };
    EXPECT_EQ(describe("n"), "int32");
    EXPECT_EQ(describe("b"), "bool");
    EXPECT_EQ(describe("ab"), "bool[3]");
    EXPECT_EQ(describe("Ab"), "bool[n]");
    EXPECT_EQ(describe("u1"), "uint8");
    EXPECT_EQ(describe("Ai8"), "int64[n]");
    EXPECT_EQ(describe("str"), "char*");
    EXPECT_EQ(tree->branchInfo(*tree->findBranch("Af8")).interpretation->kind(),
              InterpretationKind::Jagged);
    EXPECT_EQ(tree->branchInfo(*tree->findBranch("f8")).interpretation->kind(),
              InterpretationKind::Flat);

    const auto leaflist_file = RootFile::open(dataPath("uproot-leaflist.root"));
    const auto leaflist = Tree::open(*leaflist_file, "tree");
    const auto& info = leaflist->branchInfo(*leaflist->findBranch("leaflist"));
    EXPECT_EQ(info.interpretation->describe(), "struct{x: float64, y: int32, z: int8}");
}

TEST(TreeTest, NanoAodEmbeddedAndOnDiskBaskets) {
    const auto file = RootFile::open(dataPath("nanoAOD_2015_CMS_Open_Data_ttbar.root"));
    const auto tree = Tree::open(*file, "Events");
    EXPECT_EQ(tree->branches().size(), 947u);
    // LHEPdfWeight: entries 0-75 and 76-151 on disk, 152-199 inside the TTree record.
    const TBranch* weights = tree->findBranch("LHEPdfWeight");
    ASSERT_NE(weights, nullptr);
    const BranchInfo& info = tree->branchInfo(*weights);
    ASSERT_EQ(info.baskets.size(), 3u);
    EXPECT_TRUE(info.baskets[0].onDisk());
    EXPECT_TRUE(info.baskets[1].onDisk());
    EXPECT_FALSE(info.baskets[2].onDisk());
    EXPECT_EQ(info.baskets[1].first_entry, 76);
    EXPECT_EQ(info.baskets[2].first_entry, 152);
    EXPECT_EQ(info.baskets[2].num_entries, 48);
    EXPECT_EQ(info.num_entries, 200);
    // A range across the disk/embedded boundary equals the slice of the full read.
    const Column full = tree->readBranch(*weights);
    const Column part = tree->readBranch(*weights, 150, 154);
    ASSERT_EQ(part.length(), 4);
    const auto& offsets = full.offsets(0);
    const auto values = full.values<float>();
    const auto part_values = part.values<float>();
    ASSERT_EQ(static_cast<std::int64_t>(part_values.size()), offsets[154] - offsets[150]);
    for (std::size_t i = 0; i < part_values.size(); ++i)
        EXPECT_EQ(part_values[i], values[offsets[150] + i]);
}

// All plain branches of the NanoAOD file in one call equal the branch-by-branch reads.
TEST(TreeTest, ReadBranchesEqualsSingleReads) {
    const auto file = RootFile::open(dataPath("nanoAOD_2015_CMS_Open_Data_ttbar.root"));
    const auto tree = Tree::open(*file, "Events");
    std::vector<const TBranch*> branches;
    for (const TBranch* branch : tree->branches())
        if (tree->branchInfo(*branch).interpretation) branches.push_back(branch);
    ASSERT_EQ(branches.size(), 947u);
    const auto columns = tree->readBranches(branches, 10, 190);
    ASSERT_EQ(columns.size(), branches.size());
    for (std::size_t k = 0; k < branches.size(); ++k) {
        const Column single = tree->readBranch(*branches[k], 10, 190);
        EXPECT_EQ(columns[k].length(), 180) << branches[k]->path;
        EXPECT_EQ(columns[k].bytes(), single.bytes()) << branches[k]->path;
        if (single.levels() > 0) {
            EXPECT_EQ(columns[k].offsets(0), single.offsets(0));
        }
    }
}

// The direct path (numeric branches decoded straight into their final column) and the
// per-basket path it falls back to give the same columns, for every branch of every tree of
// every test file, whole and over an entry range that cuts baskets.
TEST(TreeTest, DirectAndPerBasketPathsAgree) {
    int compared = 0;
    for (const auto& [file_name, file_json] : test::expectedJson().at("files").items()) {
        const auto file = RootFile::open(dataPath(file_name));
        for (const auto& tree_json : file_json.at("trees")) {
            SCOPED_TRACE(file_name + ":" + tree_json.at("path").get<std::string>());
            const auto tree = Tree::open(*file, tree_json.at("path").get<std::string>());
            std::vector<const TBranch*> branches;
            for (const TBranch* branch : tree->branches()) {
                const BranchInfo& info = tree->branchInfo(*branch);
                if (info.interpretation && !info.baskets.empty() &&
                    info.num_entries == tree->numEntries())
                    branches.push_back(branch);
            }
            if (branches.empty()) continue;
            const std::int64_t n = tree->numEntries();
            for (const auto& [begin, end] :
                 {std::pair<std::int64_t, std::int64_t>{0, -1}, {n / 3, n - n / 4}}) {
                const auto direct = tree->readBranches(branches, begin, end);
                const auto per_basket = tree->readBranchesPerBasket(branches, begin, end);
                ASSERT_EQ(direct.size(), branches.size());
                ASSERT_EQ(per_basket.size(), branches.size());
                for (std::size_t k = 0; k < branches.size(); ++k) {
                    const auto& a = direct[k];
                    const auto& b = per_basket[k];
                    EXPECT_EQ(a.dtype(), b.dtype()) << branches[k]->path;
                    EXPECT_EQ(a.length(), b.length()) << branches[k]->path;
                    EXPECT_EQ(a.bytes(), b.bytes()) << branches[k]->path;
                    ASSERT_EQ(a.levels(), b.levels()) << branches[k]->path;
                    for (std::size_t level = 0; level < a.levels(); ++level)
                        EXPECT_EQ(a.offsets(level), b.offsets(level)) << branches[k]->path;
                    ++compared;
                }
            }
        }
    }
    EXPECT_GT(compared, 1000);
}

TEST(TreeTest, ReadBranchesFetchesOnlyTheirBaskets) {
    const auto file = RootFile::open(dataPath("nanoAOD_2015_CMS_Open_Data_ttbar.root"));
    const auto tree = Tree::open(*file, "Events");
    const std::vector<const TBranch*> embedded_only = {
        tree->findBranch("nMuon"), tree->findBranch("Muon_pt"), tree->findBranch("run"),
        tree->findBranch("event"), tree->findBranch("Muon_charge")};
    const auto before = file->source().stats().snapshot();
    const auto columns = tree->readBranches(embedded_only);
    const auto after_embedded = file->source().stats().snapshot();
    EXPECT_EQ(after_embedded.count, before.count) << "embedded baskets need no request";
    EXPECT_EQ(columns[1].numValues(), 41u);

    std::vector<const TBranch*> with_disk = embedded_only;
    with_disk.back() = tree->findBranch("LHEPdfWeight");
    const auto mixed = tree->readBranches(with_disk);
    const auto after = file->source().stats().snapshot();
    const BranchInfo& info = tree->branchInfo(*with_disk.back());
    std::uint64_t basket_bytes = 0;
    for (const auto& slot : info.baskets)
        if (slot.onDisk()) basket_bytes += static_cast<std::uint64_t>(slot.bytes);
    EXPECT_LE(after.count - after_embedded.count, 2u);  // one readv, at most 2 merged requests
    EXPECT_GE(after.bytes - after_embedded.bytes, basket_bytes);
    EXPECT_LT(after.bytes - after_embedded.bytes, file->source().size() / 4);
    EXPECT_EQ(mixed[4].numValues(), 20400u);
}

// True when `part` equals the bytes of `whole` starting at `from`.
bool bytesAt(std::span<const std::byte> part, std::span<const std::byte> whole, std::size_t from) {
    return from + part.size() <= whole.size() &&
           std::equal(part.begin(), part.end(), whole.begin() + static_cast<std::ptrdiff_t>(from));
}

// Entry ranges (inside one basket, across basket boundaries, empty, up to the end) equal the
// slice of a full read.
TEST(TreeTest, EntryRangesEqualSlices) {
    struct Case {
        const char* file;
        const char* tree;
        const char* branch;
    };
    const Case cases[] = {
        {"uproot-HZZ.root", "events", "Muon_Px"},                  // jagged, 2 baskets
        {"uproot-sample-6.20.04-zlib.root", "sample", "Ai8"},      // jagged, many baskets
        {"uproot-sample-6.20.04-zlib.root", "sample", "str"},      // char*
        {"uproot-sample-6.20.04-zlib.root", "sample", "ai4"},      // fixed array
        {"uproot-leaflist.root", "tree", "leaflist"},              // struct
        {"tree_with_large_array_lzma.root", "t1", "float_array"},  // flat, 13 LZMA baskets
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(fmt::format("{}:{}", c.file, c.branch));
        const auto file = RootFile::open(dataPath(c.file));
        const auto tree = Tree::open(*file, c.tree);
        const TBranch& branch = *tree->findBranch(c.branch);
        const Column full = tree->readBranch(branch);
        const std::int64_t n = full.length();
        const std::vector<std::pair<std::int64_t, std::int64_t>> ranges = {
            {0, 1}, {1, 3}, {n / 3, n / 2}, {n - 1, n}, {n / 2, n / 2}, {0, n}, {n / 5, n}};
        for (const auto& [begin, end] : ranges) {
            const Column part = tree->readBranch(branch, begin, end);
            ASSERT_EQ(part.length(), end - begin) << begin << ".." << end;
            if (full.dtype() == DType::Struct) {
                for (std::size_t m = 0; m < full.members().size(); ++m) {
                    const Column& whole = full.members()[m].second;
                    const Column& slice = part.members()[m].second;
                    const std::size_t size = frame::dtypeSize(whole.dtype());
                    ASSERT_EQ(slice.bytes().size(), (end - begin) * size);
                    EXPECT_TRUE(bytesAt(slice.bytes(), whole.bytes(), begin * size));
                }
                continue;
            }
            if (full.dtype() == DType::String) {
                for (std::int64_t i = begin; i < end; ++i) {
                    EXPECT_EQ(part.stringAt(i - begin), full.stringAt(i));
                }
                continue;
            }
            const std::size_t size = frame::dtypeSize(full.dtype());
            if (full.levels() == 0) {
                ASSERT_EQ(part.bytes().size(), (end - begin) * size);
                EXPECT_TRUE(bytesAt(part.bytes(), full.bytes(), begin * size));
                continue;
            }
            const auto& offsets = full.offsets(0);
            for (std::int64_t i = begin; i <= end; ++i) {
                EXPECT_EQ(part.offsets(0)[i - begin], offsets[i] - offsets[begin]);
            }
            const std::size_t from = offsets[begin] * size;
            ASSERT_EQ(part.bytes().size(), (offsets[end] - offsets[begin]) * size);
            EXPECT_TRUE(bytesAt(part.bytes(), full.bytes(), from));
        }
        EXPECT_THROW(tree->readBranch(branch, 2, 1), UsageError);
        EXPECT_THROW(tree->readBranch(branch, 0, n + 1), UsageError);
    }
}

TEST(TreeTest, BranchesWithoutValuesAndForeignBranches) {
    const auto file = RootFile::open(dataPath("uproot-HZZ.root"));
    const auto tree = Tree::open(*file, "events");
    EXPECT_EQ(tree->findBranch("nope"), nullptr);
    TBranch stranger;
    EXPECT_THROW(tree->branchInfo(stranger), UsageError);
    EXPECT_THROW(Tree::open(*RootFile::open(dataPath("uproot-histograms.root")), "one"),
                 UsageError);
}

// ---- Float16_t / Double32_t and other decoders on hand-made baskets ----

BasketData makeBasket(const std::vector<std::byte>& data, std::int64_t entries,
                      const std::vector<std::int32_t>& offsets = {}) {
    BasketData basket;
    basket.data = data;
    basket.entry_offsets = offsets;
    basket.num_entries = entries;
    basket.origin = ByteOrigin{"memory", "branch test basket 0", 1000, false, 0};
    return basket;
}

TEST(TruncatedFloatTest, ParsesRangesLikeRoot) {
    TLeaf leaf;
    leaf.fTitle = "x[3]/[0,10,12]";
    parseLeafRange(leaf);
    EXPECT_EQ(leaf.range_min, 0);
    EXPECT_EQ(leaf.range_max, 10);
    EXPECT_EQ(leaf.range_bits, 12);
    leaf = TLeaf{};
    leaf.fTitle = "phi/[-pi, pi]";
    parseLeafRange(leaf);
    EXPECT_DOUBLE_EQ(leaf.range_min, -std::numbers::pi);
    EXPECT_DOUBLE_EQ(leaf.range_max, std::numbers::pi);
    EXPECT_EQ(leaf.range_bits, 32);
    leaf = TLeaf{};
    leaf.fTitle = "x[3]";  // a dimension, not a range
    parseLeafRange(leaf);
    EXPECT_EQ(leaf.range_bits, 0);
    leaf.fTitle = "y/[0,0,99]";  // illegal bit count: 32, as ROOT resets it
    parseLeafRange(leaf);
    EXPECT_EQ(leaf.range_bits, 32);
}

TEST(TruncatedFloatTest, DecodesScaledTruncatedAndPlainValues) {
    using Mode = TruncatedFloatSpec::Mode;
    // Scaled: [0, 8, 3 bits] stores i with value i * 8 / 2^3 = i.
    const auto scaled = TruncatedFloatSpec::fromRange(false, 0, 8, 3);
    ASSERT_EQ(scaled.mode, Mode::Scaled);
    std::vector<std::byte> data(8);
    storeBigEndian<std::uint32_t>(data.data(), 5);
    storeBigEndian<std::uint32_t>(data.data() + 4, 7);
    auto interpretation = makeTruncatedFloatInterpretation(DType::Float64, scaled, 1, false, "d");
    Column column = interpretation->makeColumn();
    interpretation->decode(makeBasket(data, 2), column);
    ASSERT_EQ(column.length(), 2);
    EXPECT_DOUBLE_EQ(column.values<double>()[0], 5.0);
    EXPECT_DOUBLE_EQ(column.values<double>()[1], 7.0);

    // Truncated (Float16_t default, 12 mantissa bits): 1.5 = exponent 127 and the top mantissa
    // bit, stored as 0x0800 (shifted left by 23 - 12); the sign is bit 13 of the stored mantissa.
    const auto truncated = TruncatedFloatSpec::fromRange(true, 0, 0, 0);
    ASSERT_EQ(truncated.mode, Mode::Truncated);
    ASSERT_EQ(truncated.nbits, 12);
    std::vector<std::byte> bytes = {std::byte{127}, std::byte{0x08}, std::byte{0x00},
                                    std::byte{127}, std::byte{0x28}, std::byte{0x00}};
    interpretation = makeTruncatedFloatInterpretation(DType::Float32, truncated, 1, false, "f");
    column = interpretation->makeColumn();
    interpretation->decode(makeBasket(bytes, 2), column);
    EXPECT_FLOAT_EQ(column.values<float>()[0], 1.5f);
    EXPECT_FLOAT_EQ(column.values<float>()[1], -1.5f);

    // Double32_t without a range is a float32 on disk.
    const auto plain = TruncatedFloatSpec::fromRange(false, 0, 0, 0);
    ASSERT_EQ(plain.mode, Mode::Float);
    std::vector<std::byte> floats(4);
    storeBigEndian<float>(floats.data(), 2.25f);
    interpretation = makeTruncatedFloatInterpretation(DType::Float64, plain, 1, false, "d");
    column = interpretation->makeColumn();
    interpretation->decode(makeBasket(floats, 1), column);
    EXPECT_EQ(column.values<double>()[0], 2.25);

    // Short data: FormatError at the basket's offset.
    column = interpretation->makeColumn();
    try {
        interpretation->decode(makeBasket(floats, 2), column);
        FAIL() << "expected FormatError";
    } catch (const FormatError& error) {
        EXPECT_EQ(error.file(), "memory");
        EXPECT_EQ(error.offset(), 1000u);
    }
}

TEST(BasicInterpretationTest, CountedArraysRejectBadOffsets) {
    auto interpretation = makeNumericInterpretation(DType::Int32, 1, true, "int32[n]");
    std::vector<std::byte> data(12);
    for (int i = 0; i < 3; ++i) storeBigEndian<std::int32_t>(data.data() + 4 * i, i + 1);
    Column column = interpretation->makeColumn();
    interpretation->decode(makeBasket(data, 2, {0, 4, 12}), column);
    EXPECT_EQ(column.offsets(0), (frame::Offsets{0, 1, 3}));
    column = interpretation->makeColumn();
    EXPECT_THROW(interpretation->decode(makeBasket(data, 2, {0, 6, 12}), column), FormatError);
    EXPECT_THROW(interpretation->decode(makeBasket(data, 2, {0, 4, 16}), column), FormatError);
    EXPECT_THROW(interpretation->decode(makeBasket(data, 2), column), FormatError);
}

TEST(BasicInterpretationTest, UnsupportedLeavesNameTheBranch) {
    TBranch branch;
    branch.fName = "list";
    branch.path = "parent/list";
    auto count = std::make_shared<TLeaf>();
    count->class_name = "TLeafI";
    count->fName = "n";
    auto x = std::make_shared<TLeaf>();
    x->class_name = "TLeafF";
    x->fName = "x";
    auto y = std::make_shared<TLeaf>();
    y->class_name = "TLeafD";
    y->fName = "y";
    y->fLeafCount = count;
    branch.fLeaves = {x, y};
    try {
        interpretLeafBranch(branch);
        FAIL() << "a leaf list with a counted leaf should be unsupported";
    } catch (const UnsupportedError& error) {
        EXPECT_EQ(error.object(), "parent/list");
        EXPECT_NE(error.message().find("'y'"), std::string::npos) << error.what();
    }
    auto element = std::make_shared<TLeaf>();
    element->class_name = "TLeafElement";
    branch.fLeaves = {element};
    EXPECT_THROW(interpretLeafBranch(branch), UnsupportedError);
    // A leaf list of scalars and a fixed array is a struct of flat and jagged members.
    x->fLen = 2;
    y->fLeafCount = nullptr;
    branch.fLeaves = {x, y};
    const auto interpretation = interpretLeafBranch(branch);
    const Column column = interpretation->makeColumn();
    ASSERT_EQ(column.members().size(), 2u);
    EXPECT_EQ(column.members()[0].first, ".x");
    EXPECT_EQ(column.members()[0].second.levels(), 1u);
    EXPECT_EQ(column.members()[1].second.levels(), 0u);
}

TEST(TreeTest, ParentsOfSplitObjectsHoldNoValues) {
    const auto file = RootFile::open(dataPath("uproot-small-evnt-tree-fullsplit.root"));
    const auto tree = Tree::open(*file, "tree");
    const TBranch& parent = *tree->findBranch("evt");
    const BranchInfo& info = tree->branchInfo(parent);
    ASSERT_NE(info.interpretation, nullptr) << info.unsupported;
    if (info.interpretation->kind() == InterpretationKind::NoData) {
        EXPECT_THROW(tree->readBranch(parent), UsageError);
    }
}

// ---- hand-built records ----

void append32(std::vector<std::byte>& out, std::uint32_t value) {
    out.resize(out.size() + 4);
    storeBigEndian<std::uint32_t>(out.data() + out.size() - 4, value);
}

// count + version + body, as every versioned object is streamed.
std::vector<std::byte> versioned(std::int16_t version, const std::vector<std::byte>& body) {
    std::vector<std::byte> out;
    append32(out, kByteCountMask | static_cast<std::uint32_t>(body.size() + 2));
    out.push_back(static_cast<std::byte>(version >> 8));
    out.push_back(static_cast<std::byte>(version & 0xFF));
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

// A TLeafI named "x" whose fLeafCount is another such leaf, `depth` levels down.
std::vector<std::byte> nestedLeaf(int depth) {
    std::vector<std::byte> named = {std::byte{0}, std::byte{1}};  // TObject version 1
    append32(named, 0);                                           // fUniqueID
    append32(named, 0x03000000);                                  // fBits
    for (int i = 0; i < 2; ++i) named.insert(named.end(), {std::byte{1}, std::byte{'x'}});
    std::vector<std::byte> leaf = versioned(1, named);
    for (std::uint32_t value : {1u, 4u, 0u}) append32(leaf, value);  // fLen, fLenType, fOffset
    leaf.insert(leaf.end(), {std::byte{0}, std::byte{0}});           // fIsRange, fIsUnsigned
    std::vector<std::byte> count;
    if (depth > 0) {
        count = nestedLeaf(depth - 1);
    } else {
        append32(count, 0);  // null pointer
    }
    leaf.insert(leaf.end(), count.begin(), count.end());
    std::vector<std::byte> leaf_i = versioned(2, leaf);
    append32(leaf_i, 0);  // fMinimum
    append32(leaf_i, 0);  // fMaximum
    const std::vector<std::byte> body = versioned(1, leaf_i);
    std::vector<std::byte> object;
    append32(object, kByteCountMask | static_cast<std::uint32_t>(4 + 7 + body.size()));
    append32(object, kNewClassTag);
    for (char c : std::string_view("TLeafI")) object.push_back(static_cast<std::byte>(c));
    object.push_back(std::byte{0});
    object.insert(object.end(), body.begin(), body.end());
    return object;
}

TEST(TreeStreamerTest, LeafCountChainsAreFollowedButNotTooDeep) {
    const std::vector<std::byte> shallow = nestedLeaf(5);
    ByteReader reader(shallow, ByteOrigin{"memory", "leaf", 0, false, 0});
    const auto leaf = std::dynamic_pointer_cast<TLeaf>(reader.readObjectAny(streamTreeObject));
    ASSERT_NE(leaf, nullptr);
    EXPECT_TRUE(reader.atEnd());
    EXPECT_EQ(leaf->class_name, "TLeafI");
    int chain = 0;
    for (const TLeaf* count = leaf->fLeafCount.get(); count; count = count->fLeafCount.get())
        ++chain;
    EXPECT_EQ(chain, 5);

    const std::vector<std::byte> deep = nestedLeaf(200);
    ByteReader deep_reader(deep, ByteOrigin{"memory", "leaf", 0, false, 0});
    EXPECT_THROW(deep_reader.readObjectAny(streamTreeObject), FormatError);
}

// ---- corrupted files ----

struct Damaged {
    std::vector<std::byte> bytes;
    std::uint64_t seek = 0;
    std::int32_t keylen = 0;
    std::int32_t last = 0;
};

// The file and the first basket of `branch_name`, with its header parsed.
Damaged locateBasket(const char* file_name, const char* tree_path, const char* branch_name) {
    Damaged out;
    out.bytes = fileBytes(file_name);
    const auto file = RootFile::open(dataPath(file_name));
    const auto tree = Tree::open(*file, tree_path);
    const BasketSlot& slot = tree->branchInfo(*tree->findBranch(branch_name)).baskets.at(0);
    out.seek = slot.seek;
    ByteReader reader(std::span<const std::byte>(out.bytes).subspan(slot.seek, slot.bytes),
                      ByteOrigin{});
    const BasketHeader header = readBasketHeader(reader, false);
    out.keylen = header.key.fKeylen;
    out.last = header.fLast;
    return out;
}

// Reads the branch from the damaged bytes and returns the error it must throw. `per_basket`:
// through readBranchesPerBasket, which reads counted arrays' stored entry offsets (the direct
// path takes them from the counter branch, when there is one).
template <class E = Error>
E readDamaged(const Damaged& damaged, const char* tree_path, const char* branch_name,
              bool per_basket = false) {
    const auto file = openMemory(damaged.bytes, "damaged.root");
    const auto tree = Tree::open(*file, tree_path);
    try {
        const TBranch* branch[] = {tree->findBranch(branch_name)};
        if (per_basket)
            tree->readBranchesPerBasket(branch);
        else
            tree->readBranches(branch);
    } catch (const E& error) {
        return error;
    }
    ADD_FAILURE() << "reading the damaged branch did not throw";
    return E("none");
}

TEST(CorruptTreeTest, BasketHeaderFields) {
    // fNevBuf (9 bytes before the end of the key header) raised: entry counts disagree.
    Damaged damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    storeBigEndian<std::int32_t>(damaged.bytes.data() + damaged.seek + damaged.keylen - 9, 99999);
    const Error error = readDamaged(damaged, "events", "Muon_Px");
    EXPECT_EQ(error.file(), "damaged.root");
    EXPECT_NE(error.object().find("Muon_Px"), std::string::npos) << error.what();
    ASSERT_TRUE(error.offset().has_value());

    // fLast beyond the payload.
    damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    storeBigEndian<std::int32_t>(damaged.bytes.data() + damaged.seek + damaged.keylen - 5, 1 << 30);
    const FormatError last = readDamaged<FormatError>(damaged, "events", "Muon_Px");
    EXPECT_NE(std::string(last.what()).find("fLast"), std::string::npos) << last.what();
    EXPECT_EQ(last.offset(), damaged.seek + damaged.keylen - 19);

    // The key's class name.
    damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "NJet");
    damaged.bytes[damaged.seek + 35] = std::byte{'X'};  // "TBasket" -> "XBasket"
    EXPECT_NE(
        std::string(readDamaged<FormatError>(damaged, "events", "NJet").what()).find("TBasket"),
        std::string::npos);
}

TEST(CorruptTreeTest, EntryOffsets) {
    Damaged damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    // Offsets follow the data part at fLast (raw basket): n, then offset[0], offset[1], ...
    const std::uint64_t offsets_at = damaged.seek + damaged.last + 4;
    storeBigEndian<std::int32_t>(damaged.bytes.data() + offsets_at + 4 * 5, 0x7FFF0000);
    const FormatError error = readDamaged<FormatError>(damaged, "events", "Muon_Px", true);
    EXPECT_EQ(error.offset(), offsets_at + 4 * 5) << error.what();
    EXPECT_NE(error.object().find("Muon_Px"), std::string::npos);

    // Below the data part (before fKeylen), and decreasing: each named at its own offset.
    damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    storeBigEndian<std::int32_t>(damaged.bytes.data() + offsets_at + 4 * 2, damaged.keylen - 1);
    const FormatError below = readDamaged<FormatError>(damaged, "events", "Muon_Px", true);
    EXPECT_EQ(below.offset(), offsets_at + 4 * 2) << below.what();
    EXPECT_NE(std::string(below.what()).find("of entry 2 lies outside"), std::string::npos)
        << below.what();
    damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    const auto* eighth = damaged.bytes.data() + offsets_at + 4 * 8;
    const std::int32_t previous = loadBigEndian<std::int32_t>(eighth - 4);
    storeBigEndian<std::int32_t>(damaged.bytes.data() + offsets_at + 4 * 8, previous - 1);
    const FormatError decreasing = readDamaged<FormatError>(damaged, "events", "Muon_Px", true);
    EXPECT_EQ(decreasing.offset(), offsets_at + 4 * 8) << decreasing.what();

    // An entry boundary inside a float: not a multiple of the item size.
    damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    const auto at = damaged.bytes.data() + offsets_at + 4 * 3;
    storeBigEndian<std::int32_t>(at, loadBigEndian<std::int32_t>(at) + 1);
    EXPECT_NO_FATAL_FAILURE(readDamaged<FormatError>(damaged, "events", "Muon_Px", true));
}

// A selective read converts only the selected entries' offsets (EntryOffsets::Deferred): a
// damaged offset of another entry is never read, and one of a selected entry is reported at
// its own byte, as a whole read reports it.
TEST(CorruptTreeTest, SelectiveReadsCheckTheOffsetsOfTheirEntries) {
    const auto intact_file = RootFile::open(dataPath("uproot-HZZ-uncompressed.root"));
    const auto intact = Tree::open(*intact_file, "events");
    const std::vector<const TBranch*> branch = {intact->findBranch("Muon_Px")};
    const std::vector<std::int64_t> rows = {0, 1, 7, 9};
    const frame::Column expected = intact->readBranches(branch, 0, 20, rows).at(0);
    ASSERT_EQ(expected.length(), 4);

    Damaged damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    const std::uint64_t offsets_at = damaged.seek + damaged.last + 4;
    // Entry 4's start lies outside the data part: entries 3 and 4 are not selected.
    storeBigEndian<std::int32_t>(damaged.bytes.data() + offsets_at + 4 * 4, 0x7FFF0000);
    // The counter NMuon, one more for entry 0, no longer adds up to the basket's data: the
    // basket falls back to its stored offsets.
    const Damaged counter = locateBasket("uproot-HZZ-uncompressed.root", "events", "NMuon");
    std::byte* first_count = damaged.bytes.data() + counter.seek + counter.keylen;
    storeBigEndian<std::int32_t>(first_count, loadBigEndian<std::int32_t>(first_count) + 1);
    const auto file = openMemory(damaged.bytes, "damaged.root");
    const auto tree = Tree::open(*file, "events");
    const std::vector<const TBranch*> damaged_branch = {tree->findBranch("Muon_Px")};
    const frame::Column selected = tree->readBranches(damaged_branch, 0, 20, rows).at(0);
    EXPECT_EQ(selected.offsets(0), expected.offsets(0));
    ASSERT_EQ(selected.numValues(), expected.numValues());
    for (std::size_t i = 0; i < expected.numValues(); ++i)
        EXPECT_EQ(selected.values<float>()[i], expected.values<float>()[i]) << i;
    // Selecting entry 4 (or 3, which ends where 4 starts) reads the damaged offset.
    for (const std::int64_t row : {3, 4}) {
        const std::vector<std::int64_t> with_damage = {1, row};
        try {
            tree->readBranches(damaged_branch, 0, 20, with_damage);
            ADD_FAILURE() << "selecting entry " << row << " did not throw";
        } catch (const FormatError& error) {
            EXPECT_EQ(error.offset(), offsets_at + 4 * 4) << error.what();
            EXPECT_NE(error.object().find("Muon_Px"), std::string::npos) << error.what();
        }
    }
}

// A counted array's direct read takes its entry offsets from its counter branch and never
// decompresses the stored ones: damage there changes nothing, and a counter whose values do
// not add up to a basket's data part leaves the stored offsets in charge.
TEST(CorruptTreeTest, CounterBranchGivesTheEntryOffsets) {
    const auto intact_file = RootFile::open(dataPath("uproot-HZZ-uncompressed.root"));
    const auto intact = Tree::open(*intact_file, "events");
    const TBranch* intact_branch[] = {intact->findBranch("Muon_Px")};
    ASSERT_NE(intact->branchInfo(*intact_branch[0]).counter, nullptr);
    EXPECT_EQ(intact->branchInfo(*intact_branch[0]).counter->fName, "NMuon");
    const frame::Column expected = intact->readBranchesPerBasket(intact_branch).at(0);
    const auto expectIntact = [&](const std::vector<std::byte>& bytes) {
        const auto file = openMemory(bytes, "damaged.root");
        const auto tree = Tree::open(*file, "events");
        const TBranch* branch[] = {tree->findBranch("Muon_Px")};
        const frame::Column column = tree->readBranches(branch).at(0);
        EXPECT_EQ(column.offsets(0), expected.offsets(0));
        ASSERT_EQ(column.numValues(), expected.numValues());
        for (std::size_t i = 0; i < expected.numValues(); ++i)
            ASSERT_EQ(column.values<float>()[i], expected.values<float>()[i]) << i;
    };

    Damaged damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    const std::uint64_t offsets_at = damaged.seek + damaged.last + 4;
    storeBigEndian<std::int32_t>(damaged.bytes.data() + offsets_at + 4 * 5, 0x7FFF0000);
    expectIntact(damaged.bytes);
    // The stored path still sees the damage.
    EXPECT_NO_FATAL_FAILURE(readDamaged<FormatError>(damaged, "events", "Muon_Px", true));

    // A counter one too high for entry 0 no longer adds up: the intact stored offsets decide.
    damaged = locateBasket("uproot-HZZ-uncompressed.root", "events", "Muon_Px");
    const Damaged counter = locateBasket("uproot-HZZ-uncompressed.root", "events", "NMuon");
    std::byte* first_count = damaged.bytes.data() + counter.seek + counter.keylen;
    storeBigEndian<std::int32_t>(first_count, loadBigEndian<std::int32_t>(first_count) + 1);
    expectIntact(damaged.bytes);
}

TEST(CorruptTreeTest, CompressedData) {
    Damaged damaged = locateBasket("uproot-HZZ.root", "events", "Jet_Px");
    // Damage the deflate stream after the 9-byte block header.
    for (int i = 0; i < 8; ++i)
        damaged.bytes[damaged.seek + damaged.keylen + 9 + 20 + i] ^= std::byte{0x5A};
    const FormatError error = readDamaged<FormatError>(damaged, "events", "Jet_Px");
    EXPECT_NE(error.object().find("Jet_Px"), std::string::npos) << error.what();
    EXPECT_EQ(error.offset(), damaged.seek + damaged.keylen) << error.what();

    // A block header that declares more bytes than fObjlen.
    damaged = locateBasket("uproot-HZZ.root", "events", "Jet_Px");
    damaged.bytes[damaged.seek + damaged.keylen + 8] = std::byte{0x7F};
    const FormatError size = readDamaged<FormatError>(damaged, "events", "Jet_Px");
    EXPECT_NE(std::string(size.what()).find("fObjlen"), std::string::npos) << size.what();
}

TEST(CorruptTreeTest, TruncatedFileNeverCrashes) {
    const std::vector<std::byte> bytes = fileBytes("uproot-HZZ.root");
    for (std::size_t keep :
         {bytes.size() - 1, bytes.size() / 2, bytes.size() / 5, std::size_t{400}}) {
        std::vector<std::byte> truncated(bytes.begin(), bytes.begin() + keep);
        try {
            const auto file = openMemory(truncated, "truncated.root");
            const auto tree = Tree::open(*file, "events");
            std::vector<const TBranch*> all(tree->branches().begin(), tree->branches().end());
            tree->readBranches(all);
            ADD_FAILURE() << "a file cut to " << keep << " bytes read without error";
        } catch (const Error& error) {
            EXPECT_NE(std::string(error.what()).find("truncated.root"), std::string::npos)
                << error.what();
        }
    }
}

// Random damage to baskets and to the TTree record: every outcome is values or hepflow::Error.
TEST(CorruptTreeTest, RandomDamageNeverCrashes) {
    const std::vector<std::byte> bytes = fileBytes("uproot-HZZ-uncompressed.root");
    const auto file = RootFile::open(dataPath("uproot-HZZ-uncompressed.root"));
    const auto tree = Tree::open(*file, "events");
    std::vector<std::pair<std::uint64_t, std::uint64_t>> regions;  // (offset, length)
    for (const TBranch* branch : tree->branches())
        for (const auto& slot : tree->branchInfo(*branch).baskets)
            regions.emplace_back(slot.seek, slot.bytes);
    const Key& key = file->findKey("events");
    regions.emplace_back(key.fSeekKey, key.fNbytes);

    const std::uint64_t seed = test::testSeed("RandomDamage");
    SCOPED_TRACE(fmt::format("seed {}", seed));
    std::mt19937 random(static_cast<unsigned>(seed));
    int errors = 0;
    for (int round = 0; round < 60; ++round) {
        std::vector<std::byte> copy = bytes;
        const auto& [offset, length] = regions[random() % regions.size()];
        for (int flips = 1 + random() % 4; flips > 0; --flips)
            copy[offset + random() % length] ^= static_cast<std::byte>(1 + random() % 255);
        try {
            const auto damaged_file = openMemory(std::move(copy), "random.root");
            const auto damaged = Tree::open(*damaged_file, "events");
            std::vector<const TBranch*> all;
            for (const TBranch* branch : damaged->branches())
                if (damaged->branchInfo(*branch).interpretation) all.push_back(branch);
            // A selective read decodes damaged baskets its own way: an Error too, or values.
            try {
                const std::vector<std::int64_t> rows = {0, 2, 3, 5, 8, 13, 21, 34};
                damaged->readBranches(all, 0, 40, rows);
            } catch (const Error&) {
            }
            damaged->readBranches(all);
            // Counted arrays' stored entry offsets (a large part of the file's bytes) are read
            // only by this path: the direct one takes them from the counter branch.
            damaged->readBranchesPerBasket(all);
        } catch (const Error&) {
            ++errors;
        }
    }
    EXPECT_GT(errors, 0);
}

// A damaged fBasketEntry must not size a column beyond what its basket holds (2^50 rows once
// asked for petabytes: found by RandomDamageNeverCrashes); the per-basket check reports it.
TEST(CorruptTreeTest, HugeBasketEntryIsAnErrorNotAnAllocation) {
    std::vector<std::byte> bytes = fileBytes("uproot-HZZ-uncompressed.root");
    const auto file = RootFile::open(dataPath("uproot-HZZ-uncompressed.root"));
    const Key& key = file->findKey("events");
    // The fBasketEntry of a one-basket branch: {0, 2421} as big-endian Long64 values.
    std::byte pattern[16]{};
    storeBigEndian<std::int64_t>(pattern + 8, 2421);
    const auto record_begin = bytes.begin() + static_cast<std::ptrdiff_t>(key.fSeekKey);
    const auto found = std::search(record_begin, record_begin + key.fNbytes, std::begin(pattern),
                                   std::end(pattern));
    ASSERT_NE(found, record_begin + key.fNbytes) << "no one-basket fBasketEntry in the record";
    storeBigEndian<std::int64_t>(&*found + 8, std::int64_t{1} << 50);

    const auto damaged_file = openMemory(std::move(bytes), "huge-entries.root");
    const auto damaged = Tree::open(*damaged_file, "events");
    std::vector<const TBranch*> all;
    for (const TBranch* branch : damaged->branches())
        if (damaged->branchInfo(*branch).interpretation) all.push_back(branch);
    try {
        damaged->readBranches(all);
        FAIL() << "a basket of 2421 entries read as 2^50";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("fBasketEntry says 1125899906842624"),
                  std::string::npos)
            << error.what();
        EXPECT_NE(std::string(error.what()).find("huge-entries.root"), std::string::npos);
    }
}

// Random damage to the decompressed NanoAOD TTree record (947 branches, their leaves and the
// embedded baskets): streaming and decoding either succeed or throw hepflow::Error.
TEST(CorruptTreeTest, RandomDamageToTreeRecordNeverCrashes) {
    const auto file = RootFile::open(dataPath("nanoAOD_2015_CMS_Open_Data_ttbar.root"));
    const Key& key = file->findKey("Events");
    const RootFile::Payload payload = file->readPayload(key, "Events");
    const std::uint64_t seed = test::testSeed("RandomDamageToTreeRecord");
    SCOPED_TRACE(fmt::format("seed {}", seed));
    std::mt19937 random(static_cast<unsigned>(seed));
    int errors = 0;
    constexpr int kRounds = 40;
    for (int round = 0; round < kRounds; ++round) {
        std::vector<std::byte> copy = payload.bytes;
        for (int flips = 1 + random() % 8; flips > 0; --flips)
            copy[random() % copy.size()] ^= static_cast<std::byte>(1 + random() % 255);
        try {
            ByteReader reader(copy, payload.origin);
            const auto tree = readTree("TTree", reader);
            std::vector<const TBranch*> pending;
            for (const auto& branch : tree->fBranches)
                if (branch) pending.push_back(branch.get());
            for (const TBranch* branch : pending) {
                std::unique_ptr<Interpretation> interpretation;
                try {
                    interpretation = interpretLeafBranch(*branch);
                } catch (const UnsupportedError&) {
                    continue;
                }
                // A branch whose leaves the damage removed holds no values to read (Tree
                // refuses to read it, UsageError); its baskets are not decoded.
                if (interpretation->kind() == InterpretationKind::NoData) continue;
                for (const auto& embedded : branch->fBaskets) {
                    if (!embedded || embedded->fNevBuf <= 0) continue;
                    BasketData data;
                    data.data = embedded->data;
                    data.entry_offsets = embedded->entry_offsets;
                    data.num_entries = embedded->fNevBuf;
                    data.origin = payload.origin;
                    Column column = interpretation->makeColumn();
                    interpretation->decode(data, column);
                    EXPECT_EQ(column.length(), embedded->fNevBuf)
                        << branch->path << " read as " << interpretation->describe();
                }
            }
        } catch (const Error&) {
            ++errors;
        }
    }
    EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace hepflow::root
