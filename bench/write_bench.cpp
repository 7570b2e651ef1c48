// The ROOT writer's throughput. TreeWriter on a NanoAOD-like batch (~50 MB: flat numbers and
// counted float/int/bool arrays) per compression algorithm, against compressPayload on the same
// big-endian bytes in basket-sized pieces (parallel, as the writer does); uncompressed writing
// against memcpy + write(2) of those bytes; and `hepflow copy` of a few hundred MB NanoAOD-like
// file (the CMS test file's Events, replicated) on 1 and 2 threads against reading it alone.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <numbers>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include "commands.h"
#include "root/compression/compression.h"
#include "root/endian.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "root/writer/file_writer.h"
#include "root/writer/tree_writer.h"

namespace {

namespace fs = std::filesystem;
using hepflow::frame::Column;
using hepflow::frame::ColumnBatch;
using hepflow::frame::DType;
using hepflow::root::BranchSpec;
using hepflow::root::CompressionAlgorithm;
using hepflow::root::CompressionSetting;

// ~215 bytes per entry: 240k entries make the ~50 MB batch.
constexpr std::int64_t kEntries = 240000;
// The copy benchmark's input: the 200-entry CMS file written this many times (~300 MB of
// uncompressed values, LZ4-compressed on disk).
constexpr int kReplicas = 500;

std::string scratchPath(const std::string& name) {
    return (fs::temp_directory_path() / fmt::format("hepflow_write_bench_{}_{}", getpid(), name))
        .string();
}

// ---------------------------------------------------------------- the NanoAOD-like batch

struct Sample {
    ColumnBatch batch;
    std::vector<BranchSpec> specs;
    // The bytes the writer puts in baskets (values big-endian, counters included), cut into
    // basket-sized pieces per branch: what the baselines compress or copy.
    std::vector<std::vector<std::byte>> pieces;
    std::int64_t bytes = 0;
};

// A float with 12 mantissa bits, as NanoAOD stores most of its floats (so that the data
// compresses like real data, neither like noise nor like constants).
float nanoFloat(double value) {
    int exponent = 0;
    const double mantissa = std::frexp(value, &exponent);
    return static_cast<float>(std::ldexp(std::round(mantissa * 4096) / 4096, exponent));
}

template <class T>
void appendBigEndian(std::vector<std::byte>& out, const Column& column) {
    const auto values = column.values<T>();
    const auto start = out.size();
    out.resize(start + values.size() * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i)
        hepflow::root::storeBigEndian(out.data() + start + i * sizeof(T), values[i]);
}

std::vector<std::byte> bigEndianValues(const Column& column) {
    std::vector<std::byte> out;
    switch (column.dtype()) {
        case DType::Bool: appendBigEndian<bool>(out, column); break;
        case DType::Int32: appendBigEndian<std::int32_t>(out, column); break;
        case DType::UInt32: appendBigEndian<std::uint32_t>(out, column); break;
        case DType::UInt64: appendBigEndian<std::uint64_t>(out, column); break;
        case DType::Float32: appendBigEndian<float>(out, column); break;
        default: throw std::runtime_error("unexpected dtype in the sample");
    }
    return out;
}

// The counter branch's bytes (Int_t per entry) of a jagged column.
std::vector<std::byte> bigEndianCounts(const Column& column) {
    const auto& offsets = column.offsets(0);
    std::vector<std::byte> out((offsets.size() - 1) * 4);
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i)
        hepflow::root::storeBigEndian(out.data() + i * 4,
                                      static_cast<std::int32_t>(offsets[i + 1] - offsets[i]));
    return out;
}

void addPieces(Sample& sample, const std::vector<std::byte>& bytes) {
    const auto piece = static_cast<std::size_t>(hepflow::root::kDefaultBasketBytes);
    for (std::size_t at = 0; at < bytes.size(); at += piece)
        sample.pieces.emplace_back(
            bytes.begin() + static_cast<std::ptrdiff_t>(at),
            bytes.begin() + static_cast<std::ptrdiff_t>(std::min(bytes.size(), at + piece)));
    sample.bytes += static_cast<std::int64_t>(bytes.size());
}

