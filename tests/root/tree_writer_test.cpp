// TreeWriter: every branch kind (numbers, bools, fixed and counted arrays, vectors, strings) in
// every compression read back value for value by hepflow's reader; basket and cluster tables,
// empty entries, big jagged branches, determinism, rejected input. HEPFLOW_TREE_WRITER_SAMPLES=DIR
// also keeps the files there for the JSROOT cross-check (tests/tools/rootdump).
#include "root/writer/tree_writer.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "common/error.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "root/writer/branch_plan.h"
#include "root/writer/file_writer.h"
#include "root/writer/streamer_registry.h"

namespace hepflow::root {
namespace {

using frame::Column;
using frame::ColumnBatch;
using frame::DType;

// ---- building columns ----

template <class T>
Column flat(const std::vector<T>& values) {
    Column column(frame::dtypeOf<T>());
    for (const T value : values) column.append(value);
    return column;
}

template <class T>
Column jagged(const std::vector<std::vector<T>>& entries) {
    Column column(frame::dtypeOf<T>(), 1);
    for (const auto& entry : entries) {
        for (const T value : entry) column.append(value);
        column.offsets(0).push_back(static_cast<std::int64_t>(column.numValues()));
    }
    return column;
}

template <class T>
Column jagged2(const std::vector<std::vector<std::vector<T>>>& entries) {
    Column column(frame::dtypeOf<T>(), 2);
    for (const auto& entry : entries) {
        for (const auto& inner : entry) {
            for (const T value : inner) column.append(value);
            column.offsets(1).push_back(static_cast<std::int64_t>(column.numValues()));
        }
        column.offsets(0).push_back(static_cast<std::int64_t>(column.offsets(1).size()) - 1);
    }
    return column;
}

Column strings(const std::vector<std::string>& values) {
    Column column(DType::String);
    for (const auto& value : values) column.appendString(value);
    return column;
}

Column stringLists(const std::vector<std::vector<std::string>>& entries) {
    Column column(DType::String, 1);
    for (const auto& entry : entries) {
        for (const auto& value : entry) column.appendString(value);
        column.offsets(0).push_back(static_cast<std::int64_t>(column.numStrings()));
    }
    return column;
}

// Entries [begin, end) of a column, offsets rebased to 0.
Column slice(const Column& column, std::int64_t begin, std::int64_t end) {
    const std::size_t string_level = column.dtype() == DType::String ? 1 : 0;
    Column out(column.dtype(), column.levels() - string_level);
    auto lo = begin;
    auto hi = end;
    for (std::size_t level = 0; level < column.levels(); ++level) {
        const auto& offsets = column.offsets(level);
        auto& target = out.offsets(level);
        target.clear();
        for (auto i = lo; i <= hi; ++i)
            target.push_back(offsets[static_cast<std::size_t>(i)] -
                             offsets[static_cast<std::size_t>(lo)]);
        const auto next_lo = offsets[static_cast<std::size_t>(lo)];
        hi = offsets[static_cast<std::size_t>(hi)];
        lo = next_lo;
    }
    const auto size = static_cast<std::int64_t>(frame::dtypeSize(column.dtype()));
    out.bytes().assign(column.bytes().begin() + lo * size, column.bytes().begin() + hi * size);
    return out;
}

struct Table {
    std::vector<BranchSpec> specs;
    std::vector<Column> columns;
    std::int64_t entries = 0;

