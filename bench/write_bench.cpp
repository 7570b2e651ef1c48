// The ROOT writer's throughput on 1 and 2 threads. TreeWriter on a NanoAOD-like batch (~50 MB:
// flat numbers and counted float/int/bool arrays) per compression algorithm, against
// compressPayloadInto on the very basket payloads the writer makes (values big-endian + entry
// offsets, read back from an uncompressed write), in parallel into preallocated buffers;
// uncompressed writing against memcpy + write(2) of those payloads; and `hepflow copy` of a few
// hundred MB NanoAOD-like file (the CMS test file's Events, replicated) against reading it alone.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include "bench_support.h"
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
    // The uncompressed payloads of every basket the writer makes of the batch (entries and
    // entry offsets, as compressed): what the baselines compress or copy.
    std::vector<std::vector<std::byte>> pieces;
    std::int64_t bytes = 0;  // their total: the bytes/s of every benchmark of the sample
};

// A float with 12 mantissa bits, as NanoAOD stores most of its floats (so that the data
// compresses like real data, neither like noise nor like constants).
float nanoFloat(double value) {
    int exponent = 0;
    const double mantissa = std::frexp(value, &exponent);
    return static_cast<float>(std::ldexp(std::round(mantissa * 4096) / 4096, exponent));
}

std::vector<std::byte> readWholeFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::byte> bytes(fs::file_size(path));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!in) throw std::runtime_error("cannot read " + path);
    return bytes;
}

void writeTree(const std::string& path, const Sample& sample, CompressionSetting setting) {
    hepflow::root::FileWriteOptions options;
    options.compression = setting;
    auto file = hepflow::root::FileWriter::create(path, options);
    hepflow::root::TreeWriter tree(*file, hepflow::root::FileWriter::kTopDirectory, "Events", "",
                                   sample.specs);
    tree.write(sample.batch);
    tree.close();
    file->commit();
}

// The sample written uncompressed, and every basket's payload cut out of the file.
void addPieces(Sample& sample) {
    const std::string path = scratchPath("pieces.root");
    writeTree(path, sample, {CompressionAlgorithm::None, 0});
    const auto bytes = readWholeFile(path);
    const auto file = hepflow::root::RootFile::open(path);
    const auto tree = hepflow::root::Tree::open(*file, "Events");
    for (const auto* branch : tree->branches()) {
        for (const auto& basket : tree->branchInfo(*branch).baskets) {
            // Key header: int32 fNbytes, int16 fVersion, int32 fObjlen, uint32 fDatime, then
            // int16 fKeylen at byte 14. Stored raw, the payload is fObjlen bytes after the key.
            const std::byte* key = bytes.data() + basket.seek;
            const auto objlen = hepflow::root::loadBigEndian<std::int32_t>(key + 6);
            const auto keylen = hepflow::root::loadBigEndian<std::int16_t>(key + 14);
            if (objlen != basket.bytes - keylen)
                throw std::runtime_error("a basket of the uncompressed sample is not raw");
            const auto begin = bytes.begin() + static_cast<std::ptrdiff_t>(basket.seek) + keylen;
            const auto end =
                bytes.begin() + static_cast<std::ptrdiff_t>(basket.seek) + basket.bytes;
            sample.pieces.emplace_back(begin, end);
            sample.bytes += end - begin;
        }
    }
    fs::remove(path);
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
        addPieces(s);
        return s;
    }();
    return sample;
}

// ---------------------------------------------------------------- writer vs raw compression

// Arguments of the sample's benchmarks: {fCompress setting, threads}.
CompressionSetting settingOf(const benchmark::State& state) {
    return CompressionSetting::fromRoot(static_cast<int>(state.range(0)));
}
tbb::global_control threadsOf(const benchmark::State& state) {
    return tbb::global_control(tbb::global_control::max_allowed_parallelism,
                               static_cast<std::size_t>(state.range(1)));
}

// TreeWriter: file created, batch written, tree closed, file committed (fsync) and removed.
void writerThroughput(benchmark::State& state) {
    const auto& sample = nanoLikeSample();
    const auto threads = threadsOf(state);
    const std::string path = scratchPath("tree.root");
    std::uint64_t file_bytes = 0;
    for (auto _ : state) {
        writeTree(path, sample, settingOf(state));
        file_bytes = fs::file_size(path);
        fs::remove(path);
    }
    state.SetBytesProcessed(state.iterations() * sample.bytes);
    state.counters["compression_ratio"] =
        static_cast<double>(sample.bytes) / static_cast<double>(file_bytes);
}

