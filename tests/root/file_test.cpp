// Tests of the ROOT file layer on the real files of tests/data (header, keys of every directory
// against expected.json, nested directories, cycles, payloads) and on corrupted copies of them
// (wrong magic, truncation, bad seeks and counts, directory loops, random byte damage).
#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "root/core_objects.h"
#include "root/root_file.h"
#include "support/test_support.h"

namespace hepflow::root {
namespace {

using nlohmann::json;
using test::dataPath;
using test::expectedFileNames;
using test::fileBytes;
using test::openMemory;

void putBigEndian32(std::vector<std::byte>& bytes, std::size_t at, std::uint32_t value) {
    storeBigEndian<std::uint32_t>(bytes.data() + at, value);
}

// Everything a reader of the file layer touches: header, directories, streamer infos, payloads.
void walkWholeFile(const RootFile& file) {
    (void)file.streamerInfos();
    for (const auto& entry : file.allKeys()) (void)file.readPayload(*entry.key, entry.path);
}

// Runs `action`, which must throw a hepflow::Error whose message names `url`.
template <class Action>
void expectErrorNamingFile(Action action, const std::string& url, const std::string& what) {
    try {
        action();
        ADD_FAILURE() << what << ": no error";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find(url), std::string::npos)
            << what << ": " << error.what();
    }
}

class RealFileTest : public ::testing::TestWithParam<std::string> {
protected:
    const json& expectedFile() const { return test::expectedJson().at("files").at(GetParam()); }
};

TEST_P(RealFileTest, HeaderFieldsMatchTheFile) {
    const auto file = RootFile::open(dataPath(GetParam()));
    const FileHeader& header = file->header();
    const json& want = expectedFile();
    EXPECT_FALSE(header.big);
    EXPECT_EQ(header.fBEGIN, 100);
    EXPECT_EQ(header.fEND, want.at("size").get<std::uint64_t>());
    EXPECT_EQ(header.fEND, file->source().size());
    EXPECT_EQ(header.rootVersion(), want.at("root_version").get<int>());
    EXPECT_EQ(header.fCompress, want.at("compression").at("setting").get<int>());
    EXPECT_EQ(header.fUnits, 4);
    EXPECT_EQ(header.fUUIDVersion, 1);
    EXPECT_EQ(header.nfree, 1);
    // The FreeSegments record is the last record of a cleanly closed ROOT file.
    EXPECT_EQ(header.fSeekFree + static_cast<std::uint64_t>(header.fNbytesFree), header.fEND);
    EXPECT_EQ(file->url(), dataPath(GetParam()));

    const Directory& top = file->topDirectory();
    EXPECT_EQ(top.path(), "");
    EXPECT_EQ(top.header().fSeekDir, 100u);
    EXPECT_EQ(top.header().fSeekParent, 0u);
    EXPECT_EQ(top.header().fNbytesName, header.fNbytesName);
    // The top directory repeats the file's UUID.
    EXPECT_EQ(top.header().fUUID, header.fUUID);
}

TEST_P(RealFileTest, KeysEqualExpectedJson) {
    const auto file = RootFile::open(dataPath(GetParam()));
    auto entries = file->allKeys();
    // JSROOT lists the StreamerInfo record after the keys; it is in no keys list.
    const Key* streamer_key = file->streamerInfoKey();
    ASSERT_NE(streamer_key, nullptr);
    entries.push_back({"StreamerInfo", streamer_key});

    const json& want = expectedFile().at("keys");
    ASSERT_EQ(entries.size(), want.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        SCOPED_TRACE(entries[i].path);
        const json& w = want[i];
        std::string want_class = w.at("class").get<std::string>();
        if (want_class == "TDirectory") want_class = "TDirectoryFile";  // hepflow's one name
        EXPECT_EQ(entries[i].path, w.at("path").get<std::string>());
        EXPECT_EQ(entries[i].key->fName, w.at("name").get<std::string>());
        EXPECT_EQ(entries[i].key->fClassName, want_class);
        EXPECT_EQ(entries[i].key->fCycle, w.at("cycle").get<int>());
        EXPECT_EQ(entries[i].key->fTitle, w.at("title").get<std::string>());
        EXPECT_EQ(&file->findKey(entries[i].path), entries[i].key) << "findKey";
    }
}

TEST_P(RealFileTest, KeysAreSelfConsistentAndPayloadsDecode) {
    const auto file = RootFile::open(dataPath(GetParam()));
    for (const auto& entry : file->allKeys()) {
        SCOPED_TRACE(entry.path);
        const Key& key = *entry.key;
        EXPECT_FALSE(key.isBig());  // ROOT writes version 4 keys for everything but baskets
        // fSeekPdir is the record of the directory holding the key.
        const auto slash = entry.path.rfind('/');
        const std::uint64_t parent_record =
            slash == std::string::npos ? 100u : file->findKey(entry.path.substr(0, slash)).fSeekKey;
        EXPECT_EQ(key.fSeekPdir, parent_record);
        const RootFile::Payload payload = file->readPayload(key, entry.path);
        EXPECT_EQ(payload.bytes.size(), static_cast<std::size_t>(key.fObjlen));
        EXPECT_EQ(payload.origin.file, file->url());
        EXPECT_EQ(payload.origin.object, entry.path);
        EXPECT_EQ(payload.origin.ref_origin, key.fKeylen);
        EXPECT_EQ(payload.origin.decompressed, key.isCompressed());
        EXPECT_EQ(payload.origin.file_offset,
                  key.fSeekKey + (key.isCompressed() ? 0u : static_cast<unsigned>(key.fKeylen)));
    }
}

TEST_P(RealFileTest, TreePayloadStartsWithTreeVersionAndTNamed) {
    const auto file = RootFile::open(dataPath(GetParam()));
    const int root_version = file->header().rootVersion();
    for (const auto& entry : file->allKeys()) {
        if (entry.key->fClassName != "TTree") continue;
        SCOPED_TRACE(entry.path);
        const RootFile::Payload payload = file->readPayload(*entry.key, entry.path);
        ByteReader reader = payload.reader();
        const VersionHeader tree = reader.readVersion();
        ASSERT_TRUE(tree.byte_count.has_value());
        EXPECT_EQ(tree.end(), payload.bytes.size());
        // TTree v20 from ROOT 6.14 on, v19 before (ROOT-FORMAT.md 6.1).
        EXPECT_EQ(tree.version, root_version >= 61400 ? 20 : 19);
        const TNamed named = readTNamedBody(reader);
        EXPECT_EQ(named.name, entry.key->fName);
        EXPECT_EQ(named.title, entry.key->fTitle);
    }
}

INSTANTIATE_TEST_SUITE_P(AllFiles, RealFileTest, ::testing::ValuesIn(expectedFileNames()),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

TEST(NestedDirectories, PathsDirectoriesAndHeaders) {
    const auto file = RootFile::open(dataPath("uproot-nesteddirs.root"));
    const Directory& top = file->topDirectory();
    ASSERT_EQ(top.subdirectories().size(), 2u);
    const Directory* one = top.subdirectory("one");
    ASSERT_NE(one, nullptr);
    EXPECT_EQ(one->path(), "one");
    EXPECT_EQ(one->name(), "one");
    EXPECT_EQ(one->cycle(), 1);
    ASSERT_NE(one->key(), nullptr);
    EXPECT_EQ(one->key()->fSeekKey, 238u);
    EXPECT_EQ(one->header().fSeekDir, 238u);
    EXPECT_EQ(one->header().fSeekKeys, 45180u);
    const Directory* two = one->subdirectory("two");
    ASSERT_NE(two, nullptr);
    EXPECT_EQ(two->path(), "one/two");
    EXPECT_EQ(two->header().fSeekDir, 343u);
    // ROOT writes the top directory's offset as fSeekParent at every depth (ROOT-FORMAT.md 3.2).
    EXPECT_EQ(two->header().fSeekParent, 100u);
    EXPECT_EQ(top.subdirectory("three")->path(), "three");
    EXPECT_EQ(top.subdirectory("four"), nullptr);
    EXPECT_EQ(top.subdirectoryForKey(0), one);

    const Key& deep = file->findKey("one/two/tree");
    EXPECT_EQ(deep.fClassName, "TTree");
    EXPECT_EQ(deep.fTitle, "my tree title");
    EXPECT_EQ(deep.fSeekKey, 9903u);
    EXPECT_EQ(deep.fSeekPdir, 343u);
    EXPECT_EQ(&file->findKey("/one/two/tree;1"), &deep);
    EXPECT_EQ(file->findKey("one/tree").fTitle, "fake data");
    EXPECT_EQ(file->findKey("three/tree").fSeekKey, 35685u);
    EXPECT_TRUE(file->findKey("one/two").isDirectory());
    EXPECT_EQ(two->find("tree"), &deep);
    EXPECT_EQ(two->find("tree", 1), &deep);
    EXPECT_EQ(two->find("tree", 2), nullptr);
}

TEST(RequestCount, OpenReadsHeadKeysListsAndSubdirectories) {
    // Flat file: the head of the file (header + top directory) and the keys list.
    const auto flat = RootFile::open(dataPath("uproot-HZZ-zstd.root"));
    EXPECT_EQ(flat->source().stats().snapshot().count, 2u);
    (void)flat->streamerInfos();
    EXPECT_EQ(flat->source().stats().snapshot().count, 3u);  // one more for the StreamerInfo
    // Three subdirectories: their record and their keys list each.
    const auto nested = RootFile::open(dataPath("uproot-nesteddirs.root"));
    EXPECT_EQ(nested->source().stats().snapshot().count, 2u + 3u * 2u);
}

TEST(NestedDirectories, FindKeyErrorsNameTheFileAndListTheNames) {
    const auto file = RootFile::open(dataPath("uproot-nesteddirs.root"));
    try {
        (void)file->findKey("one/tree;2");
        FAIL() << "no error";
    } catch (const UsageError& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("tree;2"), std::string::npos) << what;
        EXPECT_NE(what.find("two;1, tree;1"), std::string::npos) << what;
        EXPECT_NE(what.find("uproot-nesteddirs.root"), std::string::npos) << what;
    }
    try {
        (void)file->findKey("one/four/tree");
        FAIL() << "no error";
    } catch (const UsageError& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("no directory 'four'"), std::string::npos) << what;
        EXPECT_NE(what.find("two;1"), std::string::npos) << what;
    }
    EXPECT_THROW((void)file->findKey("missing"), UsageError);
    EXPECT_THROW((void)file->findKey(""), UsageError);
    // A key that is not a directory cannot be walked into.
    EXPECT_THROW((void)file->findKey("one/tree/x"), UsageError);
    // Not a cycle suffix: the whole text is the name.
    EXPECT_THROW((void)file->findKey("one/tree;x"), UsageError);
}