    void add(BranchSpec spec, Column column) {
        specs.push_back(std::move(spec));
        columns.push_back(std::move(column));
    }
    // The table cut into batches of the given sizes (repeated until the end).
    std::vector<ColumnBatch> batches(std::vector<std::int64_t> sizes) const {
        std::vector<ColumnBatch> out;
        std::int64_t begin = 0;
        for (std::size_t i = 0; begin < entries; ++i) {
            const auto end = std::min(entries, begin + sizes[i % sizes.size()]);
            ColumnBatch batch;
            batch.first_entry = begin;
            batch.num_entries = end - begin;
            for (std::size_t c = 0; c < specs.size(); ++c)
                batch.columns.emplace_back(specs[c].name, slice(columns[c], begin, end));
            out.push_back(std::move(batch));
            begin = end;
        }
        return out;
    }
};

BranchSpec spec(std::string name, DType dtype, std::size_t levels = 0,
                JaggedLayout layout = JaggedLayout::Counted) {
    BranchSpec result;
    result.name = std::move(name);
    result.dtype = dtype;
    result.levels = levels;
    result.layout = layout;
    return result;
}

// ---- random data ----

template <class T>
T randomValue(std::mt19937_64& rng) {
    if constexpr (std::is_same_v<T, bool>) {
        return (rng() & 1) != 0;
    } else if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(std::uniform_real_distribution<double>(-1e3, 1e3)(rng));
    } else {
        return static_cast<T>(rng());
    }
}

template <class T>
std::vector<T> randomValues(std::mt19937_64& rng, std::size_t n) {
    std::vector<T> values;
    values.reserve(n);
    for (std::size_t i = 0; i < n; ++i) values.push_back(randomValue<T>(rng));
    return values;
}

// Lengths 0..max_length with many empty entries.
std::vector<std::size_t> randomLengths(std::mt19937_64& rng, std::size_t n,
                                       std::size_t max_length) {
    std::vector<std::size_t> lengths(n);
    for (auto& length : lengths)
        length = rng() % 3 == 0 ? 0 : static_cast<std::size_t>(rng() % (max_length + 1));
    return lengths;
}

template <class T>
std::vector<std::vector<T>> randomLists(std::mt19937_64& rng,
                                        const std::vector<std::size_t>& lengths) {
    std::vector<std::vector<T>> lists;
    for (const auto length : lengths) lists.push_back(randomValues<T>(rng, length));
    return lists;
}

std::string randomString(std::mt19937_64& rng) {
    // Mostly short, sometimes past the 255-byte TString limit, sometimes empty.
    const std::size_t length = rng() % 10 == 0 ? 250 + rng() % 300 : rng() % 12;
    std::string text(length, ' ');
    for (auto& c : text) c = static_cast<char>('a' + rng() % 26);
    return text;
}

// Adds flat, fixed-array and std::vector branches of every numeric type.
template <class T>
void addNumericBranches(Table& table, std::mt19937_64& rng, const std::string& tag) {
    const auto n = static_cast<std::size_t>(table.entries);
    const DType dtype = frame::dtypeOf<T>();
    table.add(spec("flat_" + tag, dtype), flat(randomValues<T>(rng, n)));
    // Fixed arrays come back from the reader as jagged columns of constant length.
    BranchSpec fixed = spec("fixed_" + tag, dtype);
    fixed.fixed_length = 3;
    table.add(fixed, jagged(randomLists<T>(rng, std::vector<std::size_t>(n, 3))));
    table.add(spec("vec_" + tag, dtype, 1, JaggedLayout::Vector),
              jagged(randomLists<T>(rng, randomLengths(rng, n, 6))));
}

// The table every compression writes: each branch kind, with empty entries and collections.
Table everyKindTable(std::int64_t entries) {
    std::mt19937_64 rng(20240601);
    Table table;
    table.entries = entries;
    const auto n = static_cast<std::size_t>(entries);
    addNumericBranches<bool>(table, rng, "bool");
    addNumericBranches<std::int8_t>(table, rng, "i8");
    addNumericBranches<std::uint8_t>(table, rng, "u8");
    addNumericBranches<std::int16_t>(table, rng, "i16");
    addNumericBranches<std::uint16_t>(table, rng, "u16");
    addNumericBranches<std::int32_t>(table, rng, "i32");
    addNumericBranches<std::uint32_t>(table, rng, "u32");
    addNumericBranches<std::int64_t>(table, rng, "i64");
    addNumericBranches<std::uint64_t>(table, rng, "u64");
    addNumericBranches<float>(table, rng, "f32");
    addNumericBranches<double>(table, rng, "f64");
    // NanoAOD style: three arrays share the writer-made counter nMuon, two share nJet.
    const auto muons = randomLengths(rng, n, 5);
    table.add(spec("Muon_pt", DType::Float32, 1), jagged(randomLists<float>(rng, muons)));
    table.add(spec("Muon_charge", DType::Int32, 1), jagged(randomLists<std::int32_t>(rng, muons)));
    table.add(spec("Muon_tight", DType::Bool, 1), jagged(randomLists<bool>(rng, muons)));
    const auto jets = randomLengths(rng, n, 9);
    table.add(spec("Jet_eta", DType::Float64, 1), jagged(randomLists<double>(rng, jets)));
    table.add(spec("Jet_flavour", DType::UInt8, 1), jagged(randomLists<std::uint8_t>(rng, jets)));
    // Counted arrays of the other types, each with its own counter.
    const auto other = randomLengths(rng, n, 4);
    table.add(spec("A_i16", DType::Int16, 1), jagged(randomLists<std::int16_t>(rng, other)));
    BranchSpec a_u64 = spec("B_u64", DType::UInt64, 1);
    a_u64.counter = "nA";  // shares nA with A_i16 under an explicit name
    table.add(a_u64, jagged(randomLists<std::uint64_t>(rng, other)));
    // Doubly jagged.
    std::vector<std::vector<std::vector<float>>> nested_f;
    std::vector<std::vector<std::vector<std::int32_t>>> nested_i;
    for (std::size_t e = 0; e < n; ++e) {
        nested_f.push_back(randomLists<float>(rng, randomLengths(rng, rng() % 4, 3)));
        nested_i.push_back(randomLists<std::int32_t>(rng, randomLengths(rng, rng() % 3, 4)));
    }
    table.add(spec("vv_f32", DType::Float32, 2), jagged2(nested_f));
    table.add(spec("vv_i32", DType::Int32, 2, JaggedLayout::Vector), jagged2(nested_i));
    // Strings: char*, std::string, vector<string>.
    std::vector<std::string> words;
    std::vector<std::vector<std::string>> word_lists;
    for (std::size_t e = 0; e < n; ++e) {
        words.push_back(randomString(rng));
        std::vector<std::string> list;
        for (std::size_t k = rng() % 4; k > 0; --k) list.push_back(randomString(rng));
        word_lists.push_back(std::move(list));
    }
    table.add(spec("cstr", DType::String), strings(words));
    table.add(spec("stdstr", DType::String, 0, JaggedLayout::Vector), strings(words));
    table.add(spec("vstr", DType::String, 1, JaggedLayout::Vector), stringLists(word_lists));
    return table;
}

// ---- files ----

std::filesystem::path scratchDir() {
    const auto dir = std::filesystem::path(::testing::TempDir()) /
                     fmt::format("hepflow-tree-writer-{}", ::getpid());
    std::filesystem::create_directories(dir);
    return dir;
}

std::string scratchPath(std::string_view name) {
    return (scratchDir() / name).string();
}

// Each test process removes its scratch folder at the end.
class ScratchCleanup : public ::testing::Environment {
public:
    void TearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(scratchDir(), ignored);
    }
};
[[maybe_unused]] const auto* const kScratchCleanup =
    ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

