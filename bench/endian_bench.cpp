// The big-endian array decode every plain basket goes through (loadBigEndianArray: AVX2 byte
// shuffles where the CPU has them) against memcpy of the same bytes (the floor) and against
// the value-by-value loop it replaced, for floats and doubles, in cache (256 KiB: one basket)
// and out of it (64 MiB); all in the same run, each ratio printed at the end.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_support.h"
#include "root/endian.h"

namespace {

using hepflow::root::loadBigEndian;
using hepflow::root::loadBigEndianArray;

template <class T>
void run(benchmark::State& state, int kind) {
    const auto bytes = static_cast<std::size_t>(state.range(0));
    const std::vector<std::byte> src = hepflow::bench::floatColumn(bytes, 7);
    std::vector<T> out(bytes / sizeof(T));
    for (auto _ : state) {
        if (kind == 0) {
            loadBigEndianArray<T>(src, out);
        } else if (kind == 1) {
            std::memcpy(out.data(), src.data(), out.size() * sizeof(T));
        } else {
            // The loop loadBigEndianArray ran before: one value at a time.
            for (std::size_t i = 0; i < out.size(); ++i)
                out[i] = loadBigEndian<T>(src.data() + i * sizeof(T));
        }
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

template <class T>
void registerAll(const char* type) {
    const char* kinds[] = {"bulk", "memcpy", "one_by_one"};
    for (int kind = 0; kind < 3; ++kind)
        benchmark::RegisterBenchmark((std::string("BM_") + type + "_" + kinds[kind]).c_str(),
                                     [kind](benchmark::State& s) { run<T>(s, kind); })
            ->Arg(256 << 10)
            ->Arg(64 << 20);
}

}  // namespace

int main(int argc, char** argv) {
    hepflow::bench::allocateAsTheCliDoes(argv);
    registerAll<float>("float");
    registerAll<double>("double");
    std::vector<hepflow::bench::RatioPair> pairs;
    for (const char* type : {"float", "double"})
        for (const char* size : {"262144", "67108864"}) {
            const std::string bulk = std::string("BM_") + type + "_bulk/" + size;
            pairs.push_back({std::string(type) + " " + size + " B: bulk / memcpy", bulk,
                             std::string("BM_") + type + "_memcpy/" + size});
            pairs.push_back({std::string(type) + " " + size + " B: bulk / one by one", bulk,
                             std::string("BM_") + type + "_one_by_one/" + size});
        }
    return hepflow::bench::runWithRatios(argc, argv, std::move(pairs));
}