// Offset of the keys-list entry (in the file) of the index-th key of the top directory.
std::size_t topKeyEntryOffset(const RootFile& file, std::size_t index) {
    const DirectoryHeader& header = file.topDirectory().header();
    // Keys-list record: its own key header, int32 nkeys, then the key headers.
    const std::vector<std::byte> bytes = file.source().read(header.fSeekKeys, header.fNbytesKeys);
    ByteReader reader(bytes, ByteOrigin{file.url(), "keys list", header.fSeekKeys});
    const Key own = readKeyHeader(reader);
    reader.seek(static_cast<std::size_t>(own.fKeylen) + 4);
    for (std::size_t i = 0; i < index; ++i) (void)readKeyHeader(reader);
    return header.fSeekKeys + reader.position();
}

// The key of a basket inside a TTree record has fNbytes 0: only KeyCheck::Embedded takes it.
TEST(KeyHeader, EmbeddedKeysSkipTheSizeCheck) {
    const std::string name = "uproot-histograms.root";
    const auto intact = RootFile::open(dataPath(name));
    const std::size_t entry = topKeyEntryOffset(*intact, 0);
    auto bytes = fileBytes(name);
    storeBigEndian<std::int32_t>(bytes.data() + entry, 0);  // fNbytes
    const auto key_bytes = std::span<const std::byte>(bytes).subspan(entry);
    ByteReader strict(key_bytes, ByteOrigin{"keys.root", "keys list", entry});
    try {
        (void)readKeyHeader(strict);
        ADD_FAILURE() << "no exception";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("smaller than fKeylen"), std::string::npos)
            << error.what();
        EXPECT_EQ(error.offset(), entry);
    }
    ByteReader embedded(key_bytes, ByteOrigin{"keys.root", "keys list", entry});
    const Key key = readKeyHeader(embedded, KeyCheck::Embedded);
    EXPECT_EQ(key.fNbytes, 0);
    EXPECT_EQ(key.fName, "one");
    EXPECT_EQ(key.fSeekKey, 226u);
    EXPECT_EQ(embedded.position(), static_cast<std::size_t>(key.fKeylen));
}

