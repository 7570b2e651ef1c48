// Throughput of hepflow's ROOT block decoder/encoder against the bare libraries on the same
// bytes (libdeflate, liblzma, LZ4, zstd with reused contexts), and of the stored-raw path
// against memcpy. Prints hepflow/raw ratios at the end: decode >= 0.9, raw copy >= 0.5,
// encode >= 0.8. Inputs: uproot-HZZ-uncompressed.root cut into ROOT-sized 32000-byte baskets,
// and a generated 1 MiB float column (a large basket). Prefix rows: decoding only the data part
// of a counted-array basket (decompressPayloadPrefix) against decoding it whole (>= 1; ZLIB,
// which decodes whole either way, >= 0.9).
#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <libdeflate.h>
#include <lz4.h>
#include <lz4hc.h>
#include <lzma.h>
#include <zstd.h>

// Inlined, as in the library, so the checksum baseline costs the same per byte.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "bench_support.h"
#include "root/compression/compression.h"

#ifndef HEPFLOW_TESTDATA_DIR
#define HEPFLOW_TESTDATA_DIR "tests/data"
#endif

namespace {

using hepflow::root::CompressionAlgorithm;
using hepflow::root::CompressionSetting;
using hepflow::root::kCompressionBlockHeaderSize;
using hepflow::root::kLz4ChecksumSize;
using Bytes = std::vector<std::byte>;

// TTree's default basket buffer size (TTree::Branch bufsize = 32000).
constexpr std::size_t kRootBasketSize = 32000;
constexpr std::size_t kLargeBasketSize = 1 << 20;

constexpr double kDecodeTarget = 0.9;
constexpr double kStoredTarget = 0.5;
constexpr double kEncodeTarget = 0.8;
constexpr double kPrefixTarget = 1.0;  // a prefix must never cost more than the whole block

// ROOT's usual levels per algorithm (101, 204 as in HZZ-lzma, 404, 505 = ROOT's default).
const CompressionSetting kSettings[] = {{CompressionAlgorithm::Zlib, 1},
                                        {CompressionAlgorithm::Lzma, 4},
                                        {CompressionAlgorithm::Lz4, 4},
                                        {CompressionAlgorithm::Zstd, 5}};

struct Dataset {
    std::string name;
    std::vector<Bytes> baskets;  // uncompressed payloads
    std::size_t total = 0;
};

Bytes readFileOrEmpty(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    Bytes bytes;
    if (!stream) return bytes;
    std::transform(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>(),
                   std::back_inserter(bytes), [](char c) { return static_cast<std::byte>(c); });
    return bytes;
}

Dataset makeDataset(std::string name, const Bytes& data, std::size_t basket_size) {
    Dataset d{std::move(name), {}, data.size()};
    for (std::size_t pos = 0; pos < data.size(); pos += basket_size) {
        const std::size_t n = std::min(basket_size, data.size() - pos);
        d.baskets.emplace_back(data.begin() + pos, data.begin() + pos + n);
    }
    return d;
}

std::vector<Dataset> datasets() {
    std::vector<Dataset> out;
    Bytes hzz =
        readFileOrEmpty(std::string(HEPFLOW_TESTDATA_DIR) + "/uproot-HZZ-uncompressed.root");
    if (hzz.empty()) {
        fmt::print(stderr, "uproot-HZZ-uncompressed.root not found; using a generated column\n");
        hzz = hepflow::bench::floatColumn(680'000, 2);
    }
    out.push_back(makeDataset("hzz_32k", hzz, kRootBasketSize));
    out.push_back(makeDataset("column_1M", hepflow::bench::floatColumn(kLargeBasketSize, 1),
                              kLargeBasketSize));
    return out;
}

// Compressed payloads plus the block bodies the raw decoders are given.
struct Compressed {
    std::vector<Bytes> payloads;
    std::vector<std::span<const std::byte>> bodies;  // after the header (and LZ4 checksum)
    std::size_t compressed_total = 0;
};

Compressed compressAll(const Dataset& d, CompressionSetting s) {
    Compressed c;
    for (const Bytes& b : d.baskets) c.payloads.push_back(hepflow::root::compressPayload(b, s));
    for (const Bytes& p : c.payloads) {
        if (p.size() < kCompressionBlockHeaderSize + kLz4ChecksumSize) {
            throw std::runtime_error("basket did not compress; pick other bench data");
        }
        std::size_t skip = kCompressionBlockHeaderSize;
        if (s.algorithm == CompressionAlgorithm::Lz4) skip += kLz4ChecksumSize;
        c.bodies.emplace_back(std::span(p).subspan(skip));
        c.compressed_total += p.size();
    }
    return c;
}

// ---- bare library calls, contexts created once outside the timed loop ----

struct RawCodec {
    std::function<void(std::span<const std::byte>, std::span<std::byte>)> decode;
    std::function<std::size_t(std::span<const std::byte>, std::span<std::byte>)> encode;
};

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("raw baseline failed: ") + what);
}