// Copies a written file to $HEPFLOW_TREE_WRITER_SAMPLES (for the JSROOT cross-check).
void keepSample(const std::string& path) {
    const char* dir = std::getenv("HEPFLOW_TREE_WRITER_SAMPLES");
    if (dir == nullptr || *dir == '\0') return;
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(path,
                               std::filesystem::path(dir) / std::filesystem::path(path).filename(),
                               std::filesystem::copy_options::overwrite_existing);
}

// `name` in scratch subfolder `folder`: files that must be byte-identical need the same name
// (it is written into the file as the top directory's name).
std::string pathIn(std::string_view folder, std::string_view name) {
    std::filesystem::create_directories(scratchDir() / folder);
    return (scratchDir() / folder / name).string();
}

std::vector<char> readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Key writeTable(const std::string& path, const Table& table, std::vector<std::int64_t> batch_sizes,
               TreeWriteOptions options = {}, FileWriteOptions file_options = {},
               std::string_view directory = "") {
    auto file = FileWriter::create(path, std::move(file_options));
    const auto dir = file->directory(directory);
    TreeWriter writer(*file, dir, "tree", "hepflow tree", table.specs, options);
    for (const auto& batch : table.batches(std::move(batch_sizes))) writer.write(batch);
    EXPECT_EQ(writer.numEntries(), table.entries);
    Key key = writer.close();
    file->commit();
    return key;
}

void expectSameColumn(const Column& expected, const Column& actual, const std::string& name) {
    ASSERT_EQ(actual.dtype(), expected.dtype()) << name;
    ASSERT_EQ(actual.levels(), expected.levels()) << name;
    for (std::size_t level = 0; level < expected.levels(); ++level)
        ASSERT_EQ(actual.offsets(level), expected.offsets(level)) << name << " level " << level;
    ASSERT_EQ(actual.bytes().size(), expected.bytes().size()) << name;
    EXPECT_TRUE(actual.bytes() == expected.bytes()) << name << ": values differ";
}

// Bool columns read back as 0/1 bytes; our random bools are already 0/1.
void expectTableReadsBack(const std::string& path, const Table& table,
                          std::string_view tree_path = "tree") {
    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, tree_path);
    ASSERT_EQ(tree->numEntries(), table.entries);
    for (std::size_t c = 0; c < table.specs.size(); ++c) {
        const auto* branch = tree->findBranch(table.specs[c].name);
        ASSERT_NE(branch, nullptr) << table.specs[c].name;
        if (table.entries == 0) continue;
        expectSameColumn(table.columns[c], tree->readBranch(*branch), table.specs[c].name);
    }
}

// The basket tables of every branch: consistent, closed by fEntries, zeros after, and every
// cluster boundary (multiple of fAutoFlush) is a basket boundary of every branch.
void expectBasketTables(const Tree& tree) {
    const auto& model = tree.model();
    ASSERT_GT(model.fAutoFlush, 0);
    for (const TBranch* branch : tree.branches()) {
        SCOPED_TRACE(branch->fName);
        const auto nbaskets = static_cast<std::size_t>(branch->fWriteBasket);
        EXPECT_EQ(branch->fEntries, model.fEntries);
        ASSERT_GE(static_cast<std::size_t>(branch->fMaxBaskets), nbaskets + 1);
        ASSERT_EQ(branch->fBasketEntry.size(), static_cast<std::size_t>(branch->fMaxBaskets));
        EXPECT_EQ(branch->fBasketEntry[nbaskets], model.fEntries);
        for (std::size_t i = 0; i < nbaskets; ++i) {
            EXPECT_GT(branch->fBasketSeek[i], 0);
            EXPECT_GT(branch->fBasketBytes[i], 0);
            EXPECT_LT(branch->fBasketEntry[i], branch->fBasketEntry[i + 1]);
        }
        for (std::size_t i = nbaskets + 1; i < branch->fBasketEntry.size(); ++i)
            EXPECT_EQ(branch->fBasketEntry[i], 0);
        for (std::size_t i = nbaskets; i < branch->fBasketSeek.size(); ++i) {
            EXPECT_EQ(branch->fBasketSeek[i], 0);
            EXPECT_EQ(branch->fBasketBytes[i], 0);
        }
        const std::vector<std::int64_t> starts(
            branch->fBasketEntry.begin(),
            branch->fBasketEntry.begin() + static_cast<std::ptrdiff_t>(nbaskets + 1));
        for (std::int64_t boundary = model.fAutoFlush; boundary < model.fEntries;
             boundary += model.fAutoFlush)
            EXPECT_TRUE(std::binary_search(starts.begin(), starts.end(), boundary))
                << "cluster boundary " << boundary << " is not a basket boundary";
    }
}

// ---- every kind, every compression ----

struct CompressionCase {
    std::string name;
    CompressionSetting setting;
};

class TreeWriterCompression : public ::testing::TestWithParam<CompressionCase> {};

TEST_P(TreeWriterCompression, EveryBranchKindReadsBackExactly) {
    const auto& param = GetParam();
    const Table table = everyKindTable(1500);
    const auto path = scratchPath(fmt::format("tree_writer_{}.root", param.name));
    TreeWriteOptions options;
    options.basket_bytes = 2000;         // several baskets per branch
    options.auto_cluster_bytes = 60000;  // several clusters
    FileWriteOptions file_options;
    file_options.compression = param.setting;
    writeTable(path, table, {1, 7, 300, 64, 1000}, options, file_options);
    keepSample(path);
    expectTableReadsBack(path, table);

    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "tree");
    expectBasketTables(*tree);
    EXPECT_LT(tree->model().fAutoFlush, table.entries);  // more than one cluster
    const auto* muon_pt = tree->findBranch("Muon_pt");
    EXPECT_GT(muon_pt->fWriteBasket, 1);
    // Baskets are compressed with the file's algorithm, or stored raw when that does not help.
    // (nMuon, small integers, always shrinks; random doubles may not.)
    const auto algorithm = tree->firstBasketCompression(*tree->findBranch("nMuon"));
    ASSERT_TRUE(algorithm.has_value());
    if (param.setting.level == 0)
        EXPECT_EQ(*algorithm, CompressionAlgorithm::None);
    else
        EXPECT_EQ(*algorithm, param.setting.algorithm);
}