TEST(Cycles, HighestCycleWinsAndEachCycleIsReachable) {
    // uproot-histograms.root has keys one, two, three; renaming "two" to "one" with cycle 2
    // gives a directory with two cycles of "one" (names and lengths are equal, so only the
    // keys-list entry changes; the record itself still says "two").
    const std::string name = "uproot-histograms.root";
    auto bytes = fileBytes(name);
    const auto intact = RootFile::open(dataPath(name));
    const std::size_t entry = topKeyEntryOffset(*intact, 1);
    ASSERT_EQ(intact->topDirectory().keys()[1].fName, "two");
    storeBigEndian<std::int16_t>(bytes.data() + entry + 16, 2);          // fCycle
    const std::size_t name_at = entry + kSmallKeyFixedSize + 1 + 4 + 1;  // after "TH1F"
    std::memcpy(bytes.data() + name_at, "one", 3);

    const auto file = openMemory(std::move(bytes), "cycles.root");
    const Key& newest = file->findKey("one");
    EXPECT_EQ(newest.fCycle, 2);
    EXPECT_EQ(newest.fSeekKey, 853u);
    EXPECT_EQ(file->findKey("one;1").fSeekKey, 226u);
    EXPECT_EQ(&file->findKey("one;2"), &newest);
    EXPECT_EQ(file->topDirectory().find("one", 1)->fSeekKey, 226u);
    EXPECT_THROW((void)file->findKey("one;3"), UsageError);
    EXPECT_THROW((void)file->findKey("two"), UsageError);
    // Both cycles stay listed, in keys-list order.
    const auto entries = file->allKeys();
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].path, "one");
    EXPECT_EQ(entries[1].path, "one");
    EXPECT_EQ(entries[1].key->fCycle, 2);
    (void)file->readPayload(newest, "one;2");
}