BranchSpec spec(std::string name, DType type, std::size_t levels = 0, std::string counter = {}) {
    BranchSpec spec;
    spec.name = std::move(name);
    spec.dtype = type;
    spec.levels = levels;
    spec.counter = std::move(counter);
    return spec;
}

const Sample& nanoLikeSample() {
    static const Sample sample = [] {
        Sample s;
        s.batch.columns.reserve(32);  // the references below must stay valid
        std::mt19937_64 rng(20260101);
        std::exponential_distribution<double> pt(1.0 / 30.0);
        std::uniform_real_distribution<double> eta(-2.5, 2.5),
            phi(-std::numbers::pi, std::numbers::pi), unit(0, 1);
        std::poisson_distribution<int> muons(2.0), jets(6.0);

        const auto flat = [&](const char* name, DType type) -> Column& {
            s.specs.push_back(spec(name, type));
            return s.batch.columns.emplace_back(name, Column(type)).second;
        };
        const auto jagged = [&](const char* name, DType type, const char* counter) -> Column& {
            s.specs.push_back(spec(name, type, 1, counter));
            auto& column = s.batch.columns.emplace_back(name, Column(type, 1)).second;
            column.offsets(0).push_back(0);
            return column;
        };
        auto& run = flat("run", DType::UInt32);
        auto& event = flat("event", DType::UInt64);
        auto& met_pt = flat("MET_pt", DType::Float32);
        auto& met_phi = flat("MET_phi", DType::Float32);
        auto& npv = flat("PV_npvs", DType::Int32);
        auto& trigger = flat("HLT_IsoMu24", DType::Bool);
        Column* muon[6] = {&jagged("Muon_pt", DType::Float32, "nMuon"),
                           &jagged("Muon_eta", DType::Float32, "nMuon"),
                           &jagged("Muon_phi", DType::Float32, "nMuon"),
                           &jagged("Muon_mass", DType::Float32, "nMuon"),
                           &jagged("Muon_charge", DType::Int32, "nMuon"),
                           &jagged("Muon_tightId", DType::Bool, "nMuon")};
        Column* jet[6] = {&jagged("Jet_pt", DType::Float32, "nJet"),
                          &jagged("Jet_eta", DType::Float32, "nJet"),
                          &jagged("Jet_phi", DType::Float32, "nJet"),
                          &jagged("Jet_mass", DType::Float32, "nJet"),
                          &jagged("Jet_btagDeepB", DType::Float32, "nJet"),
                          &jagged("Jet_jetId", DType::Int32, "nJet")};
        for (std::int64_t entry = 0; entry < kEntries; ++entry) {
            run.append<std::uint32_t>(316000 + static_cast<std::uint32_t>(entry / 100000));
            event.append<std::uint64_t>(1000000000ULL + static_cast<std::uint64_t>(entry) * 7);
            met_pt.append(nanoFloat(pt(rng)));
            met_phi.append(nanoFloat(phi(rng)));
            npv.append<std::int32_t>(static_cast<std::int32_t>(10 + 20 * unit(rng)));
            trigger.append(unit(rng) < 0.3);
            const int n_muons = muons(rng);
            for (int i = 0; i < n_muons; ++i) {
                muon[0]->append(nanoFloat(3 + pt(rng)));
                muon[1]->append(nanoFloat(eta(rng)));
                muon[2]->append(nanoFloat(phi(rng)));
                muon[3]->append(nanoFloat(0.1057));
                muon[4]->append<std::int32_t>(unit(rng) < 0.5 ? -1 : 1);
                muon[5]->append(unit(rng) < 0.8);
            }
            for (auto* column : muon)
                column->offsets(0).push_back(column->offsets(0).back() + n_muons);
            const int n_jets = jets(rng);
            for (int i = 0; i < n_jets; ++i) {
                jet[0]->append(nanoFloat(15 + pt(rng)));
                jet[1]->append(nanoFloat(eta(rng)));
                jet[2]->append(nanoFloat(phi(rng)));
                jet[3]->append(nanoFloat(5 + pt(rng) / 5));
                jet[4]->append(nanoFloat(unit(rng)));
                jet[5]->append<std::int32_t>(unit(rng) < 0.9 ? 6 : 2);
            }
            for (auto* column : jet)
                column->offsets(0).push_back(column->offsets(0).back() + n_jets);
        }
        s.batch.num_entries = kEntries;
        addPieces(s, bigEndianCounts(*muon[0]));
        addPieces(s, bigEndianCounts(*jet[0]));
        for (const auto& [name, column] : s.batch.columns) addPieces(s, bigEndianValues(column));
        return s;
    }();
    return sample;
}