INSTANTIATE_TEST_SUITE_P(
    Compressions, TreeWriterCompression,
    ::testing::Values(CompressionCase{"none", {CompressionAlgorithm::None, 0}},
                      CompressionCase{"zlib1", {CompressionAlgorithm::Zlib, 1}},
                      CompressionCase{"lzma9", {CompressionAlgorithm::Lzma, 9}},
                      CompressionCase{"lz4_4", {CompressionAlgorithm::Lz4, 4}},
                      CompressionCase{"zstd5", {CompressionAlgorithm::Zstd, 5}}),
    [](const auto& info) { return info.param.name; });

// ---- structure of what was written ----

TEST(TreeWriter, CountersPrecedeTheirArraysAndAreRangeLeaves) {
    Table table;
    table.entries = 4;
    // The explicit counter comes after its arrays in the specs: the tree still lists it first.
    table.add(spec("Muon_pt", DType::Float32, 1), jagged<float>({{1, 2}, {}, {3}, {4, 5, 6}}));
    table.add(spec("Muon_eta", DType::Float32, 1), jagged<float>({{7, 8}, {}, {9}, {1, 2, 3}}));
    table.add(spec("Jet_pt", DType::Float32, 1), jagged<float>({{}, {}, {}, {}}));
    table.add(spec("nMuon", DType::UInt32), flat<std::uint32_t>({2, 0, 1, 3}));
    const auto path = scratchPath("counters.root");
    writeTable(path, table, {4});
    expectTableReadsBack(path, table);

    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "tree");
    std::vector<std::string> order;
    for (const auto* branch : tree->branches()) order.push_back(branch->fName);
    EXPECT_EQ(order, (std::vector<std::string>{"nMuon", "Muon_pt", "Muon_eta", "nJet", "Jet_pt"}));
    const auto* n_muon = tree->findBranch("nMuon");
    EXPECT_EQ(n_muon->fTitle, "nMuon/i");
    EXPECT_TRUE(n_muon->fLeaves.at(0)->fIsRange);
    EXPECT_TRUE(n_muon->fLeaves.at(0)->fIsUnsigned);
    const auto* muon_eta = tree->findBranch("Muon_eta");
    EXPECT_EQ(muon_eta->fTitle, "Muon_eta[nMuon]/F");
    EXPECT_EQ(muon_eta->fLeaves.at(0)->fTitle, "Muon_eta[nMuon]");
    ASSERT_NE(muon_eta->fLeaves.at(0)->fLeafCount, nullptr);
    EXPECT_EQ(muon_eta->fLeaves.at(0)->fLeafCount->fName, "nMuon");
    EXPECT_GT(muon_eta->fEntryOffsetLen, 0);
    EXPECT_EQ(n_muon->fEntryOffsetLen, 0);
    // The writer-made counter of Jet_pt: Int_t, all zeros.
    const auto n_jet = tree->readBranch(*tree->findBranch("nJet"));
    EXPECT_EQ(n_jet.dtype(), DType::Int32);
    EXPECT_EQ(std::vector<std::int32_t>(n_jet.values<std::int32_t>().begin(),
                                        n_jet.values<std::int32_t>().end()),
              (std::vector<std::int32_t>{0, 0, 0, 0}));
}

TEST(TreeWriter, ElementBranchesCarryRootsClassesAndStreamerInfos) {
    Table table;
    table.entries = 3;
    table.add(spec("vf", DType::Float32, 1, JaggedLayout::Vector),
              jagged<float>({{1}, {}, {2, 3}}));
    table.add(spec("vi", DType::Int32, 1, JaggedLayout::Vector),
              jagged<std::int32_t>({{1}, {}, {}}));
    table.add(spec("vvd", DType::Float64, 2),
              jagged2<double>({{}, {{}, {}}, {{10}, {}, {10, 20}}}));
    table.add(spec("s", DType::String, 0, JaggedLayout::Vector), strings({"one", "", "three"}));
    const auto path = scratchPath("elements.root");
    writeTable(path, table, {3});
    expectTableReadsBack(path, table);

    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "tree");
    const auto* vf = tree->findBranch("vf");
    EXPECT_TRUE(vf->is_element);
    EXPECT_EQ(vf->fClassName, "vector<float>");
    EXPECT_EQ(vf->fCheckSum, 0x055A169Bu);  // ROOT's value (ROOT-FORMAT.md 6.1)
    EXPECT_EQ(vf->fClassVersion, 6);
    EXPECT_EQ(vf->fID, -1);
    EXPECT_EQ(vf->fType, 0);
    EXPECT_EQ(vf->fStreamerType, -1);
    EXPECT_EQ(vf->fLeaves.at(0)->fType, -1);
    EXPECT_EQ(tree->findBranch("vvd")->fClassName, "vector<vector<double> >");
    EXPECT_EQ(tree->findBranch("vvd")->fCheckSum, 0x8431864Fu);
    EXPECT_EQ(tree->findBranch("s")->fClassName, "string");
    EXPECT_EQ(tree->findBranch("s")->fType, -1);

    const auto& infos = file->streamerInfos();
    for (const char* name : {"TTree", "TBranch", "TBranchElement", "TLeafElement"})
        EXPECT_NE(infos.find(name), nullptr) << name;
    const auto* vector_int = infos.find("vector<int>");
    ASSERT_NE(vector_int, nullptr);
    EXPECT_EQ(vector_int->checksum, 0x00983B88u);
    EXPECT_EQ(vector_int->class_version, 6);
    ASSERT_EQ(vector_int->elements.size(), 1u);
    EXPECT_EQ(vector_int->elements[0].name, "This");
    EXPECT_EQ(vector_int->elements[0].type, 500);
    EXPECT_EQ(vector_int->elements[0].stl_type, 1);
    EXPECT_EQ(vector_int->elements[0].ctype, 3);
    ASSERT_NE(infos.find("vector<vector<double> >"), nullptr);
    EXPECT_EQ(infos.find("vector<vector<double> >")->elements.at(0).ctype, 61);
}