TEST(Concurrency, StreamerInfosAndPayloadsFromManyThreads) {
    const auto file = RootFile::open(dataPath("uproot-nesteddirs.root"));
    constexpr int kThreads = 8;
    std::vector<const StreamerInfoSet*> seen(kThreads);
    std::vector<std::size_t> sizes(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            seen[t] = &file->streamerInfos();
            sizes[t] = file->readPayload(file->findKey("three/tree"), "three/tree").bytes.size();
        });
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) {
        EXPECT_EQ(seen[t], seen[0]);
        EXPECT_EQ(sizes[t], 23512u);
    }
    EXPECT_FALSE(seen[0]->all().empty());
}

TEST(CorruptFile, WrongMagicIsNotARootFile) {
    auto bytes = fileBytes("uproot-histograms.root");
    bytes[0] = std::byte{'R'};
    try {
        openMemory(std::move(bytes), "magic.root");
        FAIL() << "no error";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("not a ROOT file"), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("magic.root"), std::string::npos);
        EXPECT_EQ(error.offset(), 0u);
    }
    EXPECT_THROW(openMemory({}, "empty.root"), FormatError);
    const std::string text = "this is a text file, not ROOT\n";
    std::vector<std::byte> text_bytes(text.size());
    std::memcpy(text_bytes.data(), text.data(), text.size());
    EXPECT_THROW(openMemory(std::move(text_bytes), "text.root"), FormatError);
}

TEST(CorruptFile, MissingFileIsAnIoError) {
    EXPECT_THROW(RootFile::open(dataPath("no-such-file.root")), IoError);
}