RawCodec rawCodec(CompressionSetting s) {
    RawCodec r;
    switch (s.algorithm) {
        case CompressionAlgorithm::Zlib: {
            std::shared_ptr<libdeflate_decompressor> d(libdeflate_alloc_decompressor(),
                                                       libdeflate_free_decompressor);
            std::shared_ptr<libdeflate_compressor> c(libdeflate_alloc_compressor(s.level),
                                                     libdeflate_free_compressor);
            r.decode = [d](std::span<const std::byte> in, std::span<std::byte> out) {
                check(libdeflate_zlib_decompress(d.get(), in.data(), in.size(), out.data(),
                                                 out.size(), nullptr) == LIBDEFLATE_SUCCESS,
                      "libdeflate_zlib_decompress");
            };
            r.encode = [c](std::span<const std::byte> in, std::span<std::byte> out) {
                return libdeflate_zlib_compress(c.get(), in.data(), in.size(), out.data(),
                                                out.size());
            };
            break;
        }
        case CompressionAlgorithm::Lzma: {
            auto stream = std::shared_ptr<lzma_stream>(new lzma_stream(LZMA_STREAM_INIT),
                                                       [](lzma_stream* st) {
                                                           lzma_end(st);
                                                           delete st;
                                                       });
            r.decode = [stream](std::span<const std::byte> in, std::span<std::byte> out) {
                lzma_stream* st = stream.get();
                check(lzma_stream_decoder(st, UINT64_MAX, 0) == LZMA_OK, "lzma_stream_decoder");
                st->next_in = reinterpret_cast<const std::uint8_t*>(in.data());
                st->avail_in = in.size();
                st->next_out = reinterpret_cast<std::uint8_t*>(out.data());
                st->avail_out = out.size();
                check(lzma_code(st, LZMA_FINISH) == LZMA_STREAM_END, "lzma_code");
            };
            const int level = s.level;
            r.encode = [stream, level](std::span<const std::byte> in, std::span<std::byte> out) {
                // Same options as ROOT (and hepflow): preset, dictionary <= a quarter of input.
                lzma_options_lzma opt;
                lzma_lzma_preset(&opt, static_cast<std::uint32_t>(level));
                opt.dict_size = std::min<std::uint32_t>(
                    opt.dict_size,
                    std::max<std::uint32_t>(LZMA_DICT_SIZE_MIN,
                                            static_cast<std::uint32_t>(in.size() / 4)));
                const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt},
                                               {LZMA_VLI_UNKNOWN, nullptr}};
                lzma_stream* st = stream.get();
                check(lzma_stream_encoder(st, filters, LZMA_CHECK_CRC32) == LZMA_OK,
                      "lzma_stream_encoder");
                st->next_in = reinterpret_cast<const std::uint8_t*>(in.data());
                st->avail_in = in.size();
                st->next_out = reinterpret_cast<std::uint8_t*>(out.data());
                st->avail_out = out.size();
                check(lzma_code(st, LZMA_FINISH) == LZMA_STREAM_END, "lzma_code encode");
                return out.size() - st->avail_out;
            };
            break;
        }
        case CompressionAlgorithm::Lz4: {
            auto state = std::shared_ptr<std::byte[]>(
                new std::byte[static_cast<std::size_t>(LZ4_sizeofStateHC())]);
            r.decode = [](std::span<const std::byte> in, std::span<std::byte> out) {
                check(LZ4_decompress_safe(
                          reinterpret_cast<const char*>(in.data()),
                          reinterpret_cast<char*>(out.data()), static_cast<int>(in.size()),
                          static_cast<int>(out.size())) == static_cast<int>(out.size()),
                      "LZ4_decompress_safe");
            };
            const int level = s.level;
            r.encode = [state, level](std::span<const std::byte> in, std::span<std::byte> out) {
                return static_cast<std::size_t>(LZ4_compress_HC_extStateHC(
                    state.get(), reinterpret_cast<const char*>(in.data()),
                    reinterpret_cast<char*>(out.data()), static_cast<int>(in.size()),
                    static_cast<int>(out.size()), level));
            };
            break;
        }
        case CompressionAlgorithm::Zstd: {
            std::shared_ptr<ZSTD_DCtx> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
            std::shared_ptr<ZSTD_CCtx> c(ZSTD_createCCtx(), ZSTD_freeCCtx);
            r.decode = [d](std::span<const std::byte> in, std::span<std::byte> out) {
                check(ZSTD_decompressDCtx(d.get(), out.data(), out.size(), in.data(), in.size()) ==
                          out.size(),
                      "ZSTD_decompressDCtx");
            };
            const int level = 2 * s.level;
            r.encode = [c, level](std::span<const std::byte> in, std::span<std::byte> out) {
                const std::size_t n =
                    ZSTD_compressCCtx(c.get(), out.data(), out.size(), in.data(), in.size(), level);
                check(!ZSTD_isError(n), "ZSTD_compressCCtx");
                return n;
            };
            break;
        }
        default: throw std::runtime_error("no raw codec");
    }
    return r;
}