TEST(TreeWriter, ContainerChecksumsMatchRoot) {
    // Every container checksum read from ROOT-written files (ROOT-FORMAT.md 6.1 and
    // uproot-stl_containers.root).
    const std::pair<const char*, std::uint32_t> known[] = {
        {"vector<bool>", 0x01C8B117},          {"vector<short>", 0x055A2247},
        {"vector<int>", 0x00983B88},           {"vector<long>", 0x01C8B429},
        {"vector<unsigned long>", 0x2B7234C4}, {"vector<float>", 0x055A169B},
        {"vector<double>", 0x100E4364},        {"vector<unsigned short>", 0x8256A418},
        {"vector<unsigned int>", 0xB9261111},  {"vector<vector<double> >", 0x8431864F},
        {"vector<vector<int> >", 0xB90B52BD},  {"vector<string>", 0x100E72BC},
    };
    for (const auto& [name, checksum] : known) {
        const std::string_view text = name;
        const auto element = text.substr(7, text.size() - 8);  // "vector<" ... ">"
        const auto info = vectorStreamerInfo(
            element.ends_with(' ') ? element.substr(0, element.size() - 1) : element);
        EXPECT_EQ(info->name, name);
        EXPECT_EQ(info->checksum, checksum) << name;
    }
}

TEST(TreeWriter, ClustersAreAlignedAcrossBranchesAndFixedByFAutoFlush) {
    std::mt19937_64 rng(7);
    Table table;
    table.entries = 1000;
    table.add(spec("x", DType::Float64), flat(randomValues<double>(rng, 1000)));
    table.add(spec("v_pt", DType::Float32, 1),
              jagged(randomLists<float>(rng, randomLengths(rng, 1000, 30))));
    TreeWriteOptions options;
    options.basket_bytes = 512;
    options.cluster_entries = 100;
    const auto path = scratchPath("clusters.root");
    writeTable(path, table, {333}, options);
    expectTableReadsBack(path, table);
    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "tree");
    EXPECT_EQ(tree->model().fAutoFlush, 100);
    expectBasketTables(*tree);
    // 512-byte baskets of doubles hold 64 entries: 64 + 36 per cluster of 100.
    const auto* x = tree->findBranch("x");
    EXPECT_EQ(x->fWriteBasket, 20);
    EXPECT_EQ(x->fBasketEntry[1], 64);
    EXPECT_EQ(x->fBasketEntry[2], 100);
}

TEST(TreeWriter, JaggedBranchMuchBiggerThanOneBasket) {
    // uproot issue 1490: a counted branch larger than one basket must become several correct
    // baskets, entry ranges across basket boundaries included.
    std::mt19937_64 rng(1490);
    Table table;
    table.entries = 60000;
    const auto lengths = randomLengths(rng, 60000, 20);
    table.add(spec("Hit_e", DType::Float32, 1), jagged(randomLists<float>(rng, lengths)));
    table.add(spec("Hit_v", DType::Float64, 1, JaggedLayout::Vector),
              jagged(randomLists<double>(rng, lengths)));
    TreeWriteOptions options;
    options.basket_bytes = 16 * 1024;
    const auto path = scratchPath("big_jagged.root");
    writeTable(path, table, {60000}, options);
    expectTableReadsBack(path, table);
    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "tree");
    const auto* hits = tree->findBranch("Hit_e");
    EXPECT_GT(hits->fWriteBasket, 50);
    expectBasketTables(*tree);
    // A range straddling basket boundaries.
    const auto begin = hits->fBasketEntry[3] - 5;
    const auto end = hits->fBasketEntry[5] + 5;
    expectSameColumn(slice(table.columns[0], begin, end), tree->readBranch(*hits, begin, end),
                     "Hit_e range");
}

TEST(TreeWriter, EntriesLargerThanABasketGetABasketEach) {
    Table table;
    table.entries = 3;
    table.add(spec("big", DType::Float64, 1, JaggedLayout::Vector),
              jagged<double>({std::vector<double>(5000, 1.5), {}, std::vector<double>(7000, 2)}));
    TreeWriteOptions options;
    options.basket_bytes = 1000;
    const auto path = scratchPath("big_entries.root");
    writeTable(path, table, {1}, options);
    expectTableReadsBack(path, table);
    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "tree");
    EXPECT_EQ(tree->findBranch("big")->fWriteBasket, 2);  // {5000}, then {} + {7000}
}