// Offsets that cut a file inside its header, top directory, keys list(s), StreamerInfo and
// free segments, plus evenly spread ones.
std::vector<std::size_t> truncationPoints(const RootFile& file) {
    std::set<std::size_t> points = {0, 1, 3, 4, 7, 12, 30, 50, 62, 63, 99, 100, 101, 120, 150};
    const auto add_range = [&points, &file](std::uint64_t start, std::uint64_t length) {
        for (std::uint64_t delta :
             {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{10}, length / 2, length - 1})
            if (delta < length && start + delta < file.source().size())
                points.insert(static_cast<std::size_t>(start + delta));
    };
    const FileHeader& header = file.header();
    add_range(header.fBEGIN, static_cast<std::uint64_t>(header.fNbytesName) + 60);
    add_range(header.fSeekInfo, static_cast<std::uint64_t>(header.fNbytesInfo));
    add_range(header.fSeekFree, static_cast<std::uint64_t>(header.fNbytesFree));
    const auto add_directory = [&](const Directory& dir, auto& self) -> void {
        add_range(dir.header().fSeekKeys, static_cast<std::uint64_t>(dir.header().fNbytesKeys));
        for (const auto& sub : dir.subdirectories()) {
            add_range(sub->key()->fSeekKey, static_cast<std::uint64_t>(sub->key()->fNbytes));
            self(*sub, self);
        }
    };
    add_directory(file.topDirectory(), add_directory);
    const std::size_t size = file.source().size();
    for (std::size_t i = 1; i < 10; ++i) points.insert(size * i / 10);
    points.insert(size - 1);
    return {points.begin(), points.end()};
}

class TruncatedFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TruncatedFileTest, EveryCutThrowsAnErrorNamingTheFile) {
    const std::string name = GetParam();
    const auto intact = RootFile::open(dataPath(name));
    const auto points = truncationPoints(*intact);
    EXPECT_GE(points.size(), 40u);
    const auto bytes = fileBytes(name);
    for (const std::size_t cut : points) {
        const std::string url = fmt::format("cut-{}-{}", cut, name);
        std::vector<std::byte> truncated(bytes.begin(), bytes.begin() + cut);
        expectErrorNamingFile(
            [&] {
                const auto file = openMemory(truncated, url);
                walkWholeFile(*file);
            },
            url, url);

        // The same cut with fEND rewritten to the new length, so that parsing goes on until
        // it meets the missing record instead of stopping at the header check.
        if (cut < kSmallFileHeaderSize) continue;
        putBigEndian32(truncated, 12, static_cast<std::uint32_t>(cut));
        const std::string patched_url = "fend-" + url;
        const bool cuts_metadata =
            cut < intact->header().fSeekFree;  // the free segments record is not read
        try {
            const auto file = openMemory(truncated, patched_url);
            walkWholeFile(*file);
            EXPECT_FALSE(cuts_metadata) << patched_url << " opened although cut at " << cut;
        } catch (const Error& error) {
            EXPECT_NE(std::string(error.what()).find(patched_url), std::string::npos)
                << error.what();
        }
    }
}

INSTANTIATE_TEST_SUITE_P(SomeFiles, TruncatedFileTest,
                         ::testing::Values("uproot-nesteddirs.root", "uproot-histograms.root",
                                           "uproot-HZZ-zstd.root", "string-example.root"),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

TEST(CorruptFile, KeysListPastTheEnd) {
    const std::string name = "uproot-histograms.root";
    auto bytes = fileBytes(name);
    const auto intact = RootFile::open(dataPath(name));
    // Small TDirectory header: fSeekKeys at byte 26 of the header.
    const std::size_t header_at = 100 + static_cast<std::size_t>(intact->header().fNbytesName);
    putBigEndian32(bytes, header_at + 26, static_cast<std::uint32_t>(bytes.size() + 1000));
    try {
        openMemory(std::move(bytes), "seekkeys.root");
        FAIL() << "no error";
    } catch (const FormatError& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("keys list"), std::string::npos) << what;
        EXPECT_NE(what.find("seekkeys.root"), std::string::npos) << what;
        EXPECT_EQ(error.offset(), header_at);
    }
}