CompressionSetting settingOf(std::int64_t root_setting) {
    return CompressionSetting::fromRoot(static_cast<int>(root_setting));
}

// ---------------------------------------------------------------- writer vs raw compression

// TreeWriter: file created, batch written, tree closed, file committed and removed.
void writerThroughput(benchmark::State& state) {
    const auto& sample = nanoLikeSample();
    const std::string path = scratchPath("tree.root");
    hepflow::root::FileWriteOptions options;
    options.compression = settingOf(state.range(0));
    std::uint64_t file_bytes = 0;
    for (auto _ : state) {
        auto file = hepflow::root::FileWriter::create(path, options);
        hepflow::root::TreeWriter tree(*file, hepflow::root::FileWriter::kTopDirectory, "Events",
                                       "", sample.specs);
        tree.write(sample.batch);
        tree.close();
        file->commit();
        file_bytes = fs::file_size(path);
        fs::remove(path);
    }
    state.SetBytesProcessed(state.iterations() * sample.bytes);
    state.counters["compression_ratio"] =
        static_cast<double>(sample.bytes) / static_cast<double>(file_bytes);
}

// Baseline: compressPayload on every basket-sized piece, in parallel, nothing written.
void rawCompress(benchmark::State& state) {
    const auto& sample = nanoLikeSample();
    const auto setting = settingOf(state.range(0));
    std::vector<std::size_t> sizes(sample.pieces.size());
    for (auto _ : state) {
        tbb::parallel_for(std::size_t{0}, sample.pieces.size(), [&](std::size_t i) {
            sizes[i] = hepflow::root::compressPayload(sample.pieces[i], setting).size();
        });
        benchmark::DoNotOptimize(sizes.data());
    }
    state.SetBytesProcessed(state.iterations() * sample.bytes);
}

// Baseline of uncompressed writing: each piece memcpy'd into a buffer and written to a file.
void memcpyAndWrite(benchmark::State& state) {
    const auto& sample = nanoLikeSample();
    const std::string path = scratchPath("raw.bin");
    std::vector<std::byte> buffer(static_cast<std::size_t>(hepflow::root::kDefaultBasketBytes));
    for (auto _ : state) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) state.SkipWithError("cannot create the scratch file");
        for (const auto& piece : sample.pieces) {
            std::memcpy(buffer.data(), piece.data(), piece.size());
            if (::write(fd, buffer.data(), piece.size()) != static_cast<ssize_t>(piece.size()))
                state.SkipWithError("write failed");
        }
        ::fsync(fd);
        ::close(fd);
        fs::remove(path);
    }
    state.SetBytesProcessed(state.iterations() * sample.bytes);
}

// ---------------------------------------------------------------- hepflow copy

struct CopyInput {
    std::string path;
    std::int64_t bytes = 0;  // uncompressed bytes of the tree's baskets
    ~CopyInput() {
        std::error_code ec;
        fs::remove(path, ec);
    }
};