TEST(TreeWriter, EmptyTreeAndEmptyBatches) {
    Table table = everyKindTable(0);
    const auto path = scratchPath("empty.root");
    auto file = FileWriter::create(path);
    TreeWriter writer(*file, FileWriter::kTopDirectory, "tree", "", table.specs);
    ColumnBatch empty;
    for (std::size_t c = 0; c < table.specs.size(); ++c)
        empty.columns.emplace_back(table.specs[c].name, table.columns[c]);
    writer.write(empty);
    writer.close();
    file->commit();
    keepSample(path);
    const auto read = RootFile::open(path);
    const auto tree = Tree::open(*read, "tree");
    EXPECT_EQ(tree->numEntries(), 0);
    for (const auto* branch : tree->branches()) {
        EXPECT_EQ(branch->fWriteBasket, 0) << branch->fName;
        EXPECT_EQ(branch->fBasketEntry.at(0), 0) << branch->fName;
    }
}

TEST(TreeWriter, TreesInSubdirectoriesAndPerBranchCompression) {
    Table table;
    table.entries = 2000;
    BranchSpec raw = spec("raw", DType::Int32);
    raw.compression = CompressionSetting{CompressionAlgorithm::None, 0};
    BranchSpec lz4 = spec("lz4", DType::Int32);
    lz4.compression = CompressionSetting{CompressionAlgorithm::Lz4, 4};
    std::vector<std::int32_t> zeros(2000, 0);
    table.add(raw, flat(zeros));
    table.add(lz4, flat(zeros));
    table.add(spec("file_default", DType::Int32), flat(zeros));
    const auto path = scratchPath("subdir.root");
    writeTable(path, table, {2000}, {}, {}, "a/b");
    expectTableReadsBack(path, table, "a/b/tree");
    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "a/b/tree");
    EXPECT_EQ(tree->firstBasketCompression(*tree->findBranch("raw")), CompressionAlgorithm::None);
    EXPECT_EQ(tree->findBranch("raw")->fCompress, 0);
    EXPECT_EQ(tree->firstBasketCompression(*tree->findBranch("lz4")), CompressionAlgorithm::Lz4);
    EXPECT_EQ(tree->findBranch("lz4")->fCompress, 404);
    EXPECT_EQ(tree->firstBasketCompression(*tree->findBranch("file_default")),
              CompressionAlgorithm::Zstd);
}

TEST(TreeWriter, BasketsPastTheBigFileThresholdAndLongNames) {
    // Basket keys always have 64-bit seeks (as ROOT writes them); here the TTree key and the
    // file header past the (lowered) threshold are big too. Names past 255 bytes take the long
    // TString form in every basket key.
    std::mt19937_64 rng(2);
    Table table;
    table.entries = 5000;
    const std::string long_name(300, 'x');
    table.add(spec(long_name, DType::Float64), flat(randomValues<double>(rng, 5000)));
    table.add(spec("Trk_pt", DType::Float32, 1),
              jagged(randomLists<float>(rng, randomLengths(rng, 5000, 8))));
    FileWriteOptions file_options;
    file_options.big_file_threshold = 20000;
    file_options.compression = {CompressionAlgorithm::None, 0};
    TreeWriteOptions options;
    options.basket_bytes = 4000;
    const auto path = scratchPath("big_seeks.root");
    writeTable(path, table, {5000}, options, file_options);
    keepSample(path);
    expectTableReadsBack(path, table);
    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "tree");
    EXPECT_GT(tree->findBranch("Trk_pt")->fBasketSeek.at(5), 20000);
    expectBasketTables(*tree);
}

// ---- determinism ----

TEST(TreeWriter, SameEntriesGiveTheSameBytesWhateverTheBatches) {
    const Table table = everyKindTable(700);
    TreeWriteOptions options;
    options.basket_bytes = 3000;
    options.auto_cluster_bytes = 40000;
    FileWriteOptions file_options;
    file_options.reproducible = true;
    // The file name is part of the file (the top directory's name): same name, three folders.
    const auto one = pathIn("one", "same.root");
    const auto many = pathIn("many", "same.root");
    const auto again = pathIn("again", "same.root");
    const auto one_thread = pathIn("one_thread", "same.root");
    writeTable(one, table, {700}, options, file_options);
    writeTable(many, table, {1, 2, 3, 50, 13}, options, file_options);
    writeTable(again, table, {700}, options, file_options);
    {
        tbb::global_control serial(tbb::global_control::max_allowed_parallelism, 1);
        writeTable(one_thread, table, {64}, options, file_options);
    }
    const auto bytes = readAll(one);
    ASSERT_FALSE(bytes.empty());
    EXPECT_TRUE(bytes == readAll(many));
    EXPECT_TRUE(bytes == readAll(again));
    EXPECT_TRUE(bytes == readAll(one_thread));
}

// ---- rejected input ----

// Batches of several slices (the writer cuts a batch into ~4 MiB slices and writes each
// slice's closed baskets while it fills the next): same bytes as small batches and as one
// thread, and the values read back.
TEST(TreeWriter, BatchesOfManySlicesGiveTheSameBytes) {
    const Table table = everyKindTable(30000);
    std::int64_t bytes = 0;
    for (const auto& column : table.columns)
        bytes += static_cast<std::int64_t>(column.bytes().size());
    ASSERT_GT(bytes, 12 << 20) << "the table must span several slices";
    TreeWriteOptions options;
    options.auto_cluster_bytes = 1 << 20;  // many clusters, most closed inside a slice
    FileWriteOptions file_options;
    file_options.reproducible = true;
    file_options.compression = {CompressionAlgorithm::Lz4, 1};
    const auto whole = pathIn("whole", "slices.root");
    const auto small = pathIn("small", "slices.root");
    const auto serial = pathIn("serial", "slices.root");
    writeTable(whole, table, {30000}, options, file_options);
    writeTable(small, table, {997, 13}, options, file_options);
    {
        tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
        writeTable(serial, table, {30000}, options, file_options);
    }
    const auto expected = readAll(whole);
    ASSERT_FALSE(expected.empty());
    EXPECT_TRUE(expected == readAll(small));
    EXPECT_TRUE(expected == readAll(serial));
    expectTableReadsBack(whole, table);
    const auto file = RootFile::open(whole);
    const auto tree = Tree::open(*file, "tree");
    expectBasketTables(*tree);
    EXPECT_GT(tree->numEntries() / tree->model().fAutoFlush, 8) << "several clusters";
}