TEST(CorruptFile, KeylenLargerThanNbytes) {
    const std::string name = "uproot-histograms.root";
    auto bytes = fileBytes(name);
    const auto intact = RootFile::open(dataPath(name));
    const std::size_t entry = topKeyEntryOffset(*intact, 0);
    storeBigEndian<std::int16_t>(bytes.data() + entry + 14, 30000);  // fKeylen
    try {
        openMemory(std::move(bytes), "keylen.root");
        FAIL() << "no error";
    } catch (const FormatError& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("fNbytes 627 smaller than fKeylen 30000"), std::string::npos) << what;
        EXPECT_NE(what.find("keylen.root"), std::string::npos) << what;
        EXPECT_EQ(error.offset(), entry);
    }
}

TEST(CorruptFile, KeylenShorterThanTheHeader) {
    const std::string name = "uproot-histograms.root";
    auto bytes = fileBytes(name);
    const auto intact = RootFile::open(dataPath(name));
    const std::size_t entry = topKeyEntryOffset(*intact, 0);
    storeBigEndian<std::int16_t>(bytes.data() + entry + 14, 10);
    EXPECT_THROW(openMemory(std::move(bytes), "short-keylen.root"), FormatError);
}

TEST(CorruptFile, AbsurdKeyCount) {
    const std::string name = "uproot-histograms.root";
    auto bytes = fileBytes(name);
    const auto intact = RootFile::open(dataPath(name));
    const std::size_t nkeys_at = topKeyEntryOffset(*intact, 0) - 4;
    putBigEndian32(bytes, nkeys_at, 100000000);
    try {
        openMemory(std::move(bytes), "nkeys.root");
        FAIL() << "no error";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("claims 100000000 keys"), std::string::npos)
            << error.what();
    }
}

TEST(CorruptFile, RecordThatDisagreesWithItsKey) {
    const std::string name = "uproot-histograms.root";
    const auto intact = RootFile::open(dataPath(name));
    const std::size_t entry = topKeyEntryOffset(*intact, 0);
    // The record of "one" (at 226) claims another position.
    auto bytes = fileBytes(name);
    putBigEndian32(bytes, 226 + 18, 999);
    auto file = openMemory(std::move(bytes), "moved.root");
    try {
        (void)file->readPayload(file->findKey("one"), "one");
        FAIL() << "no error";
    } catch (const FormatError& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("says it is at byte 999"), std::string::npos) << what;
        EXPECT_NE(what.find("moved.root:one"), std::string::npos) << what;
        EXPECT_EQ(error.offset(), 226u);
    }
    // Key "one" pointed at the record of "three", whose sizes differ.
    bytes = fileBytes(name);
    putBigEndian32(bytes, entry + 18, 1480);
    file = openMemory(std::move(bytes), "repointed.root");
    try {
        (void)file->readPayload(file->findKey("one"), "one");
        FAIL() << "no error";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("disagrees with its key"), std::string::npos)
            << error.what();
    }
    // A key pointing past the end of the file.
    bytes = fileBytes(name);
    putBigEndian32(bytes, entry + 18, static_cast<std::uint32_t>(bytes.size() - 10));
    file = openMemory(std::move(bytes), "past.root");
    EXPECT_THROW((void)file->readPayload(file->findKey("one"), "one"), FormatError);
}

TEST(CorruptFile, DirectoryLoopThrows) {
    const std::string name = "uproot-nesteddirs.root";
    auto bytes = fileBytes(name);
    const auto intact = RootFile::open(dataPath(name));
    const Directory* one = intact->topDirectory().subdirectory("one");
    // In one's keys list, make "two" (record 343) point at one's own record (238): same
    // sizes, so the record passes the key checks and only the loop guard can stop it.
    const std::vector<std::byte> list = intact->source().read(one->header().fSeekKeys, 200);
    ByteReader reader(list, ByteOrigin{});
    const Key own = readKeyHeader(reader);
    const std::size_t entry = one->header().fSeekKeys + static_cast<std::size_t>(own.fKeylen) + 4;
    ASSERT_EQ(loadBigEndian<std::int32_t>(bytes.data() + entry + 18), 343);
    putBigEndian32(bytes, entry + 18, 238);
    try {
        openMemory(std::move(bytes), "loop.root");
        FAIL() << "no error";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("loop"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("loop.root"), std::string::npos);
    }
    // Pointing a subdirectory at the top directory record fails too (its header differs).
    auto top_loop = fileBytes(name);
    putBigEndian32(top_loop, entry + 18, 100);
    EXPECT_THROW(openMemory(std::move(top_loop), "toploop.root"), FormatError);
}