// The CMS file's Events tree written kReplicas times, floats jittered per replica so that
// baskets do not compress like repeated data. Written once, removed at exit.
const CopyInput& copyInput() {
    static const CopyInput input = [] {
        using namespace hepflow;
        CopyInput made;
        made.path = scratchPath("nano_replicated.root");
        const auto source = root::RootFile::open(std::string(HEPFLOW_TESTDATA_DIR) +
                                                 "/nanoAOD_2015_CMS_Open_Data_ttbar.root");
        const auto tree = root::Tree::open(*source, "Events");
        std::vector<const root::TBranch*> branches;
        std::vector<BranchSpec> specs;
        for (const auto* branch : tree->branches()) {
            const auto& info = tree->branchInfo(*branch);
            if (!info.interpretation) continue;
            const Column shape = info.interpretation->makeColumn();
            // NanoAOD: flat numbers, or arrays counted by a leaf (Muon_pt[nMuon]).
            const auto& count = branch->fLeaves.at(0)->fLeafCount;
            if (shape.levels() > 1 || (shape.levels() == 1 && count == nullptr)) continue;
            branches.push_back(branch);
            specs.push_back(spec(branch->fName, shape.dtype(), shape.levels(),
                                 count != nullptr ? count->fName : std::string()));
        }
        auto columns = tree->readBranches(branches);
        hepflow::root::FileWriteOptions options;
        options.compression = {CompressionAlgorithm::Lz4, 4};
        auto file = root::FileWriter::create(made.path, options);
        root::TreeWriter writer(*file, root::FileWriter::kTopDirectory, "Events", "Events", specs);
        std::mt19937 rng(7);
        std::uniform_real_distribution<float> jitter(0.999f, 1.001f);
        for (int replica = 0; replica < kReplicas; ++replica) {
            ColumnBatch batch;
            batch.first_entry = replica * tree->numEntries();
            batch.num_entries = tree->numEntries();
            for (std::size_t i = 0; i < columns.size(); ++i) {
                Column copy = columns[i];
                if (copy.dtype() == DType::Float32)
                    for (float& value : copy.values<float>()) value *= jitter(rng);
                batch.columns.emplace_back(specs[i].name, std::move(copy));
            }
            writer.write(batch);
        }
        writer.close();
        file->commit();
        const auto written = root::RootFile::open(made.path);
        const auto replicated = root::Tree::open(*written, "Events");
        for (const auto* branch : replicated->branches())
            made.bytes += replicated->branchInfo(*branch).uncompressed_bytes;
        return made;
    }();
    return input;
}

// `hepflow --threads N copy big.root out.root --compression zstd:5`, in-process.
void copyCommand(benchmark::State& state) {
    const auto& input = copyInput();
    const std::string output = scratchPath("copy_out.root");
    const std::string threads = std::to_string(state.range(0));
    for (auto _ : state) {
        std::vector<std::string> args = {"hepflow",  "--threads", threads,         "copy",
                                         input.path, output,      "--compression", "zstd:5"};
        std::vector<char*> argv;
        for (auto& arg : args) argv.push_back(arg.data());
        std::ostringstream out, err;
        if (hepflow::cli::runCli(static_cast<int>(argv.size()), argv.data(), out, err) != 0)
            state.SkipWithError(err.str().c_str());
        fs::remove(output);
    }
    state.SetBytesProcessed(state.iterations() * input.bytes);
}

// Baseline: reading (decompressing and decoding) every branch of the same file in chunks, as
// the copy does, with nothing written.
void readAlone(benchmark::State& state) {
    const auto& input = copyInput();
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism,
                                static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        const auto file = hepflow::root::RootFile::open(input.path);
        const auto tree = hepflow::root::Tree::open(*file, "Events");
        constexpr std::int64_t kChunk = 20000;  // ~60 MB, as the copy's chunks
        for (std::int64_t first = 0; first < tree->numEntries(); first += kChunk) {
            auto columns = tree->readBranches(tree->branches(), first,
                                              std::min(tree->numEntries(), first + kChunk));
            benchmark::DoNotOptimize(columns);
        }
    }
    state.SetBytesProcessed(state.iterations() * input.bytes);
}