// Baskets are written as they close, not held until their cluster completes (which kept a
// cluster of compressed baskets in memory per output tree): in the file they follow their last
// entry, then their branch, and each cluster's baskets still fill one region.
TEST(TreeWriter, BasketsAreWrittenAsTheyCloseOrderedByLastEntry) {
    std::mt19937_64 rng(11);
    Table table;
    table.entries = 20000;
    table.add(spec("x", DType::Float64), flat(randomValues<double>(rng, 20000)));
    table.add(spec("flag", DType::Bool), flat(randomValues<bool>(rng, 20000)));
    table.add(spec("v_pt", DType::Float32, 1),
              jagged(randomLists<float>(rng, randomLengths(rng, 20000, 6))));
    TreeWriteOptions options;
    options.basket_bytes = 4096;
    options.cluster_entries = 15000;  // one cluster still open when the first batch ends
    const auto path = scratchPath("as_they_close.root");
    {
        auto file = FileWriter::create(path);
        TreeWriter writer(*file, file->directory(""), "tree", "", table.specs, options);
        const std::uint64_t start = file->end();
        const auto batches = table.batches({10000});
        writer.write(batches[0]);
        // x alone closes 19 baskets of 512 doubles in 10,000 entries, inside the open cluster.
        EXPECT_GT(file->end(), start + 19 * 4096 / 2) << "baskets held back";
        writer.write(batches[1]);
        writer.close();
        file->commit();
    }
    expectTableReadsBack(path, table);
    const auto file = RootFile::open(path);
    const auto tree = Tree::open(*file, "tree");
    expectBasketTables(*tree);
    struct Placed {
        std::int64_t seek, last_entry;
        std::size_t branch;
    };
    std::vector<Placed> placed;
    const auto branches = tree->branches();
    for (std::size_t b = 0; b < branches.size(); ++b) {
        const TBranch* branch = branches[b];
        for (std::size_t i = 0; i < static_cast<std::size_t>(branch->fWriteBasket); ++i)
            placed.push_back({branch->fBasketSeek[i], branch->fBasketEntry[i + 1] - 1, b});
    }
    ASSERT_GT(placed.size(), 60u);
    std::sort(placed.begin(), placed.end(),
              [](const Placed& a, const Placed& b) { return a.seek < b.seek; });
    for (std::size_t i = 1; i < placed.size(); ++i) {
        const auto& before = placed[i - 1];
        const auto& after = placed[i];
        EXPECT_TRUE(before.last_entry < after.last_entry ||
                    (before.last_entry == after.last_entry && before.branch < after.branch))
            << "basket at " << after.seek << " (branch " << after.branch << ", last entry "
            << after.last_entry << ") follows one of branch " << before.branch
            << " ending at entry " << before.last_entry;
    }
}

// The message of the UsageError that writing `batch` throws ("" if none).
std::string writeError(TreeWriter& writer, const ColumnBatch& batch) {
    try {
        writer.write(batch);
    } catch (const UsageError& error) {
        return error.what();
    }
    return "";
}

void expectError(const std::string& message, std::string_view part) {
    EXPECT_NE(message.find(part), std::string::npos)
        << "'" << message << "' lacks '" << part << "'";
}

// Offsets checked in one pass each and searched only on failure: the error still names the
// first bad item or entry, in a batch long enough for the vectorized loops, and wild offsets
// (a step past 2^63) are rejected without overflowing.
TEST(TreeWriter, BadOffsetsAndCountsAreFoundWhereTheyAre) {
    const auto path = scratchPath("bad_offsets.root");
    auto file = FileWriter::create(path);
    const std::vector<BranchSpec> specs = {spec("Muon_pt", DType::Float32, 1),
                                           spec("Muon_eta", DType::Float32, 1)};
    TreeWriter writer(*file, FileWriter::kTopDirectory, "tree", "", specs);
    constexpr std::size_t kEntries = 10000;
    const auto good = [] {
        std::vector<std::vector<float>> lists(kEntries);
        for (std::size_t e = 0; e < kEntries; ++e) lists[e].assign(e % 3, 1.5f);
        return jagged(lists);
    };
    const auto batch = [&](Column pt, Column eta) {
        ColumnBatch result;
        result.num_entries = kEntries;
        result.columns.emplace_back("Muon_pt", std::move(pt));
        result.columns.emplace_back("Muon_eta", std::move(eta));
        return result;
    };
    Column decreasing = good();
    decreasing.offsets(0)[6001] = decreasing.offsets(0)[6000] - 1;
    expectError(writeError(writer, batch(good(), decreasing)),
                "'Muon_eta': entry offsets decrease at item 6000");
    Column wild = good();
    wild.offsets(0)[7000] = -1;
    wild.offsets(0)[7001] = std::numeric_limits<std::int64_t>::max();
    expectError(writeError(writer, batch(wild, good())),
                "'Muon_pt': entry offsets decrease at item 6999");
    Column past = good();
    past.offsets(0).back() += 1;
    expectError(writeError(writer, batch(good(), past)), "'Muon_eta': entry offsets end at");
    // Same total, but entries 5000 and 5001 trade an item.
    Column moved = good();
    const auto lengths = [](const Column& c, std::size_t e) {
        return c.offsets(0)[e + 1] - c.offsets(0)[e];
    };
    ASSERT_GT(lengths(moved, 5000), 0);
    moved.offsets(0)[5001] -= 1;
    expectError(writeError(writer, batch(good(), moved)),
                "share counter 'nMuon' but entry 5000 has 2 and 1 items");
    // The first error in branch order wins, whatever thread found it first.
    expectError(writeError(writer, batch(decreasing, past)),
                "'Muon_pt': entry offsets decrease at item 6000");
    EXPECT_EQ(writeError(writer, batch(good(), good())), "");
    EXPECT_EQ(writer.numEntries(), static_cast<std::int64_t>(kEntries));
}

