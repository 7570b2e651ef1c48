// Tests of ROOT compression blocks: every compressed record of the real testdata files inflates
// to its fObjlen (and HZZ's baskets to the bytes of the uncompressed twin), compress ->
// decompress is identity for every algorithm, level and size, and corrupt payloads throw the
// right error with the offset of the bad block.
#include "root/compression/compression.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <lz4.h>
#include <lzma.h>
#include <xxhash.h>

#include "common/error.h"
#include "support/test_support.h"

#ifndef HEPFLOW_TESTDATA_DIR
#define HEPFLOW_TESTDATA_DIR "tests/data"
#endif

namespace hepflow::root {
namespace {

using Bytes = std::vector<std::byte>;

// ---------------------------------------------------------------------------------------------
// A minimal record walker (ROOT-FORMAT.md sections 1 and 2), written here on purpose so these
// tests depend on nothing but the compression library.

struct Record {
    std::uint64_t offset = 0;
    std::int32_t fNbytes = 0;
    std::int32_t fObjlen = 0;
    std::int16_t fKeylen = 0;
    std::string class_name;
    std::string name;
    std::span<const std::byte> payload;  // fNbytes - fKeylen bytes after the key header
    std::uint64_t payload_offset = 0;
    bool compressed() const { return payload.size() != static_cast<std::size_t>(fObjlen); }
};

Bytes readFile(const std::string& name) {
    const std::string path = std::string(HEPFLOW_TESTDATA_DIR) + "/" + name;
    std::ifstream stream(path, std::ios::binary);
    if (!stream) throw std::runtime_error("cannot open " + path);
    Bytes bytes;
    std::transform(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>(),
                   std::back_inserter(bytes), [](char c) { return static_cast<std::byte>(c); });
    return bytes;
}

std::uint64_t readBigEndian(const Bytes& bytes, std::size_t pos, int n) {
    if (pos + static_cast<std::size_t>(n) > bytes.size()) throw std::runtime_error("short read");
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(bytes[pos + i]);
    return v;
}

std::string readTString(const Bytes& bytes, std::size_t& pos) {
    std::size_t n = std::to_integer<std::size_t>(bytes.at(pos++));
    if (n == 255) {
        n = readBigEndian(bytes, pos, 4);
        pos += 4;
    }
    if (pos + n > bytes.size()) throw std::runtime_error("short TString");
    std::string s(reinterpret_cast<const char*>(bytes.data() + pos), n);
    pos += n;
    return s;
}

// Walks the records from fBEGIN to fEND of a small-layout file (all testdata files), skipping
// gaps; records sit back to back there.
std::vector<Record> walkRecords(const Bytes& file) {
    const auto f_begin = readBigEndian(file, 8, 4);
    const auto f_end = readBigEndian(file, 12, 4);
    std::vector<Record> records;
    std::size_t pos = f_begin;
    while (pos < f_end) {
        const auto nbytes = static_cast<std::int32_t>(readBigEndian(file, pos, 4));
        if (nbytes < 0) {
            pos += static_cast<std::size_t>(-nbytes);
            continue;
        }
        if (nbytes == 0) throw std::runtime_error("zero-length record");
        Record r;
        r.offset = pos;
        r.fNbytes = nbytes;
        const auto key_version = static_cast<std::int16_t>(readBigEndian(file, pos + 4, 2));
        r.fObjlen = static_cast<std::int32_t>(readBigEndian(file, pos + 6, 4));
        r.fKeylen = static_cast<std::int16_t>(readBigEndian(file, pos + 14, 2));
        std::size_t strings = pos + (key_version > 1000 ? 34 : 26);
        r.class_name = readTString(file, strings);
        r.name = readTString(file, strings);
        if (pos + static_cast<std::size_t>(nbytes) > file.size() || r.fKeylen > nbytes) {
            throw std::runtime_error("record past the end of the file");
        }
        r.payload = std::span(file).subspan(pos + r.fKeylen, nbytes - r.fKeylen);
        r.payload_offset = pos + r.fKeylen;
        records.push_back(std::move(r));
        pos += static_cast<std::size_t>(nbytes);
    }
    return records;
}

Bytes inflate(const Record& r) {
    Bytes out(static_cast<std::size_t>(r.fObjlen));
    decompressPayload(r.payload, out, r.payload_offset);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Seeds and generated data.

Bytes randomBytes(std::size_t n, std::mt19937_64& rng) {
    Bytes out(n);
    for (auto& b : out) b = static_cast<std::byte>(rng() & 0xFF);
    return out;
}

// Big-endian floats shaped like a physics column (a falling pT spectrum, 0.01 GeV steps), the
// kind of data baskets hold; compressible but not trivially so.
Bytes floatColumn(std::size_t n_bytes, std::mt19937_64& rng) {
    std::exponential_distribution<float> pt(1.0f / 30.0f);
    Bytes out(n_bytes);
    for (std::size_t i = 0; i + 4 <= n_bytes; i += 4) {
        const float v = std::round(pt(rng) * 100.0f) / 100.0f;
        std::uint32_t bits;
        std::memcpy(&bits, &v, 4);
        for (int k = 0; k < 4; ++k) out[i + k] = static_cast<std::byte>(bits >> (24 - 8 * k));
    }
    return out;
}

// 4 KiB records of one fixed random pattern plus a record counter: every algorithm, even LZ4
// and ZLIB level 1, compresses it several-fold and quickly, as multi-block sizes need.
Bytes repeatingRecords(std::size_t n_bytes) {
    constexpr std::size_t kRecord = 4096;
    std::mt19937_64 rng(5);
    const Bytes pattern = randomBytes(kRecord, rng);
    Bytes out(n_bytes);
    for (std::size_t i = 0; i < n_bytes; ++i) {
        const std::size_t record = i / kRecord;
        const std::size_t k = i % kRecord;
        out[i] = k < 4 ? static_cast<std::byte>((record >> (8 * (3 - k))) & 0xFF) : pattern[k];
    }
    return out;
}

std::uint32_t le24(std::span<const std::byte> p) {
    return std::to_integer<std::uint32_t>(p[0]) | std::to_integer<std::uint32_t>(p[1]) << 8 |
           std::to_integer<std::uint32_t>(p[2]) << 16;
}

void setLe24(std::span<std::byte> p, std::uint32_t v) {
    for (int i = 0; i < 3; ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
}

// ---------------------------------------------------------------------------------------------
// Settings.

TEST(CompressionSetting, FromRootTable) {
    const auto check = [](int code, CompressionAlgorithm algorithm, int level, int back) {
        SCOPED_TRACE(code);
        const auto s = CompressionSetting::fromRoot(code);
        EXPECT_EQ(s.algorithm, algorithm);
        EXPECT_EQ(s.level, level);
        EXPECT_EQ(s.toRoot(), back);
    };
    check(0, CompressionAlgorithm::None, 0, 0);         // uproot-histograms.root
    check(1, CompressionAlgorithm::Zlib, 1, 101);       // ROOT 5 HZZ: bare level = ZLIB
    check(9, CompressionAlgorithm::Zlib, 9, 109);       // the same, highest level
    check(100, CompressionAlgorithm::Zlib, 0, 100);     // HZZ-uncompressed: ZLIB, level 0
    check(101, CompressionAlgorithm::Zlib, 1, 101);     // nanoAOD
    check(104, CompressionAlgorithm::Zlib, 4, 104);     // Zmumu
    check(201, CompressionAlgorithm::Lzma, 1, 201);     // tree_with_large_array_lzma
    check(204, CompressionAlgorithm::Lzma, 4, 204);     // HZZ-lzma
    check(207, CompressionAlgorithm::Lzma, 7, 207);     // section 5.4 example
    check(300, CompressionAlgorithm::OldRoot, 0, 300);  // old algorithm, stored
    check(404, CompressionAlgorithm::Lz4, 4, 404);      // HZZ-lz4
    check(505, CompressionAlgorithm::Zstd, 5, 505);     // HZZ-zstd, ROOT's default
    check(509, CompressionAlgorithm::Zstd, 9, 509);     // string-example
    check(599, CompressionAlgorithm::Zstd, 99, 599);    // highest encodable
}

TEST(CompressionSetting, RejectsUnknownCodes) {
    for (int code : {-1, -101, 600, 612, 1234}) {
        SCOPED_TRACE(code);
        EXPECT_THROW(CompressionSetting::fromRoot(code), UnsupportedError);
    }
}

TEST(CompressionSetting, Names) {
    EXPECT_EQ(algorithmName(CompressionAlgorithm::None), "none");
    EXPECT_EQ(algorithmName(CompressionAlgorithm::Zlib), "ZLIB");
    EXPECT_EQ(algorithmName(CompressionAlgorithm::Lzma), "LZMA");
    EXPECT_EQ(algorithmName(CompressionAlgorithm::Lz4), "LZ4");
    EXPECT_EQ(algorithmName(CompressionAlgorithm::Zstd), "ZSTD");
    EXPECT_EQ(algorithmName(CompressionAlgorithm::OldRoot), "CS");
}

TEST(DetectBlockAlgorithm, Magics) {
    const auto detect = [](std::string_view s) {
        Bytes b;
        for (char ch : s) b.push_back(static_cast<std::byte>(ch));
        return detectBlockAlgorithm(b);
    };
    EXPECT_EQ(detect("ZL\x08"), CompressionAlgorithm::Zlib);
    EXPECT_EQ(detect("XZ"), CompressionAlgorithm::Lzma);
    EXPECT_EQ(detect("L4\x01"), CompressionAlgorithm::Lz4);
    EXPECT_EQ(detect("ZS\x01"), CompressionAlgorithm::Zstd);
    EXPECT_EQ(detect("CS\x08"), CompressionAlgorithm::OldRoot);
    EXPECT_EQ(detect("QQ"), CompressionAlgorithm::None);
    EXPECT_EQ(detect("Z"), CompressionAlgorithm::None);
    EXPECT_EQ(detect(""), CompressionAlgorithm::None);
}

// ---------------------------------------------------------------------------------------------
// Real files: every record of every testdata file goes through decompressPayload.

struct FileCase {
    const char* file;
    int zlib, lzma, lz4, zstd;  // compressed records by the algorithm of their first block
    int raw;                    // records stored uncompressed (fObjlen == fNbytes - fKeylen)
};

// Counts taken from the files with an independent script (Python zlib/lzma for ZL/XZ): the
// StreamerInfo TList is ZLIB in the LZMA/LZ4 twins of HZZ; 6 HZZ-lz4 and 372 sample-6.20.04
// baskets are stored raw.
const FileCase kFileCases[] = {
    {"TNtuple.root", 5, 0, 0, 0, 3},
    {"nanoAOD_2015_CMS_Open_Data_ttbar.root", 4, 0, 0, 0, 3},
    {"string-example.root", 0, 0, 0, 2, 5},
    {"tree_with_large_array_lzma.root", 0, 28, 0, 0, 3},
    {"uproot-HZZ-lz4.root", 1, 0, 52, 0, 9},
    {"uproot-HZZ-lzma.root", 1, 58, 0, 0, 3},
    {"uproot-HZZ-uncompressed.root", 1, 0, 0, 0, 61},
    {"uproot-HZZ-zstd.root", 0, 0, 0, 59, 3},
    {"uproot-HZZ.root", 59, 0, 0, 0, 3},
    {"uproot-Zmumu.root", 22, 0, 0, 0, 3},
    {"uproot-histograms.root", 1, 0, 0, 0, 6},
    {"uproot-issue513.root", 325, 0, 0, 0, 32},
    {"uproot-leaflist.root", 3, 0, 0, 0, 3},
    {"uproot-nesteddirs.root", 65, 0, 0, 0, 12},
    {"uproot-sample-6.20.04-zlib.root", 41, 0, 0, 0, 375},
    {"uproot-small-evnt-tree-fullsplit.root", 43, 0, 0, 0, 3},
    {"uproot-stl_containers.root", 26, 0, 0, 0, 5},
    {"uproot-vectorVectorDouble.root", 3, 0, 0, 0, 3},
};

class RealFile : public testing::TestWithParam<FileCase> {};

TEST_P(RealFile, EveryRecordInflatesToItsObjlen) {
    const FileCase& c = GetParam();
    const Bytes file = readFile(c.file);
    std::map<CompressionAlgorithm, int> by_algorithm;
    int raw = 0;
    int headers_checked = 0;
    for (const Record& r : walkRecords(file)) {
        SCOPED_TRACE(r.class_name + " " + r.name + " at " + std::to_string(r.offset));
        if (r.compressed()) {
            ++by_algorithm[detectBlockAlgorithm(r.payload)];
        } else {
            ++raw;
        }
        const Bytes out = inflate(r);
        ASSERT_EQ(out.size(), static_cast<std::size_t>(r.fObjlen));
        // Whole objects start with their byte count (fObjlen - 4) flagged with kByteCountMask.
        if (r.class_name == "TTree" || r.class_name == "TList" || r.class_name == "TNtuple" ||
            r.class_name == "TH1F") {
            EXPECT_EQ(readBigEndian(out, 0, 4), 0x40000000u | (r.fObjlen - 4u));
            ++headers_checked;
        }
    }
    EXPECT_EQ(by_algorithm[CompressionAlgorithm::Zlib], c.zlib);
    EXPECT_EQ(by_algorithm[CompressionAlgorithm::Lzma], c.lzma);
    EXPECT_EQ(by_algorithm[CompressionAlgorithm::Lz4], c.lz4);
    EXPECT_EQ(by_algorithm[CompressionAlgorithm::Zstd], c.zstd);
    EXPECT_EQ(by_algorithm[CompressionAlgorithm::None], 0);
    EXPECT_EQ(raw, c.raw);
    EXPECT_GE(headers_checked, 2);  // every file has a StreamerInfo TList and a tree or TH1F
}

INSTANTIATE_TEST_SUITE_P(Testdata, RealFile, testing::ValuesIn(kFileCases),
                         [](const testing::TestParamInfo<FileCase>& info) {
                             std::string name = info.param.file;
                             for (char& ch : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             }
                             return name;
                         });

// The five HZZ files hold the same events in the same baskets: each compressed basket must
// inflate to exactly the bytes the uncompressed twin stores raw.
std::map<std::string, std::vector<Bytes>> basketsByBranch(const std::string& file_name) {
    const Bytes file = readFile(file_name);
    std::map<std::string, std::vector<Bytes>> baskets;
    for (const Record& r : walkRecords(file)) {
        if (r.class_name == "TBasket") baskets[r.name].push_back(inflate(r));
    }
    return baskets;
}

TEST(RealFileBaskets, HzzTwinsInflateToTheUncompressedBaskets) {
    const auto reference = basketsByBranch("uproot-HZZ-uncompressed.root");
    std::size_t n_reference = 0;
    for (const auto& [name, baskets] : reference) n_reference += baskets.size();
    ASSERT_EQ(n_reference, 57u);
    for (const char* twin : {"uproot-HZZ.root", "uproot-HZZ-lzma.root", "uproot-HZZ-lz4.root",
                             "uproot-HZZ-zstd.root"}) {
        SCOPED_TRACE(twin);
        const auto baskets = basketsByBranch(twin);
        ASSERT_EQ(baskets.size(), reference.size());
        for (const auto& [name, list] : reference) {
            SCOPED_TRACE(name);
            ASSERT_EQ(baskets.at(name).size(), list.size());
            for (std::size_t i = 0; i < list.size(); ++i) EXPECT_EQ(baskets.at(name)[i], list[i]);
        }
    }
}

// ROOT's L4 blocks: method byte 1 and the big-endian XXH64 (seed 0) of the LZ4 data in the 8
// bytes after the header (checked here independently of the library code).
TEST(RealFileBaskets, Lz4ChecksumIsBigEndianXxh64OfTheCompressedData) {
    const Bytes file = readFile("uproot-HZZ-lz4.root");
    int checked = 0;
    for (const Record& r : walkRecords(file)) {
        if (!r.compressed() || detectBlockAlgorithm(r.payload) != CompressionAlgorithm::Lz4) {
            continue;
        }
        const auto p = r.payload;
        ASSERT_EQ(std::to_integer<int>(p[2]), 1);
        const std::size_t compressed = le24(p.subspan(3));
        ASSERT_EQ(compressed + kCompressionBlockHeaderSize, p.size());
        const auto data = p.subspan(kCompressionBlockHeaderSize + kLz4ChecksumSize);
        std::uint64_t stored = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            stored = stored << 8 | std::to_integer<std::uint64_t>(p[9 + i]);
        }
        EXPECT_EQ(stored, XXH64(data.data(), data.size(), 0));
        ++checked;
    }
    EXPECT_EQ(checked, 52);
}

TEST(RealFileBaskets, DecodesOnManyThreadsAtOnce) {
    const Bytes lz4_file = readFile("uproot-HZZ-lz4.root");
    const Bytes lzma_file = readFile("uproot-HZZ-lzma.root");
    const Bytes zstd_file = readFile("uproot-HZZ-zstd.root");
    const Bytes zlib_file = readFile("uproot-HZZ.root");
    std::vector<Record> records;
    for (const Bytes* f : {&lz4_file, &lzma_file, &zstd_file, &zlib_file}) {
        for (Record& r : walkRecords(*f)) records.push_back(std::move(r));
    }
    std::vector<Bytes> expected;
    for (const Record& r : records) expected.push_back(inflate(r));
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 3; ++round) {
                for (std::size_t i = t; i < records.size(); i += 2) {
                    if (inflate(records[i]) != expected[i]) ++mismatches[t];
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    for (int m : mismatches) EXPECT_EQ(m, 0);
}

// ---------------------------------------------------------------------------------------------
// Round trips.

struct Block {
    std::string magic;
    int method;
    std::size_t compressed;
    std::size_t uncompressed;
};

std::vector<Block> parseBlocks(std::span<const std::byte> payload) {
    std::vector<Block> blocks;
    std::size_t pos = 0;
    while (pos < payload.size()) {
        const auto h = payload.subspan(pos);
        blocks.push_back({std::string{static_cast<char>(h[0]), static_cast<char>(h[1])},
                          std::to_integer<int>(h[2]), le24(h.subspan(3)), le24(h.subspan(6))});
        pos += kCompressionBlockHeaderSize + blocks.back().compressed;
    }
    EXPECT_EQ(pos, payload.size());
    return blocks;
}

const char* magicOf(CompressionAlgorithm a) {
    switch (a) {
        case CompressionAlgorithm::Zlib: return "ZL";
        case CompressionAlgorithm::Lzma: return "XZ";
        case CompressionAlgorithm::Lz4: return "L4";
        case CompressionAlgorithm::Zstd: return "ZS";
        default: return "";
    }
}

int methodOf(CompressionAlgorithm a) {
    switch (a) {
        case CompressionAlgorithm::Zlib: return 8;
        case CompressionAlgorithm::Lzma: return 0;
        default: return 1;
    }
}

// Compresses, checks the framing ROOT expects, decompresses, and compares. Returns the
// compressed size.
std::size_t roundTrip(const Bytes& input, CompressionSetting setting) {
    SCOPED_TRACE(std::string(algorithmName(setting.algorithm)) + " level " +
                 std::to_string(setting.level) + " size " + std::to_string(input.size()));
    const Bytes packed = compressPayload(input, setting);
    EXPECT_LE(packed.size(), input.size());
    if (packed.size() == input.size()) {
        EXPECT_EQ(packed, input);  // stored raw
    } else {
        const auto blocks = parseBlocks(packed);
        const std::size_t limit = setting.algorithm == CompressionAlgorithm::Lzma
                                      ? kMaxLzmaBlockInput
                                      : kMaxCompressionBlockInput;
        const std::size_t expected_blocks = (input.size() + limit - 1) / limit;
        EXPECT_EQ(blocks.size(), expected_blocks);
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            EXPECT_EQ(blocks[i].magic, magicOf(setting.algorithm));
            EXPECT_EQ(blocks[i].method, methodOf(setting.algorithm));
            EXPECT_EQ(blocks[i].uncompressed,
                      i + 1 < blocks.size() ? limit : input.size() - i * limit);
        }
        EXPECT_EQ(detectBlockAlgorithm(packed), setting.algorithm);
    }
    Bytes out(input.size());
    decompressPayload(packed, out, 0);
    EXPECT_TRUE(out == input);
    return packed.size();
}

constexpr CompressionAlgorithm kAlgorithms[] = {
    CompressionAlgorithm::Zlib, CompressionAlgorithm::Lzma, CompressionAlgorithm::Lz4,
    CompressionAlgorithm::Zstd};

TEST(RoundTrip, EveryAlgorithmLevelAndSmallSize) {
    const std::uint64_t seed = test::testSeed("RoundTrip");
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const Bytes empty;
    const Bytes one = randomBytes(1, rng);
    const Bytes noise = randomBytes(100 * 1024, rng);
    const Bytes column = floatColumn(100 * 1024, rng);
    for (CompressionAlgorithm a : kAlgorithms) {
        // 3/4 straddle LZ4's switch to HC; 99 exceeds every library's maximum and is clamped.
        for (int level : {1, 3, 4, 9, 99}) {
            const CompressionSetting s{a, level};
            EXPECT_EQ(roundTrip(empty, s), 0u);
            EXPECT_EQ(roundTrip(one, s), 1u);              // cannot shrink: stored raw
            EXPECT_EQ(roundTrip(noise, s), noise.size());  // incompressible: stored raw
            EXPECT_LT(roundTrip(column, s), column.size());
        }
    }
}

TEST(RoundTrip, LevelZeroAndNoneStoreRaw) {
    std::mt19937_64 rng(1);
    const Bytes column = floatColumn(4096, rng);
    for (CompressionAlgorithm a : kAlgorithms) EXPECT_EQ(compressPayload(column, {a, 0}), column);
    EXPECT_EQ(compressPayload(column, {CompressionAlgorithm::None, 5}), column);
}

TEST(RoundTrip, RejectsOldAlgorithmAndBadLevels) {
    const Bytes data(100, std::byte{1});
    EXPECT_THROW(compressPayload(data, {CompressionAlgorithm::OldRoot, 1}), UnsupportedError);
    EXPECT_THROW(compressPayload(data, {CompressionAlgorithm::Zlib, 100}), UsageError);
    EXPECT_THROW(compressPayload(data, {CompressionAlgorithm::Zstd, -1}), UsageError);
}

// 20 MB crosses kMaxCompressionBlockInput, so the payload is two blocks (0xFFFFFF + rest).
TEST(RoundTrip, MultiBlockPayloads) {
    const Bytes big = repeatingRecords(20'000'000);
    for (CompressionAlgorithm a : kAlgorithms) {
        const std::size_t packed = roundTrip(big, {a, 1});
        EXPECT_LT(packed, big.size() / 4);
    }
    roundTrip(big, {CompressionAlgorithm::Lz4, 4});
    roundTrip(big, {CompressionAlgorithm::Zstd, 3});
    // Exactly one block's worth plus one byte: the 1-byte tail block still compresses into a
    // valid (if larger) block because the budget is the whole payload.
    const Bytes edge = repeatingRecords(kMaxCompressionBlockInput + 1);
    roundTrip(edge, {CompressionAlgorithm::Zstd, 1});
}

// A prefix of the payload (a basket's data part without its entry offsets) equals the start of
// the whole: every algorithm, one block or two, ends inside a block or on its edge, raw too.
TEST(RoundTrip, PrefixesEqualTheStartOfTheWhole) {
    std::mt19937_64 rng(11);
    const Bytes column = floatColumn(300 * 1024, rng);
    const Bytes big = repeatingRecords(kMaxCompressionBlockInput + 4096);
    for (const Bytes* input : {&column, &big}) {
        for (CompressionAlgorithm a : kAlgorithms) {
            SCOPED_TRACE(std::string(algorithmName(a)) + " of " + std::to_string(input->size()));
            const Bytes packed = compressPayload(*input, {a, 1});
            ASSERT_LT(packed.size(), input->size());
            for (std::size_t needed :
                 {std::size_t{0}, std::size_t{1}, std::size_t{1000}, input->size() / 3,
                  kMaxCompressionBlockInput, input->size() - 1, input->size()}) {
                if (needed > input->size()) continue;
                Bytes out(input->size(), std::byte{0xEE});
                decompressPayloadPrefix(packed, out, 0, needed);
                EXPECT_TRUE(std::equal(out.begin(), out.begin() + static_cast<long>(needed),
                                       input->begin()))
                    << needed;
            }
        }
    }
    Bytes raw_out(column.size());
    decompressPayloadPrefix(column, raw_out, 0, 100);  // stored raw: in.size() == out.size()
    EXPECT_TRUE(std::equal(raw_out.begin(), raw_out.begin() + 100, column.begin()));
}

// Bodies are what the libraries produce: zlib header, xz magic, zstd magic, raw LZ4 block.
TEST(RoundTrip, BlockBodiesAreStandardStreams) {
    std::mt19937_64 rng(7);
    const Bytes column = floatColumn(50'000, rng);
    const auto body = [&](CompressionAlgorithm a) {
        const Bytes packed = compressPayload(column, {a, 5});
        return Bytes(packed.begin() + kCompressionBlockHeaderSize, packed.end());
    };
    EXPECT_EQ(std::to_integer<int>(body(CompressionAlgorithm::Zlib)[0]) & 0x0F, 8);  // CM=8
    const Bytes xz = body(CompressionAlgorithm::Lzma);
    const std::array<int, 6> xz_magic{0xFD, '7', 'z', 'X', 'Z', 0x00};
    for (int i = 0; i < 6; ++i) EXPECT_EQ(std::to_integer<int>(xz[i]), xz_magic[i]);
    const Bytes zs = body(CompressionAlgorithm::Zstd);
    EXPECT_EQ(readBigEndian(zs, 0, 4), 0x28B52FFDu);
    const Bytes l4 = body(CompressionAlgorithm::Lz4);
    Bytes direct(column.size());
    const int n = LZ4_decompress_safe(
        reinterpret_cast<const char*>(l4.data() + 8), reinterpret_cast<char*>(direct.data()),
        static_cast<int>(l4.size() - 8), static_cast<int>(direct.size()));
    EXPECT_EQ(n, static_cast<int>(column.size()));
    EXPECT_TRUE(direct == column);
}

// ---------------------------------------------------------------------------------------------
// Corrupt payloads: the right error class, a message naming the problem, and the offset of
// the offending block header (base offset 1000 + its position in the payload).

constexpr std::uint64_t kBase = 1000;

struct Corruption {
    const char* what;
    CompressionAlgorithm algorithm;
    std::function<void(Bytes& payload, std::size_t& out_size)> mutate;
    bool unsupported;            // UnsupportedError instead of FormatError
    const char* message_part;    // must appear in what()
    std::uint64_t block_offset;  // relative to kBase
};

Bytes validPayload(CompressionAlgorithm a) {
    std::mt19937_64 rng(11);
    const Bytes column = floatColumn(8000, rng);
    Bytes packed = compressPayload(column, {a, 4});
    EXPECT_LT(packed.size(), column.size());
    return packed;
}

void expectCorruption(const Corruption& c) {
    SCOPED_TRACE(c.what);
    Bytes payload = validPayload(c.algorithm);
    std::size_t out_size = 8000;
    c.mutate(payload, out_size);
    Bytes out(out_size);
    try {
        decompressPayload(payload, out, kBase);
        ADD_FAILURE() << "no exception";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_EQ(dynamic_cast<const UnsupportedError*>(&e) != nullptr, c.unsupported) << what;
        if (!c.unsupported) {
            EXPECT_NE(dynamic_cast<const FormatError*>(&e), nullptr) << what;
        }
        EXPECT_NE(what.find(c.message_part), std::string::npos) << what;
        ASSERT_TRUE(e.offset().has_value()) << what;
        EXPECT_EQ(*e.offset(), kBase + c.block_offset) << what;
        EXPECT_NE(what.find("at byte " + std::to_string(kBase + c.block_offset)), std::string::npos)
            << what;
    }
}

void setMagic(Bytes& p, const char* magic) {
    p[0] = static_cast<std::byte>(magic[0]);
    p[1] = static_cast<std::byte>(magic[1]);
}

// Replaces the block body with `garbage` bytes and fixes the size field.
void replaceBody(Bytes& p, Bytes garbage) {
    p.resize(kCompressionBlockHeaderSize);
    setLe24(std::span(p).subspan(3), static_cast<std::uint32_t>(garbage.size()));
    p.insert(p.end(), garbage.begin(), garbage.end());
}

Bytes garbageBytes(std::size_t n) {
    std::mt19937_64 rng(3);
    return randomBytes(n, rng);
}

// Garbage LZ4 data behind a correct checksum, so the LZ4 decoder itself must reject it.
void replaceLz4Body(Bytes& p, Bytes garbage) {
    Bytes body(8);
    std::uint64_t h = XXH64(garbage.data(), garbage.size(), 0);
    for (int i = 7; i >= 0; --i, h >>= 8) body[i] = static_cast<std::byte>(h & 0xFF);
    body.insert(body.end(), garbage.begin(), garbage.end());
    replaceBody(p, std::move(body));
}

TEST(CorruptPayload, ThrowsWithTheBlockOffset) {
    using A = CompressionAlgorithm;
    const std::vector<Corruption> cases = {
        {"unknown magic", A::Zlib, [](Bytes& p, std::size_t&) { setMagic(p, "QQ"); }, true,
         "unknown compression algorithm 'QQ'", 0},
        {"binary magic", A::Zlib,
         [](Bytes& p, std::size_t&) {
             p[0] = std::byte{0};
             p[1] = std::byte{0xFF};
         },
         true, "0x00ff", 0},
        {"old CS algorithm", A::Zlib, [](Bytes& p, std::size_t&) { setMagic(p, "CS"); }, true,
         "'CS'", 0},
        {"truncated first header", A::Zlib, [](Bytes& p, std::size_t&) { p.resize(5); }, false,
         "truncated compression block header", 0},
        {"bytes after the last block", A::Zstd,
         [](Bytes& p, std::size_t&) { p.insert(p.end(), 4, std::byte{'Z'}); }, false,
         "truncated compression block header", 0 /* patched below */},
        {"wrong method byte", A::Lzma, [](Bytes& p, std::size_t&) { p[2] = std::byte{8}; }, false,
         "method byte 8, expected 0", 0},
        {"compressed size past the payload", A::Zlib,
         [](Bytes& p, std::size_t&) {
             setLe24(std::span(p).subspan(3), le24(std::span(p).subspan(3)) + 1);
         },
         false, "compressed bytes but only", 0},
        {"declared size larger than fObjlen", A::Zstd, [](Bytes&, std::size_t& out) { out = 7999; },
         false, "left to fill", 0},
        {"sizes do not add up to fObjlen", A::Lz4, [](Bytes&, std::size_t& out) { out = 8001; },
         false, "inflate to 8000 bytes but fObjlen is 8001", 0},
        {"zero uncompressed size", A::Zlib,
         [](Bytes& p, std::size_t&) { setLe24(std::span(p).subspan(6), 0); }, false,
         "0 uncompressed bytes", 0},
        {"block declares fewer bytes than it holds", A::Zlib,
         [](Bytes& p, std::size_t& out) {
             setLe24(std::span(p).subspan(6), 7000);
             out = 7000;
         },
         false, "ZLIB block does not inflate to its declared 7000 bytes", 0},
        {"LZ4 checksum flipped", A::Lz4,
         [](Bytes& p, std::size_t&) { p[kCompressionBlockHeaderSize + 3] ^= std::byte{0x10}; },
         false, "checksum", 0},
        {"LZ4 data flipped", A::Lz4, [](Bytes& p, std::size_t&) { p.back() ^= std::byte{1}; },
         false, "checksum", 0},
        {"LZ4 block shorter than its checksum", A::Lz4,
         [](Bytes& p, std::size_t&) { replaceBody(p, Bytes(5)); }, false, "8-byte checksum", 0},
        {"garbage deflate stream", A::Zlib,
         [](Bytes& p, std::size_t&) { replaceBody(p, garbageBytes(300)); }, false, "ZLIB", 0},
        {"truncated deflate stream", A::Zlib,
         [](Bytes& p, std::size_t&) {
             const std::size_t n = le24(std::span(p).subspan(3));
             setLe24(std::span(p).subspan(3), static_cast<std::uint32_t>(n - 10));
             p.resize(p.size() - 10);
         },
         false, "ZLIB block does not inflate", 0},
        {"deflate stream with trailing bytes", A::Zlib,
         [](Bytes& p, std::size_t&) {
             setLe24(std::span(p).subspan(3), le24(std::span(p).subspan(3)) + 2);
             p.insert(p.end(), 2, std::byte{0});
         },
         false, "ZLIB stream ends after", 0},
        {"garbage xz stream", A::Lzma,
         [](Bytes& p, std::size_t&) { replaceBody(p, garbageBytes(300)); }, false, "XZ block", 0},
        {"xz stream with a flipped byte", A::Lzma,
         [](Bytes& p, std::size_t&) { p[p.size() / 2] ^= std::byte{0x55}; }, false, "XZ block", 0},
        {"garbage zstd frame", A::Zstd,
         [](Bytes& p, std::size_t&) { replaceBody(p, garbageBytes(300)); }, false, "ZSTD block", 0},
        {"garbage LZ4 data with a valid checksum", A::Lz4,
         [](Bytes& p, std::size_t&) { replaceLz4Body(p, garbageBytes(300)); }, false, "LZ4 block",
         0},
    };
    for (Corruption c : cases) {
        if (std::string_view(c.what) == "bytes after the last block") {
            c.block_offset = validPayload(c.algorithm).size();
        }
        expectCorruption(c);
    }
}

// An xz block whose LZMA2 dictionary (4 GiB - 1) exceeds the decoder memory limit is refused
// before liblzma allocates it. The xz block header follows the 12-byte stream header: size byte,
// flags 0 (one filter, no size fields), filter id 0x21, 1 property byte (the dictionary size
// code), padding, CRC32 of the header.
TEST(CorruptPayload, LzmaDictionaryBeyondTheMemoryLimit) {
    Bytes p = validPayload(CompressionAlgorithm::Lzma);
    const std::size_t h = kCompressionBlockHeaderSize + 12;
    const std::size_t header_size = (std::to_integer<std::size_t>(p[h]) + 1) * 4;
    ASSERT_EQ(std::to_integer<int>(p[h + 1]), 0);
    ASSERT_EQ(std::to_integer<int>(p[h + 2]), 0x21);
    ASSERT_EQ(std::to_integer<int>(p[h + 3]), 1);
    p[h + 4] = std::byte{40};
    std::uint32_t crc =
        lzma_crc32(reinterpret_cast<const std::uint8_t*>(p.data() + h), header_size - 4, 0);
    for (std::size_t i = 0; i < 4; ++i, crc >>= 8) {
        p[h + header_size - 4 + i] = static_cast<std::byte>(crc & 0xFF);
    }
    Bytes out(8000);
    try {
        decompressPayload(p, out, kBase);
        ADD_FAILURE() << "no exception";
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("memory limit"), std::string::npos) << e.what();
        EXPECT_EQ(e.offset(), kBase);
    }
}

// The error names the second block when the second block is bad.
TEST(CorruptPayload, OffsetPointsAtTheBadBlockOfAMultiBlockPayload) {
    const Bytes big = repeatingRecords(kMaxCompressionBlockInput + 100'000);
    Bytes packed = compressPayload(big, {CompressionAlgorithm::Lz4, 1});
    const auto blocks = parseBlocks(packed);
    ASSERT_EQ(blocks.size(), 2u);
    const std::size_t second = kCompressionBlockHeaderSize + blocks[0].compressed;
    packed[second + kCompressionBlockHeaderSize] ^= std::byte{1};  // its checksum
    Bytes out(big.size());
    try {
        decompressPayload(packed, out, 123);
        ADD_FAILURE() << "no exception";
    } catch (const FormatError& e) {
        EXPECT_EQ(e.offset(), 123 + second);
        EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos);
    }
}

// The sizes block headers declare, summed without inflating (what readers check against
// fObjlen before allocating): two 8000-byte blocks back to back, a limit, cut-off headers.
TEST(DeclaredUncompressedSize, SumsTheBlockHeaders) {
    Bytes two = validPayload(CompressionAlgorithm::Zstd);
    const std::size_t second = two.size();
    const Bytes other = validPayload(CompressionAlgorithm::Zlib);
    two.insert(two.end(), other.begin(), other.end());
    EXPECT_EQ(declaredUncompressedSize(two, UINT64_MAX, kBase), 16000u);
    // Past the limit after the first block, the sum stops there.
    EXPECT_EQ(declaredUncompressedSize(two, 100, kBase), 8000u);
    // A compressed size running past the payload ends the sum after that block's size.
    Bytes past = two;
    setLe24(std::span(past).subspan(3), 0xFFFFFF);
    EXPECT_EQ(declaredUncompressedSize(past, UINT64_MAX, kBase), 8000u);
    // The second block's header cut off: FormatError at that header.
    const Bytes cut(two.begin(), two.begin() + static_cast<std::ptrdiff_t>(second) + 4);
    try {
        (void)declaredUncompressedSize(cut, UINT64_MAX, kBase);
        ADD_FAILURE() << "no exception";
    } catch (const FormatError& e) {
        EXPECT_EQ(e.offset(), kBase + second) << e.what();
    }
    EXPECT_EQ(declaredUncompressedSize({}, UINT64_MAX, kBase), 0u);
}

// Random damage (flipped bytes, cuts) to valid payloads must end in success or hepflow::Error;
// the sanitizer build turns any out-of-bounds access into a failure.
TEST(CorruptPayload, RandomDamageNeverEscapesAsAnythingButError) {
    const std::uint64_t seed = test::testSeed("RandomDamage");
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    for (CompressionAlgorithm a : kAlgorithms) {
        const Bytes valid = validPayload(a);
        for (int trial = 0; trial < 300; ++trial) {
            Bytes p = valid;
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int i = 0; i < flips; ++i)
                p[rng() % p.size()] ^= static_cast<std::byte>(1 + rng() % 255);
            if (rng() % 4 == 0) p.resize(rng() % p.size());
            Bytes out(rng() % 3 == 0 ? 8000 + rng() % 50 : 8000);
            try {
                decompressPayload(p, out, 0);
            } catch (const Error&) {
            }
        }
    }
}

}  // namespace
}  // namespace hepflow::root