TEST(CorruptFile, StreamerInfoRecordOutsideTheFile) {
    auto bytes = fileBytes("uproot-histograms.root");
    putBigEndian32(bytes, 37, static_cast<std::uint32_t>(bytes.size() - 5));  // fSeekInfo
    const auto file = openMemory(std::move(bytes), "seekinfo.root");
    EXPECT_THROW((void)file->streamerInfos(), FormatError);
    // A failed parse is retried (and fails again), it does not leave a half-filled set.
    EXPECT_THROW((void)file->streamerInfos(), FormatError);
}

TEST(CorruptFile, CorruptCompressedPayload) {
    const std::string name = "uproot-nesteddirs.root";
    auto bytes = fileBytes(name);
    const auto intact = RootFile::open(dataPath(name));
    const Key& tree = intact->findKey("one/tree");
    ASSERT_TRUE(tree.isCompressed());
    // Claim a huge uncompressed size in the key: the block headers cannot produce it.
    const std::uint64_t at = tree.fSeekKey;
    putBigEndian32(bytes, static_cast<std::size_t>(at + 6), 2000000000);
    auto file = openMemory(bytes, "objlen.root");
    Key lying = tree;
    lying.fObjlen = 2000000000;
    try {
        (void)file->readPayload(lying, "one/tree");
        FAIL() << "no error";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("inflate to at most"), std::string::npos)
            << error.what();
    }
    // Damaged compressed bytes.
    auto damaged = fileBytes(name);
    for (int i = 0; i < 40; ++i)
        damaged[static_cast<std::size_t>(at) + static_cast<std::size_t>(tree.fKeylen) + 20 + i] =
            std::byte{0x55};
    file = openMemory(std::move(damaged), "damaged.root");
    EXPECT_THROW((void)file->readPayload(file->findKey("one/tree"), "one/tree"), Error);
}

// Random byte damage in the metadata regions: every outcome must be a clean open or a
// hepflow::Error (the sanitizer build turns any memory error into a failure).
TEST(CorruptFile, RandomDamageNeverCrashes) {
    for (const std::string name : {"uproot-histograms.root", "uproot-nesteddirs.root",
                                   "uproot-vectorVectorDouble.root", "string-example.root"}) {
        const auto intact = RootFile::open(dataPath(name));
        const auto original = fileBytes(name);
        std::vector<std::pair<std::uint64_t, std::uint64_t>> regions = {
            {0, 100},
            {100, static_cast<std::uint64_t>(intact->header().fNbytesName) + 60},
            {intact->header().fSeekInfo,
             static_cast<std::uint64_t>(intact->streamerInfoKey()->fKeylen) + 40},
        };
        const auto add_directory = [&](const Directory& dir, auto& self) -> void {
            regions.emplace_back(dir.header().fSeekKeys,
                                 static_cast<std::uint64_t>(dir.header().fNbytesKeys));
            for (const auto& sub : dir.subdirectories()) self(*sub, self);
        };
        add_directory(intact->topDirectory(), add_directory);

        const unsigned seed = 20240611;
        std::mt19937 random(seed);
        for (int trial = 0; trial < 300; ++trial) {
            auto bytes = original;
            const auto& [start, length] = regions[random() % regions.size()];
            const int flips = 1 + static_cast<int>(random() % 4);
            for (int f = 0; f < flips; ++f) {
                const std::size_t at = static_cast<std::size_t>(start + random() % length);
                bytes[at] = static_cast<std::byte>(random() & 0xFF);
            }
            const std::string url = fmt::format("damaged-{}-{}", trial, name);
            try {
                const auto file = openMemory(std::move(bytes), url);
                walkWholeFile(*file);
            } catch (const Error& error) {
                EXPECT_NE(std::string(error.what()).find(url), std::string::npos)
                    << "seed " << seed << ": " << error.what();
            }
        }
    }
}

}  // namespace
}  // namespace hepflow::root