// ---------------------------------------------------------------- registration and ratios

struct Pair {
    std::string label, mine, baseline;
    double target;  // 0: no target, the ratio is informative
};
std::vector<Pair> g_pairs;

void registerAll() {
    struct Algorithm {
        const char* label;
        int setting;
    };
    constexpr Algorithm kAlgorithms[] = {
        {"zlib:1", 101}, {"lz4:4", 404}, {"zstd:5", 505}, {"lzma:7", 207}};
    for (const auto& algorithm : kAlgorithms) {
        const std::string mine = fmt::format("TreeWriter/{}", algorithm.label);
        const std::string baseline = fmt::format("compressPayload/{}", algorithm.label);
        benchmark::RegisterBenchmark(mine.c_str(), writerThroughput)
            ->Arg(algorithm.setting)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(baseline.c_str(), rawCompress)
            ->Arg(algorithm.setting)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
        g_pairs.push_back({fmt::format("TreeWriter vs compressPayload, {}", algorithm.label),
                           mine + "/" + std::to_string(algorithm.setting),
                           baseline + "/" + std::to_string(algorithm.setting), 0.8});
    }
    benchmark::RegisterBenchmark("TreeWriter/none", writerThroughput)
        ->Arg(0)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("memcpy+write", memcpyAndWrite)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    g_pairs.push_back(
        {"TreeWriter uncompressed vs memcpy+write", "TreeWriter/none/0", "memcpy+write", 0.8});
    for (const int threads : {1, 2}) {
        benchmark::RegisterBenchmark("copy_zstd5", copyCommand)
            ->Arg(threads)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond)
            ->Iterations(1);
        benchmark::RegisterBenchmark("read_all_branches", readAlone)
            ->Arg(threads)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond)
            ->Iterations(1);
        g_pairs.push_back(
            {fmt::format("hepflow copy (zstd:5) vs read alone, {} thread(s)", threads),
             fmt::format("copy_zstd5/{}/iterations:1", threads),
             fmt::format("read_all_branches/{}/iterations:1", threads), 0});
    }
}

// Keeps each run's bytes/s so that main can print the ratios after the usual output.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
            if (run.run_type != Run::RT_Iteration && !median) continue;
            const auto it = run.counters.find("bytes_per_second");
            if (it == run.counters.end()) continue;
            std::string name = run.run_name.str();
            // "TreeWriter/zlib:1/101/real_time" -> "TreeWriter/zlib:1/101", as the pairs say.
            if (const auto at = name.rfind("/real_time"); at != std::string::npos) name.erase(at);
            if (median || !medians_.contains(name)) bytes_per_second_[name] = it->second;
            if (median) medians_.insert(name);
        }
        ConsoleReporter::ReportRuns(runs);
    }
    void printRatios() const {
        fmt::print("\n{:<52} {:>10} {:>10} {:>7} {:>7}\n", "pair", "MB/s", "base MB/s", "ratio",
                   "target");
        for (const Pair& p : g_pairs) {
            const auto a = bytes_per_second_.find(p.mine);
            const auto b = bytes_per_second_.find(p.baseline);
            if (a == bytes_per_second_.end() || b == bytes_per_second_.end()) continue;
            const double ratio = a->second / b->second;
            const std::string target = p.target > 0 ? fmt::format("{:.2f}", p.target) : "-";
            fmt::print("{:<52} {:>10.1f} {:>10.1f} {:>7.2f} {:>7}{}\n", p.label, a->second / 1e6,
                       b->second / 1e6, ratio, target,
                       p.target > 0 && ratio < p.target ? "  BELOW" : "");
        }
    }

private:
    std::map<std::string, double> bytes_per_second_;
    std::set<std::string> medians_;
};

}  // namespace

int main(int argc, char** argv) {
    registerAll();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.printRatios();
    benchmark::Shutdown();
    return 0;
}