TEST(TreeWriter, RejectsBadSpecs) {
    auto file = FileWriter::create(scratchPath("bad_specs.root"));
    const auto make = [&](std::vector<BranchSpec> specs) {
        TreeWriter writer(*file, FileWriter::kTopDirectory, "tree", "", std::move(specs));
    };
    EXPECT_THROW(make({spec("x", DType::Float32), spec("x", DType::Int32)}), UsageError);
    EXPECT_THROW(make({spec("", DType::Float32)}), UsageError);
    EXPECT_THROW(make({spec("a/b", DType::Float32)}), UsageError);
    EXPECT_THROW(make({spec("x", DType::Float32, 3)}), UsageError);
    EXPECT_THROW(make({spec("s", DType::Struct)}), UsageError);
    BranchSpec fixed_jagged = spec("x", DType::Float32, 1);
    fixed_jagged.fixed_length = 3;
    EXPECT_THROW(make({fixed_jagged}), UsageError);
    // The counter of Muon_pt named as a float branch.
    EXPECT_THROW(make({spec("nMuon", DType::Float32), spec("Muon_pt", DType::Float32, 1)}),
                 UsageError);
    EXPECT_THROW(make({spec("nMuon", DType::Int32, 1), spec("Muon_pt", DType::Float32, 1)}),
                 UsageError);
    TreeWriteOptions no_baskets;
    no_baskets.basket_bytes = 0;
    EXPECT_THROW(TreeWriter(*file, FileWriter::kTopDirectory, "tree", "",
                            {spec("x", DType::Float32)}, no_baskets),
                 UsageError);
}

TEST(TreeWriter, RejectsBadBatchesAndKeepsGoing) {
    const auto path = scratchPath("bad_batches.root");
    auto file = FileWriter::create(path);
    std::vector<BranchSpec> specs = {spec("Muon_pt", DType::Float32, 1),
                                     spec("Muon_eta", DType::Float32, 1),
                                     spec("nMuon", DType::Int32)};
    TreeWriter writer(*file, FileWriter::kTopDirectory, "tree", "", specs);
    const auto batch = [](Column pt, Column eta, Column n, std::int64_t entries) {
        ColumnBatch result;
        result.num_entries = entries;
        result.columns.emplace_back("Muon_pt", std::move(pt));
        result.columns.emplace_back("Muon_eta", std::move(eta));
        result.columns.emplace_back("nMuon", std::move(n));
        return result;
    };
    // Arrays sharing nMuon disagree at entry 1.
    EXPECT_THROW(writer.write(batch(jagged<float>({{1}, {2}}), jagged<float>({{1}, {}}),
                                    flat<std::int32_t>({1, 1}), 2)),
                 UsageError);
    // The counter column disagrees with the arrays.
    EXPECT_THROW(writer.write(batch(jagged<float>({{1}, {2}}), jagged<float>({{1}, {2}}),
                                    flat<std::int32_t>({1, 2}), 2)),
                 UsageError);
    // Wrong dtype, wrong shape, wrong length, wrong name.
    EXPECT_THROW(writer.write(batch(jagged<double>({{1}}), jagged<float>({{1}}),
                                    flat<std::int32_t>({1}), 1)),
                 UsageError);
    EXPECT_THROW(
        writer.write(batch(flat<float>({1}), jagged<float>({{1}}), flat<std::int32_t>({1}), 1)),
        UsageError);
    EXPECT_THROW(
        writer.write(batch(jagged<float>({{1}}), jagged<float>({{1}}), flat<std::int32_t>({1}), 2)),
        UsageError);
    ColumnBatch renamed =
        batch(jagged<float>({{1}}), jagged<float>({{1}}), flat<std::int32_t>({1}), 1);
    renamed.columns[0].first = "Muon_phi";
    EXPECT_THROW(writer.write(renamed), UsageError);
    // None of that was kept: the tree holds only the good batch.
    writer.write(batch(jagged<float>({{1, 2}, {}}), jagged<float>({{3, 4}, {}}),
                       flat<std::int32_t>({2, 0}), 2));
    writer.close();
    EXPECT_THROW(
        writer.write(batch(jagged<float>({{1}}), jagged<float>({{1}}), flat<std::int32_t>({1}), 1)),
        UsageError);
    EXPECT_THROW(writer.close(), UsageError);
    file->commit();
    const auto read = RootFile::open(path);
    const auto tree = Tree::open(*read, "tree");
    EXPECT_EQ(tree->numEntries(), 2);
    expectSameColumn(jagged<float>({{3, 4}, {}}), tree->readBranch(*tree->findBranch("Muon_eta")),
                     "Muon_eta");
}

}  // namespace
}  // namespace hepflow::root