// ---- registration ----

std::vector<hepflow::bench::RatioPair> g_pairs;

void registerPair(const std::string& prefix, double target,
                  std::function<void(benchmark::State&)> ours,
                  std::function<void(benchmark::State&)> raw,
                  const std::string& ours_name = "hepflow", const std::string& raw_name = "raw") {
    const std::string a = prefix + "/" + ours_name;
    const std::string b = prefix + "/" + raw_name;
    benchmark::RegisterBenchmark(a.c_str(), ours);
    benchmark::RegisterBenchmark(b.c_str(), raw);
    g_pairs.push_back({prefix, a, b, target});
}

// LZ4 blocks carry an XXH64 that ROOT and hepflow verify; a second baseline that verifies it
// too shows how much of the gap to bare LZ4_decompress_safe is that mandatory checksum.
void registerLz4ChecksumBaseline(const std::string& prefix, std::shared_ptr<const Dataset> data,
                                 std::shared_ptr<const Compressed> packed) {
    const std::string name = prefix + "/raw_with_xxh64";
    benchmark::RegisterBenchmark(name.c_str(), [data, packed](benchmark::State& state) {
        Bytes out(kLargeBasketSize);
        for (auto _ : state) {
            for (std::size_t i = 0; i < packed->payloads.size(); ++i) {
                const auto body =
                    std::span(packed->payloads[i]).subspan(kCompressionBlockHeaderSize);
                std::uint64_t stored = 0;
                for (std::size_t k = 0; k < kLz4ChecksumSize; ++k) {
                    stored = stored << 8 | std::to_integer<std::uint64_t>(body[k]);
                }
                const auto lz4 = body.subspan(kLz4ChecksumSize);
                check(XXH64(lz4.data(), lz4.size(), 0) == stored, "XXH64");
                check(LZ4_decompress_safe(reinterpret_cast<const char*>(lz4.data()),
                                          reinterpret_cast<char*>(out.data()),
                                          static_cast<int>(lz4.size()),
                                          static_cast<int>(data->baskets[i].size())) ==
                          static_cast<int>(data->baskets[i].size()),
                      "LZ4_decompress_safe");
            }
            benchmark::DoNotOptimize(out.data());
        }
        state.SetBytesProcessed(state.iterations() * data->total);
    });
    g_pairs.push_back({prefix + " (vs LZ4+XXH64)", prefix + "/hepflow", name, kDecodeTarget});
}

void registerAll(const std::vector<Dataset>& sets) {
    for (const Dataset& d : sets) {
        const auto data = std::make_shared<const Dataset>(d);
        for (const CompressionSetting s : kSettings) {
            const auto packed = std::make_shared<const Compressed>(compressAll(d, s));
            const auto codec = std::make_shared<RawCodec>(rawCodec(s));
            const std::string name =
                fmt::format("{}/{}-{}/{}", "Decode", hepflow::root::algorithmName(s.algorithm),
                            s.level, d.name);
            const double ratio = static_cast<double>(data->total) / packed->compressed_total;
            registerPair(
                name, kDecodeTarget,
                [data, packed, ratio](benchmark::State& state) {
                    Bytes out(kLargeBasketSize);
                    for (auto _ : state) {
                        for (std::size_t i = 0; i < packed->payloads.size(); ++i) {
                            hepflow::root::decompressPayload(
                                packed->payloads[i], std::span(out).first(data->baskets[i].size()),
                                0);
                        }
                        benchmark::DoNotOptimize(out.data());
                    }
                    state.SetBytesProcessed(state.iterations() * data->total);
                    state.counters["compression_ratio"] = ratio;
                },
                [data, packed, codec](benchmark::State& state) {
                    Bytes out(kLargeBasketSize);
                    for (auto _ : state) {
                        for (std::size_t i = 0; i < packed->bodies.size(); ++i) {
                            codec->decode(packed->bodies[i],
                                          std::span(out).first(data->baskets[i].size()));
                        }
                        benchmark::DoNotOptimize(out.data());
                    }
                    state.SetBytesProcessed(state.iterations() * data->total);
                });
            if (s.algorithm == CompressionAlgorithm::Lz4) {
                registerLz4ChecksumBaseline(name, data, packed);
            }

            const std::string enc =
                fmt::format("{}/{}-{}/{}", "Encode", hepflow::root::algorithmName(s.algorithm),
                            s.level, d.name);
            registerPair(
                enc, kEncodeTarget,
                [data, s](benchmark::State& state) {
                    for (auto _ : state) {
                        for (const Bytes& b : data->baskets) {
                            auto packed_basket = hepflow::root::compressPayload(b, s);
                            benchmark::DoNotOptimize(packed_basket.data());
                        }
                    }
                    state.SetBytesProcessed(state.iterations() * data->total);
                },
                [data, codec](benchmark::State& state) {
                    Bytes out(kLargeBasketSize + kLargeBasketSize / 8);
                    for (auto _ : state) {
                        for (const Bytes& b : data->baskets) {
                            benchmark::DoNotOptimize(codec->encode(b, out));
                        }
                    }
                    state.SetBytesProcessed(state.iterations() * data->total);
                });
        }
        // Stored-raw payloads: decompressPayload's copy path against memcpy.
        registerPair(
            fmt::format("Stored/{}", d.name), kStoredTarget,
            [data](benchmark::State& state) {
                Bytes out(kLargeBasketSize);
                for (auto _ : state) {
                    for (const Bytes& b : data->baskets) {
                        hepflow::root::decompressPayload(b, std::span(out).first(b.size()), 0);
                    }
                    benchmark::DoNotOptimize(out.data());
                }
                state.SetBytesProcessed(state.iterations() * data->total);
            },
            [data](benchmark::State& state) {
                Bytes out(kLargeBasketSize);
                for (auto _ : state) {
                    for (const Bytes& b : data->baskets) {
                        std::memcpy(out.data(), b.data(), b.size());
                    }
                    benchmark::DoNotOptimize(out.data());
                }
                state.SetBytesProcessed(state.iterations() * data->total);
            });
    }
}

