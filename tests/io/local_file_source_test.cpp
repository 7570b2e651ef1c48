// LocalFileSource and openSource against temporary files of known bytes: single and vectored
// reads, request accounting, the errors a user sees (past EOF, missing file, other schemes),
// and reads from several threads at once.
#include "io/local_file_source.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
#include "io/byte_source.h"

namespace hepflow::io {
namespace {

namespace fs = std::filesystem;

// The byte at each offset, so any read can be checked without keeping the file in memory;
// 251 is prime, so the pattern does not repeat on a power-of-two stride.
std::byte patternByte(std::uint64_t offset) {
    return static_cast<std::byte>(offset * 7 % 251);
}

std::vector<std::byte> pattern(std::uint64_t offset, std::uint64_t length) {
    std::vector<std::byte> bytes(length);
    for (std::uint64_t i = 0; i < length; ++i) bytes[i] = patternByte(offset + i);
    return bytes;
}

// A file of patterned bytes in the temp directory, removed again at the end of the test.
class TempFile {
public:
    explicit TempFile(std::uint64_t size, const std::string& name_suffix = ".bin") {
        static std::atomic<int> counter{0};
        path_ = (fs::temp_directory_path() /
                 fmt::format("hepflow_io_test_{}_{}{}", ::getpid(), counter++, name_suffix))
                    .string();
        const std::vector<std::byte> bytes = pattern(0, size);
        std::ofstream out(path_, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
    }
    ~TempFile() { fs::remove(path_); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

constexpr std::uint64_t kFileSize = 200000;

std::string messageOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no exception)";
}

TEST(LocalFileSource, SizeUrlAndReads) {
    TempFile file(kFileSize);
    LocalFileSource source(file.path());
    EXPECT_EQ(source.size(), kFileSize);
    EXPECT_EQ(source.url(), file.path());
    EXPECT_EQ(source.read(0, 16), pattern(0, 16));
    EXPECT_EQ(source.read(12345, 1000), pattern(12345, 1000));
    EXPECT_EQ(source.read(kFileSize - 10, 10), pattern(kFileSize - 10, 10));  // the last bytes
    EXPECT_EQ(source.read(kFileSize, 0), std::vector<std::byte>{});           // empty, at the end
    EXPECT_EQ(source.read(0, kFileSize), pattern(0, kFileSize));              // the whole file

    std::vector<std::byte> buffer(64);
    source.readInto({777, 64}, buffer);
    EXPECT_EQ(buffer, pattern(777, 64));
}

TEST(LocalFileSource, EmptyFile) {
    TempFile file(0);
    LocalFileSource source(file.path());
    EXPECT_EQ(source.size(), 0u);
    EXPECT_EQ(source.read(0, 0), std::vector<std::byte>{});
    EXPECT_THROW(source.read(0, 1), IoError);
}

TEST(LocalFileSource, StatsCountRequestsAndBytes) {
    TempFile file(kFileSize);
    LocalFileSource source(file.path());
    source.read(0, 10);
    source.read(100, 20);
    source.read(5000, 30);
    const RequestStatsSnapshot s = source.stats().snapshot();
    EXPECT_EQ(s.count, 3u);
    EXPECT_EQ(s.bytes, 60u);
    EXPECT_EQ(std::accumulate(s.bucket_counts.begin(), s.bucket_counts.end(), std::uint64_t{0}),
              3u);
    EXPECT_GE(s.total_seconds, 0.0);
}

TEST(LocalFileSource, ReadPastEndNamesFileAndOffset) {
    TempFile file(kFileSize);
    LocalFileSource source(file.path());
    try {
        source.read(kFileSize - 5, 10);
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("read past end of file"), std::string::npos) << what;
        EXPECT_NE(what.find(file.path()), std::string::npos) << what;
        EXPECT_NE(what.find("offset 199995"), std::string::npos) << what;
        EXPECT_NE(what.find("length 10"), std::string::npos) << what;
        EXPECT_NE(what.find("file size 200000"), std::string::npos) << what;
        EXPECT_EQ(e.file(), file.path());
        EXPECT_EQ(e.offset(), kFileSize - 5);
    }
    // Failed requests are not counted.
    EXPECT_EQ(source.stats().snapshot().count, 0u);
}

TEST(LocalFileSource, CorruptRangesThrowInsteadOfAllocating) {
    TempFile file(kFileSize);
    LocalFileSource source(file.path());
    EXPECT_THROW(source.read(kFileSize + 1, 0), IoError);           // empty, but beyond the end
    EXPECT_THROW(source.read(0, std::uint64_t{1} << 62), IoError);  // would exhaust memory
    EXPECT_THROW(source.read(UINT64_MAX, 2), IoError);              // offset + length overflows
    const std::vector<ReadRange> ranges{{0, 10}, {UINT64_MAX - 1, 5}};
    EXPECT_THROW(source.readv(ranges), IoError);
}

TEST(LocalFileSource, ReadIntoNeedsMatchingBuffer) {
    TempFile file(100);
    LocalFileSource source(file.path());
    std::vector<std::byte> buffer(5);
    EXPECT_THROW(source.readInto({0, 10}, buffer), InternalError);
}

TEST(LocalFileSource, MissingFile) {
    const std::string path =
        (fs::temp_directory_path() / "hepflow_io_test_no_such_file.root").string();
    try {
        LocalFileSource source(path);
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(path), std::string::npos) << what;
        EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
        EXPECT_EQ(e.file(), path);
    }
}

TEST(LocalFileSource, DirectoryIsNotAFile) {
    const std::string path = fs::temp_directory_path().string();
    const std::string what = messageOf([&] { LocalFileSource source(path); });
    EXPECT_NE(what.find("not a regular file"), std::string::npos) << what;
}

// No merging beyond duplicates, the defaults, merging only adjacent ranges, and small limits.
constexpr CoalesceLimits kNoMerging{.max_gap = 0, .max_request = 0};
const std::vector<CoalesceLimits> kLimitsToTry = {
    kNoMerging,
    CoalesceLimits{},
    {.max_gap = 0, .max_request = kDefaultMaxRequest},
    {.max_gap = 1000, .max_request = 20000},
};

TEST(LocalFileSource, ReadvEqualsIndividualReads) {
    TempFile file(kFileSize);
    const std::vector<ReadRange> ranges = {
        {50000, 100}, {0, 10},  {20, 30},     {20, 30},       {25, 10},
        {100, 0},     {90, 20}, {199990, 10}, {kFileSize, 0},
    };
    for (const CoalesceLimits& limits : kLimitsToTry) {
        SCOPED_TRACE(testing::Message()
                     << "max_gap " << limits.max_gap << " max_request " << limits.max_request);
        LocalFileSource source(file.path());
        source.setCoalesceLimits(limits);
        const std::vector<std::vector<std::byte>> buffers = source.readv(ranges);
        ASSERT_EQ(buffers.size(), ranges.size());
        for (std::size_t i = 0; i < ranges.size(); ++i) {
            EXPECT_EQ(buffers[i], source.read(ranges[i].offset, ranges[i].length)) << "range " << i;
            EXPECT_EQ(buffers[i], pattern(ranges[i].offset, ranges[i].length)) << "range " << i;
        }
    }
}

TEST(LocalFileSource, ReadvCountsMergedRequests) {
    TempFile file(kFileSize);
    const std::vector<ReadRange> ranges = {
        {0, 10}, {10, 5}, {20, 30}, {150000, 10}, {90, 20}, {50000, 100}, {60, 5}, {20, 30},
    };
    struct Case {
        CoalesceLimits limits;
        std::uint64_t requests;
        std::uint64_t bytes;
        const char* why;
    };
    const std::vector<Case> cases = {
        {CoalesceLimits{}, 3, 110 + 100 + 10,
         "defaults: 32 KiB holes merge into [0,110) [50000,50100) [150000,150010)"},
        {kNoMerging, 7, 10 + 5 + 30 + 5 + 20 + 100 + 10,
         "no merging: one request per range, the duplicate read once"},
        {{.max_gap = 0, .max_request = kDefaultMaxRequest},
         6,
         15 + 30 + 5 + 20 + 100 + 10,
         "no holes: only [0,10) and [10,15) merge"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.why);
        LocalFileSource source(file.path());
        source.setCoalesceLimits(c.limits);
        const std::vector<std::vector<std::byte>> buffers = source.readv(ranges);
        for (std::size_t i = 0; i < ranges.size(); ++i) {
            EXPECT_EQ(buffers[i], pattern(ranges[i].offset, ranges[i].length)) << "range " << i;
        }
        const RequestStatsSnapshot s = source.stats().snapshot();
        EXPECT_EQ(s.count, c.requests);
        EXPECT_EQ(s.bytes, c.bytes);
    }
}

TEST(LocalFileSource, ReadvChecksEveryRangeBeforeReading) {
    TempFile file(kFileSize);
    LocalFileSource source(file.path());
    const std::vector<ReadRange> ranges = {{0, 10}, {kFileSize - 1, 2}};
    const std::string what = messageOf([&] { source.readv(ranges); });
    EXPECT_NE(what.find("read past end of file"), std::string::npos) << what;
    EXPECT_NE(what.find("at byte 199999"), std::string::npos) << what;
    EXPECT_EQ(source.stats().snapshot().count, 0u);
}

TEST(LocalFileSource, ReadvRandomRangesMatchPattern) {
    TempFile file(kFileSize);
    const std::uint64_t seed = std::random_device{}();
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    std::mt19937_64 rng(seed);
    for (const CoalesceLimits& limits : kLimitsToTry) {
        LocalFileSource source(file.path());
        source.setCoalesceLimits(limits);
        for (int iteration = 0; iteration < 20; ++iteration) {
            std::vector<ReadRange> ranges(std::uniform_int_distribution<int>(0, 40)(rng));
            for (ReadRange& r : ranges) {
                r.offset = std::uniform_int_distribution<std::uint64_t>(0, kFileSize)(rng);
                r.length = std::uniform_int_distribution<std::uint64_t>(
                    0, std::min<std::uint64_t>(30000, kFileSize - r.offset))(rng);
            }
            const std::vector<std::vector<std::byte>> buffers = source.readv(ranges);
            ASSERT_EQ(buffers.size(), ranges.size());
            for (std::size_t i = 0; i < ranges.size(); ++i) {
                ASSERT_EQ(buffers[i], pattern(ranges[i].offset, ranges[i].length))
                    << "max_gap " << limits.max_gap << " iteration " << iteration << " range " << i;
            }
        }
    }
}

TEST(LocalFileSource, ConcurrentReadsFromFourThreads) {
    TempFile file(kFileSize);
    LocalFileSource source(file.path());
    constexpr int kThreads = 4;
    constexpr int kReadsPerThread = 500;
    const std::uint64_t seed = std::random_device{}();
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    std::atomic<int> mismatches{0};
    std::atomic<std::uint64_t> bytes{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937_64 rng(seed + t);
            for (int i = 0; i < kReadsPerThread; ++i) {
                const std::uint64_t offset =
                    std::uniform_int_distribution<std::uint64_t>(0, kFileSize - 1)(rng);
                const std::uint64_t length = std::uniform_int_distribution<std::uint64_t>(
                    1, std::min<std::uint64_t>(4096, kFileSize - offset))(rng);
                if (source.read(offset, length) != pattern(offset, length)) ++mismatches;
                bytes += length;
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(mismatches.load(), 0);
    const RequestStatsSnapshot s = source.stats().snapshot();
    EXPECT_EQ(s.count, std::uint64_t{kThreads} * kReadsPerThread);
    EXPECT_EQ(s.bytes, bytes.load());
}

TEST(OpenSource, LocalPathsAndFileUrls) {
    TempFile file(1000);
    const std::string& path = file.path();  // absolute, so file:// + path is a valid URL
    struct Case {
        std::string url;
        const char* why;
    };
    const std::vector<Case> cases = {
        {path, "a plain path"},
        {"file://" + path, "file:// with an empty host"},
        {"file://localhost" + path, "file:// naming localhost"},
        {"FILE://" + path, "schemes are case-insensitive"},
        {"file:" + path, "RFC 8089 short form"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.why);
        std::unique_ptr<ByteSource> source = openSource(c.url);
        EXPECT_EQ(source->url(), c.url);
        EXPECT_EQ(source->size(), 1000u);
        EXPECT_EQ(source->read(10, 20), pattern(10, 20));
    }
}

TEST(OpenSource, FileUrlPercentEscapes) {
    TempFile file(100, " with space%.bin");
    std::string url = "file://";
    for (char c : file.path()) {
        if (c == ' ')
            url += "%20";
        else if (c == '%')
            url += "%25";
        else
            url += c;
    }
    EXPECT_EQ(openSource(url)->read(0, 5), pattern(0, 5));
}

TEST(OpenSource, Errors) {
    struct Case {
        std::string url;
        std::string fragment;  // expected in what()
        const char* why;
    };
    const std::vector<Case> cases = {
        {"root://eospublic.cern.ch//eos/opendata/x.root", "URL scheme 'root'", "XRootD, later"},
        {"s3://bucket/x.root", "URL scheme 's3'", "S3, later"},
        {"https://example.org/x.root", "URL scheme 'https'", "HTTP, later"},
        {"HTTP://example.org/x.root", "URL scheme 'http'", "scheme reported lower-case"},
        {"file://otherhost/x.root", "another host 'otherhost'", "remote file URL"},
        {"file:///tmp/%zz.root", "malformed %-escape at character 12", "bad escape"},
        {"file:///tmp/%0", "malformed %-escape", "truncated escape"},
        {"file:///tmp/%00", "malformed %-escape", "NUL byte"},
        {"file://localhost", "without a path", "no path"},
        {"", "empty path", "empty"},
        {"/nonexistent-hepflow-dir/a:b.root", "No such file or directory",
         "a colon without :// is a path"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.why);
        const std::string what = messageOf([&] { openSource(c.url); });
        EXPECT_NE(what.find(c.fragment), std::string::npos) << what;
    }
    EXPECT_THROW(openSource("root://host//x.root"), UnsupportedError);
    EXPECT_THROW(openSource(""), UsageError);
    EXPECT_THROW(openSource("/nonexistent-hepflow-dir/x.root"), IoError);
}

}  // namespace
}  // namespace hepflow::io