// Baseline: compressPayloadInto on every basket payload, in parallel, into output buffers
// allocated (and faulted in) before the timing; nothing written.
void rawCompress(benchmark::State& state) {
    const auto& sample = nanoLikeSample();
    const auto threads = threadsOf(state);
    const auto setting = settingOf(state);
    std::vector<std::vector<std::byte>> outputs;
    for (const auto& piece : sample.pieces) outputs.emplace_back(piece.size());
    std::vector<std::size_t> sizes(sample.pieces.size());
    for (auto _ : state) {
        tbb::parallel_for(std::size_t{0}, sample.pieces.size(), [&](std::size_t i) {
            sizes[i] = hepflow::root::compressPayloadInto(sample.pieces[i], setting, outputs[i]);
        });
        benchmark::DoNotOptimize(sizes.data());
    }
    state.SetBytesProcessed(state.iterations() * sample.bytes);
}

// Baseline of uncompressed writing: each payload memcpy'd into a buffer and written to a file,
// then fsync, as the writer's commit does.
void memcpyAndWrite(benchmark::State& state) {
    const auto& sample = nanoLikeSample();
    const std::string path = scratchPath("raw.bin");
    std::vector<std::byte> buffer;
    for (const auto& piece : sample.pieces) buffer.resize(std::max(buffer.size(), piece.size()));
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

// `hepflow --threads N copy big.root out.root --compression zstd:5` (or none), in-process.
void copyCommand(benchmark::State& state) {
    const auto& input = copyInput();
    const std::string output = scratchPath("copy_out.root");
    const std::string threads = std::to_string(state.range(0));
    const std::string compression = state.range(1) == 0 ? "none" : "zstd:5";
    for (auto _ : state) {
        std::vector<std::string> args = {"hepflow",  "--threads", threads,         "copy",
                                         input.path, output,      "--compression", compression};
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

// ---------------------------------------------------------------- registration

std::vector<hepflow::bench::RatioPair> registerAll() {
    std::vector<hepflow::bench::RatioPair> pairs;
    struct Algorithm {
        const char* label;
        int setting;
    };
    constexpr Algorithm kAlgorithms[] = {
        {"zlib:1", 101}, {"lz4:4", 404}, {"zstd:5", 505}, {"lzma:7", 207}, {"none", 0}};
    const auto timed = [](benchmark::internal::Benchmark* b) {
        b->UseRealTime()->Unit(benchmark::kMillisecond);
    };
    for (const int threads : {1, 2}) {
        for (const auto& algorithm : kAlgorithms) {
            const std::string mine = fmt::format("TreeWriter/{}", algorithm.label);
            const std::string args = fmt::format("{}/{}", algorithm.setting, threads);
            timed(benchmark::RegisterBenchmark(mine.c_str(), writerThroughput)
                      ->Args({algorithm.setting, threads}));
            if (algorithm.setting == 0) {
                pairs.push_back(
                    {fmt::format("TreeWriter uncompressed vs memcpy+write, {} thr", threads),
                     mine + "/" + args, "memcpy+write", 0.8});
                continue;
            }
            const std::string baseline = fmt::format("compressPayload/{}", algorithm.label);
            timed(benchmark::RegisterBenchmark(baseline.c_str(), rawCompress)
                      ->Args({algorithm.setting, threads}));
            pairs.push_back(
                {fmt::format("TreeWriter vs compressPayload, {}, {} thr", algorithm.label, threads),
                 mine + "/" + args, baseline + "/" + args, 0.8});
        }
    }
    timed(benchmark::RegisterBenchmark("memcpy+write", memcpyAndWrite));
    for (const int threads : {1, 2}) {
        for (const int compressed : {0, 1}) {
            benchmark::RegisterBenchmark("copy", copyCommand)
                ->Args({threads, compressed})
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond)
                ->Iterations(1);
            pairs.push_back({fmt::format("hepflow copy ({}) vs read alone, {} thr",
                                         compressed ? "zstd:5" : "none", threads),
                             fmt::format("copy/{}/{}/iterations:1", threads, compressed),
                             fmt::format("read_all_branches/{}/iterations:1", threads), 0});
        }
        benchmark::RegisterBenchmark("read_all_branches", readAlone)
            ->Arg(threads)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond)
            ->Iterations(1);
    }
    return pairs;
}

}  // namespace

int main(int argc, char** argv) {
    hepflow::bench::allocateAsTheCliDoes(argv);  // `hepflow copy` writes with it
    return hepflow::bench::runWithRatios(argc, argv, registerAll());
}