// A NanoAOD counted-array basket (Muon_pt: 56,000 entries, 0.26 values per entry): the floats,
// then the entry-offset array ROOT appends (big-endian fKeylen + byte position per entry, after
// its length), which is most of the payload and what a reader with the counter skips.
Bytes countedArrayBasket(std::size_t* data_bytes) {
    constexpr std::uint32_t kEntries = 56'000;
    constexpr std::uint32_t kKeylen = 80;
    std::mt19937_64 rng(7);
    std::poisson_distribution<std::uint32_t> count(0.26);
    std::vector<std::uint32_t> offsets;
    std::uint32_t values = 0;
    for (std::uint32_t e = 0; e < kEntries; ++e) {
        offsets.push_back(kKeylen + 4 * values);
        values += count(rng);
    }
    Bytes basket = hepflow::bench::floatColumn(4 * static_cast<std::size_t>(values), 3);
    *data_bytes = basket.size();
    const auto append = [&](std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
            basket.push_back(static_cast<std::byte>((v >> shift) & 0xffu));
    };
    append(kEntries + 1);
    for (const std::uint32_t offset : offsets) append(offset);
    append(0);
    return basket;
}

void registerPrefixes() {
    std::size_t data_bytes = 0;
    const auto basket = std::make_shared<const Bytes>(countedArrayBasket(&data_bytes));
    for (const CompressionSetting s : kSettings) {
        const auto packed =
            std::make_shared<const Bytes>(hepflow::root::compressPayload(*basket, s));
        const std::string name = fmt::format("Prefix/{}-{}/counted_basket",
                                             hepflow::root::algorithmName(s.algorithm), s.level);
        // Both count the data part as processed, so the ratio is the time saved.
        const auto bytes = static_cast<std::int64_t>(data_bytes);
        // ZLIB decodes the whole block either way (libdeflate cannot stop): the same work.
        registerPair(
            name, s.algorithm == CompressionAlgorithm::Zlib ? kDecodeTarget : kPrefixTarget,
            [basket, packed, data_bytes, bytes](benchmark::State& state) {
                Bytes out(basket->size());
                for (auto _ : state) {
                    hepflow::root::decompressPayloadPrefix(*packed, out, 0, data_bytes);
                    benchmark::DoNotOptimize(out.data());
                }
                state.SetBytesProcessed(state.iterations() * bytes);
                state.counters["payload_share"] =
                    static_cast<double>(data_bytes) / static_cast<double>(basket->size());
            },
            [basket, packed, bytes](benchmark::State& state) {
                Bytes out(basket->size());
                for (auto _ : state) {
                    hepflow::root::decompressPayload(*packed, out, 0);
                    benchmark::DoNotOptimize(out.data());
                }
                state.SetBytesProcessed(state.iterations() * bytes);
            },
            "prefix", "whole");
    }
}

}  // namespace

int main(int argc, char** argv) {
    registerAll(datasets());
    registerPrefixes();
    return hepflow::bench::runWithRatios(argc, argv, g_pairs);
}
