// Tests of the StreamerInfo record and the core object streamers: every test file's streamer
// list against values documented in ROOT-FORMAT.md (class versions, checksums, element kinds),
// and hand-built byte sequences for the cases the files do not contain (ranges, old versions,
// list options, skipped classes, nesting limits, corrupt element arrays).
#include "root/streamer_info.h"

#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "root/core_objects.h"
#include "root/root_file.h"
#include "support/test_support.h"

namespace hepflow::root {
namespace {

using test::dataPath;

const std::vector<std::string> kAllFiles = {
    "TNtuple.root",
    "nanoAOD_2015_CMS_Open_Data_ttbar.root",
    "string-example.root",
    "tree_with_large_array_lzma.root",
    "uproot-HZZ-lz4.root",
    "uproot-HZZ-lzma.root",
    "uproot-HZZ-uncompressed.root",
    "uproot-HZZ-zstd.root",
    "uproot-HZZ.root",
    "uproot-Zmumu.root",
    "uproot-histograms.root",
    "uproot-issue513.root",
    "uproot-leaflist.root",
    "uproot-nesteddirs.root",
    "uproot-sample-6.20.04-zlib.root",
    "uproot-small-evnt-tree-fullsplit.root",
    "uproot-stl_containers.root",
    "uproot-vectorVectorDouble.root",
};

class StreamerListTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamerListTest, ParsesWithCoreClassesAndTreeVersions) {
    const auto file = RootFile::open(dataPath(GetParam()));
    const StreamerInfoSet& infos = file->streamerInfos();
    EXPECT_EQ(&infos, &file->streamerInfos());  // parsed once
    ASSERT_FALSE(infos.all().empty());
    for (const auto& info : infos.all()) {
        EXPECT_FALSE(info->name.empty());
        EXPECT_EQ(info->class_name, "TStreamerInfo");
        for (const StreamerElement& element : info->elements) {
            SCOPED_TRACE(info->name + "::" + element.name);
            EXPECT_TRUE(element.element_class.starts_with("TStreamer"));
            EXPECT_EQ(element.element_version, 4);  // all of testdata (ROOT-FORMAT.md 8.2)
            EXPECT_FALSE(element.type == kStreamerTypeUChar &&
                         (element.type_name == "Bool_t" || element.type_name == "bool"));
        }
    }
    const int root_version = file->header().rootVersion();
    const bool root5 = root_version < 60000;
    ASSERT_NE(infos.find("TObject"), nullptr);
    EXPECT_EQ(infos.find("TObject")->class_version, 1);
    ASSERT_NE(infos.find("TNamed"), nullptr);
    // ROOT 5.32 computed other checksums for the same class versions.
    EXPECT_EQ(infos.find("TObject")->checksum, root5 ? 0x52D96731u : 0x901BC02Du);
    EXPECT_EQ(infos.find("TNamed")->checksum, root5 ? 0xFBE93F79u : 0xDFB74A3Cu);

    bool has_tree = false;
    for (const auto& entry : file->allKeys())
        has_tree |= entry.key->fClassName == "TTree" || entry.key->fClassName == "TNtuple";
    const StreamerInfo* tree = infos.find("TTree");
    if (!has_tree) {
        EXPECT_EQ(tree, nullptr);
        EXPECT_TRUE(infos.rules().empty());
        return;
    }
    ASSERT_NE(tree, nullptr);
    // TTree v20 from ROOT 6.14 on, v19 before; checksums from ROOT-FORMAT.md 6.1.
    if (root_version >= 61400) {
        EXPECT_EQ(tree->class_version, 20);
        EXPECT_EQ(tree->checksum, 0x7264E07Fu);
        EXPECT_EQ(infos.find("TBranch")->class_version, 13);
        EXPECT_EQ(infos.find("TBranch")->checksum, 0x10978AACu);
    } else {
        EXPECT_EQ(tree->class_version, 19);
        EXPECT_EQ(tree->checksum, root5 ? 0x0A2A28F2u : 0x58A396EBu);
        EXPECT_EQ(infos.find("TBranch")->class_version, 12);
        EXPECT_EQ(infos.find("TBranch")->checksum, root5 ? 0x911CC38Eu : 0x59108CB8u);
    }
    EXPECT_EQ(infos.find("TTree", tree->class_version), tree);
    EXPECT_EQ(infos.find("TTree", 3), nullptr);
    // Two schema-evolution rules for TTree in every tree file (ROOT-FORMAT.md 3.6).
    ASSERT_EQ(infos.rules().size(), 2u);
    EXPECT_NE(infos.rules()[0].find("target=\"fDefaultEntryOffsetLen\""), std::string::npos);
    EXPECT_NE(infos.rules()[1].find("target=\"fNClusterRange\""), std::string::npos);

    const StreamerElement* counter = infos.findElement("TTree", "fNClusterRange");
    ASSERT_NE(counter, nullptr);
    EXPECT_EQ(counter->type, 6);  // kCounter
    const StreamerElement* ends = infos.findElement("TTree", "fClusterRangeEnd");
    ASSERT_NE(ends, nullptr);
    EXPECT_EQ(ends->element_class, "TStreamerBasicPointer");
    EXPECT_EQ(ends->type, 56);  // kOffsetP + kLong64
    EXPECT_EQ(ends->count_name, "fNClusterRange");
    EXPECT_EQ(ends->count_class, "TTree");
    EXPECT_EQ(ends->title.substr(0, 16), "[fNClusterRange]");

    const StreamerElement& named_base = tree->elements.front();
    EXPECT_TRUE(named_base.isBase());
    EXPECT_EQ(named_base.name, "TNamed");
    EXPECT_EQ(named_base.type_name, "BASE");
    EXPECT_EQ(named_base.type, 67);  // kTNamed
    EXPECT_EQ(named_base.base_version, 1);
    // ROOT 6 stores the base class checksum in fMaxIndex[1]; ROOT 5.32 stores 0.
    EXPECT_EQ(static_cast<std::uint32_t>(named_base.max_index[1]), root5 ? 0u : 0xDFB74A3Cu);
}

INSTANTIATE_TEST_SUITE_P(AllFiles, StreamerListTest, ::testing::ValuesIn(kAllFiles),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

TEST(StreamerInfos, SplitUserClassEvent) {
    const auto file = RootFile::open(dataPath("uproot-small-evnt-tree-fullsplit.root"));
    const StreamerInfoSet& infos = file->streamerInfos();
    const StreamerInfo* event = infos.find("Event");
    ASSERT_NE(event, nullptr);
    EXPECT_EQ(event->class_version, 1);
    EXPECT_EQ(event->checksum, 0x42F2461Bu);
    EXPECT_EQ(event->elements.size(), 39u);

    const StreamerElement* strings = infos.findElement("Event", "StlVecStr");
    ASSERT_NE(strings, nullptr);
    EXPECT_EQ(strings->type_name, "vector<string>");
    EXPECT_EQ(strings->element_class, "TStreamerSTL");
    EXPECT_EQ(strings->type, 500);
    EXPECT_EQ(strings->stl_type, 1);
    EXPECT_EQ(strings->ctype, 61);

    const StreamerElement* floats = infos.findElement("Event", "StlVecF32");
    ASSERT_NE(floats, nullptr);
    EXPECT_EQ(floats->type_name, "vector<float>");
    EXPECT_EQ(floats->ctype, 5);

    // std::string member: TStreamerSTLstring wrapping a TStreamerSTL (ROOT-FORMAT.md 8.2).
    const StreamerElement* std_string = event->findElement("StdStr");
    ASSERT_NE(std_string, nullptr);
    EXPECT_EQ(std_string->element_class, "TStreamerSTLstring");
    EXPECT_EQ(std_string->type_name, "string");
    EXPECT_EQ(std_string->type, 500);
    EXPECT_EQ(std_string->stl_type, 365);
    EXPECT_EQ(std_string->ctype, 365);

    const StreamerElement* array = event->findElement("ArrayI16");
    ASSERT_NE(array, nullptr);
    EXPECT_EQ(array->type, 22);  // kOffsetL + kShort
    EXPECT_EQ(array->array_length, 10);
    EXPECT_EQ(array->array_dim, 1);
    EXPECT_EQ(array->max_index[0], 10);
    EXPECT_EQ(array->size, 20);

    const StreamerElement* slice = event->findElement("SliceF64");
    ASSERT_NE(slice, nullptr);
    EXPECT_EQ(slice->element_class, "TStreamerBasicPointer");
    EXPECT_EQ(slice->type, 48);  // kOffsetP + kDouble
    EXPECT_EQ(slice->count_name, "N");
    EXPECT_EQ(slice->count_class, "Event");
    EXPECT_EQ(slice->title, "[N]");
    EXPECT_EQ(event->findElement("N")->type, 6);

    const StreamerElement* p3 = event->findElement("P3");
    ASSERT_NE(p3, nullptr);
    EXPECT_EQ(p3->element_class, "TStreamerObjectAny");
    EXPECT_EQ(p3->type, 62);
    EXPECT_EQ(infos.find("P3")->elements.size(), 3u);
    EXPECT_EQ(event->findElement("Beg")->element_class, "TStreamerString");
    EXPECT_EQ(event->findElement("Beg")->type, 65);
    EXPECT_EQ(event->findElement("Missing"), nullptr);
}

TEST(StreamerInfos, StlContainerInfos) {
    const auto file = RootFile::open(dataPath("uproot-stl_containers.root"));
    const StreamerInfoSet& infos = file->streamerInfos();
    // vector<int>: ROOT-FORMAT.md 9.6.
    const StreamerInfo* vector_int = infos.find("vector<int>");
    ASSERT_NE(vector_int, nullptr);
    EXPECT_EQ(vector_int->class_version, 6);
    EXPECT_EQ(vector_int->checksum, 0x00983B88u);
    ASSERT_EQ(vector_int->elements.size(), 1u);
    const StreamerElement& self = vector_int->elements[0];
    EXPECT_EQ(self.name, "This");
    EXPECT_EQ(self.title, "<Int_t> Used to call the proper TStreamerInfo case");
    EXPECT_EQ(self.element_class, "TStreamerSTL");
    EXPECT_EQ(self.type, 500);
    EXPECT_EQ(self.size, 0);
    EXPECT_EQ(self.stl_type, 1);
    EXPECT_EQ(self.ctype, 3);
    EXPECT_EQ(self.type_name, "vector<int>");

    EXPECT_EQ(infos.find("vector<string>")->checksum, 0x100E72BCu);
    EXPECT_EQ(infos.find("vector<string>")->elements[0].ctype, 61);
    EXPECT_EQ(infos.find("set<int>")->elements[0].stl_type, 6);
    EXPECT_EQ(infos.find("map<int,short>")->elements[0].stl_type, 4);
    EXPECT_EQ(infos.find("pair<int,short>")->class_version, 1);
    EXPECT_EQ(infos.find("pair<int,short>")->checksum, 0xFE3E6D80u);
    EXPECT_EQ(infos.find("ROOT::TIOFeatures")->checksum, 0x1AA12F10u);

    // TBranchElement v10 derives from TBranch v13; fMaxIndex[1] holds TBranch's checksum.
    const StreamerElement* base = infos.findElement("TBranchElement", "TBranch");
    ASSERT_NE(base, nullptr);
    EXPECT_TRUE(base->isBase());
    EXPECT_EQ(base->base_version, 13);
    EXPECT_EQ(static_cast<std::uint32_t>(base->max_index[1]), 0x10978AACu);
    EXPECT_EQ(infos.find("TBranchElement")->checksum, 0xE74F5E63u);

    // Members are found through the base classes, depth-first.
    const StreamerElement* name = infos.findElement("TTree", "fName");
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(name->element_class, "TStreamerString");
    EXPECT_EQ(name->type, 65);
    const StreamerElement* basket_size = infos.findElement("TBranchElement", "fBasketSize");
    ASSERT_NE(basket_size, nullptr);
    EXPECT_EQ(basket_size->type, 3);
    EXPECT_EQ(infos.findElement("TTree", "fNoSuchMember"), nullptr);
    EXPECT_EQ(infos.findElement("NoSuchClass", "fName"), nullptr);
}

TEST(StreamerInfos, NestedVectorAndOldRoot) {
    const auto nested = RootFile::open(dataPath("uproot-vectorVectorDouble.root"));
    const StreamerInfo* info = nested->streamerInfos().find("vector<vector<double> >");
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->class_version, 6);
    EXPECT_EQ(info->checksum, 0x8431864Fu);
    EXPECT_EQ(info->elements.at(0).ctype, 61);

    // ROOT 5.32: TAttLine/TAttFill version 1 (ROOT-FORMAT.md 6.1).
    const auto old = RootFile::open(dataPath("uproot-HZZ.root"));
    EXPECT_EQ(old->streamerInfos().find("TAttLine")->class_version, 1);
    EXPECT_EQ(old->streamerInfos().find("TAttFill")->class_version, 1);
}

// Builds ROOT-streamed bytes for the synthetic cases.
class Bytes {
public:
    Bytes& u8(std::uint8_t v) { return put(v); }
    Bytes& i16(std::int16_t v) { return put(v); }
    Bytes& u32(std::uint32_t v) { return put(v); }
    Bytes& i32(std::int32_t v) { return put(v); }
    Bytes& f64(double v) { return put(v); }
    Bytes& tstring(std::string_view s) {
        if (s.size() < 255) {
            u8(static_cast<std::uint8_t>(s.size()));
        } else {
            u8(255);
            u32(static_cast<std::uint32_t>(s.size()));
        }
        return raw(s);
    }
    Bytes& raw(std::string_view s) {
        for (char c : s) data.push_back(static_cast<std::byte>(c));
        return *this;
    }
    // Reserves a byte count word; close() fills it in.
    std::size_t open() {
        const std::size_t at = data.size();
        u32(0);
        return at;
    }
    void close(std::size_t at) {
        storeBigEndian<std::uint32_t>(
            data.data() + at, static_cast<std::uint32_t>(data.size() - at - 4) | kByteCountMask);
    }
    std::size_t beginObject(std::int16_t version) {
        const std::size_t at = open();
        i16(version);
        return at;
    }
    // An object pointer with a new-class tag; the object follows, then close(returned).
    std::size_t beginTagged(std::string_view class_name) {
        const std::size_t at = open();
        u32(kNewClassTag);
        raw(class_name);
        u8(0);
        return at;
    }
    Bytes& tobject(std::uint32_t bits = 0x03000000) {
        i16(1);
        u32(0);
        return u32(bits);
    }
    Bytes& tnamed(std::string_view name, std::string_view title, std::uint32_t bits = 0x03000000) {
        const std::size_t at = beginObject(1);
        tobject(bits);
        tstring(name);
        tstring(title);
        close(at);
        return *this;
    }
    ByteReader reader() const { return ByteReader(data, ByteOrigin{"synthetic.root", "test", 0}); }

    std::vector<std::byte> data;

private:
    template <class T>
    Bytes& put(T value) {
        data.resize(data.size() + sizeof(T));
        storeBigEndian<T>(data.data() + data.size() - sizeof(T), value);
        return *this;
    }
};

constexpr std::uint32_t kHasRange = 0x40;

struct ElementSpec {
    std::string title;
    std::uint32_t bits = 0x03000000;
    int type = 9;  // kDouble32
    std::string type_name = "Double32_t";
    std::int16_t version = 4;
};

// A TStreamerBasicType (v2) around a TStreamerElement of the given version.
void writeBasicElement(Bytes& bytes, const ElementSpec& spec) {
    const std::size_t outer = bytes.beginObject(2);
    const std::size_t base = bytes.beginObject(spec.version);
    bytes.tnamed("fValue", spec.title, spec.bits);
    bytes.i32(spec.type).i32(8).i32(0).i32(0);
    if (spec.version == 1) {
        bytes.i32(2).i32(3).i32(4);  // counted fMaxIndex
    } else {
        for (int i = 0; i < 5; ++i) bytes.i32(0);
    }
    bytes.tstring(spec.type_name);
    if (spec.version == 3) bytes.f64(-5).f64(5).f64(100);
    bytes.close(base);
    bytes.close(outer);
}

StreamerElement parseElement(const ElementSpec& spec) {
    Bytes bytes;
    writeBasicElement(bytes, spec);
    ByteReader reader = bytes.reader();
    StreamerElement element = readStreamerElement("TStreamerBasicType", reader);
    EXPECT_TRUE(reader.atEnd());
    return element;
}

TEST(StreamerElements, Float16AndDouble32Ranges) {
    const double pi = std::numbers::pi;
    struct Case {
        std::string title;
        double xmin, xmax, factor;
        int nbits;
    };
    const std::vector<Case> cases = {
        {"[0, 10, 12] momentum", 0, 10, 4096.0 / 10, 12},
        {"[-pi,pi]", -pi, pi, 4294967295.0 / (2 * pi), 32},
        // xmin == xmax with few bits: ROOT's truncated-mantissa marker xmin = nbits + 0.1.
        {"[0,0,8]", 8.1, 0, 0, 8},
        // A first bracket without a comma is an array dimension.
        {"[3][-1, 1]", -1, 1, 4294967295.0 / 2, 32},
        // Out-of-range nbits falls back to 32.
        {"[-2pi, 2*pi, 64]", -2 * pi, 2 * pi, 4294967295.0 / (4 * pi), 32},
        {"[0, pi/2, 10]", 0, pi / 2, 1024 / (pi / 2), 10},
        {"no range here", 0, 0, 0, 0},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.title);
        const StreamerElement element = parseElement({c.title, 0x03000000 | kHasRange});
        EXPECT_DOUBLE_EQ(element.xmin, c.xmin);
        EXPECT_DOUBLE_EQ(element.xmax, c.xmax);
        EXPECT_DOUBLE_EQ(element.factor, c.factor);
        EXPECT_EQ(element.nbits, c.nbits);
        const auto range = parseFloatRange(c.title);
        EXPECT_EQ(range.has_value(), c.nbits != 0);
        if (range) {
            EXPECT_DOUBLE_EQ(range->xmin, c.xmin);
            EXPECT_DOUBLE_EQ(range->factor, c.factor);
        }
    }
    // The spec as written, before GetRange turns "[0,0,8]" into its truncation marker.
    const auto spec = parseFloatRangeSpec("[0, 0, 8]");
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->xmin, 0);
    EXPECT_EQ(spec->xmax, 0);
    EXPECT_EQ(spec->nbits, 8);
    EXPECT_FALSE(parseFloatRangeSpec("[10] an array").has_value());
    EXPECT_FALSE(parseFloatRange("[10] an array").has_value());
    EXPECT_FALSE(parseFloatRange("[0, 1").has_value());
    // Without kHasRange, the title is only a comment.
    const StreamerElement plain = parseElement({"[0, 10, 12]"});
    EXPECT_EQ(plain.nbits, 0);
    EXPECT_EQ(plain.factor, 0);
    // Version 3 elements store the three values.
    const StreamerElement v3 = parseElement({"[anything]", 0x03000000, 9, "Double32_t", 3});
    EXPECT_EQ(v3.element_version, 3);
    EXPECT_EQ(v3.xmin, -5);
    EXPECT_EQ(v3.xmax, 5);
    EXPECT_EQ(v3.factor, 100);
}

TEST(StreamerElements, OldVersionsAndQuirks) {
    // Version 1: fMaxIndex with a length prefix.
    const StreamerElement v1 = parseElement({"", 0x03000000, 23, "Int_t", 1});
    EXPECT_EQ(v1.max_index[0], 3);
    EXPECT_EQ(v1.max_index[1], 4);
    EXPECT_EQ(v1.max_index[2], 0);
    // kUChar declared Bool_t is a bool (ROOT's TStreamerElement::Streamer fix-up).
    EXPECT_EQ(parseElement({"", 0x03000000, 11, "Bool_t"}).type, kStreamerTypeBool);
    EXPECT_EQ(parseElement({"", 0x03000000, 11, "UChar_t"}).type, kStreamerTypeUChar);

    // A version 1 element with more than five dimensions is corrupt.
    Bytes bad;
    const std::size_t outer = bad.beginObject(2);
    const std::size_t base = bad.beginObject(1);
    bad.tnamed("x", "");
    bad.i32(3).i32(4).i32(0).i32(7);
    bad.i32(7);  // seven dimensions
    for (int i = 0; i < 7; ++i) bad.i32(1);
    bad.tstring("Int_t");
    bad.close(base);
    bad.close(outer);
    ByteReader reader = bad.reader();
    EXPECT_THROW(readStreamerElement("TStreamerBasicType", reader), FormatError);
}

void writeStlElement(Bytes& bytes, int stl_type, std::string_view type_name) {
    const std::size_t outer = bytes.beginObject(3);
    const std::size_t base = bytes.beginObject(4);
    bytes.tnamed("fSet", "");
    bytes.i32(300).i32(48).i32(0).i32(0);
    for (int i = 0; i < 5; ++i) bytes.i32(0);
    bytes.tstring(type_name);
    bytes.close(base);
    bytes.i32(stl_type).i32(3);
    bytes.close(outer);
}

TEST(StreamerElements, SetAndMultimapSwapOfOldFiles) {
    struct Case {
        int stored;
        std::string type_name;
        int expected;
    };
    for (const Case& c : std::vector<Case>{{kStlMultimap, "set<int>", kStlSet},
                                           {kStlSet, "multimap<int,int>", kStlMultimap},
                                           {kStlSet, "std::set<int>", kStlSet},
                                           {kStlMultimap, "multimap<int,int>", kStlMultimap},
                                           {1, "vector<int>", 1}}) {
        Bytes bytes;
        writeStlElement(bytes, c.stored, c.type_name);
        ByteReader reader = bytes.reader();
        EXPECT_EQ(readStreamerElement("TStreamerSTL", reader).stl_type, c.expected) << c.type_name;
    }
}

TEST(StreamerElements, UnknownElementClassKeepsItsBase) {
    Bytes bytes;
    const std::size_t outer = bytes.beginObject(7);
    const std::size_t base = bytes.beginObject(4);
    bytes.tnamed("fFuture", "from a newer ROOT");
    bytes.i32(61).i32(16).i32(0).i32(0);
    for (int i = 0; i < 5; ++i) bytes.i32(0);
    bytes.tstring("TFuture");
    bytes.close(base);
    bytes.i32(42).i32(43);  // members hepflow does not know
    bytes.close(outer);
    ByteReader reader = bytes.reader();
    const StreamerElement element = readStreamerElement("TStreamerFuture", reader);
    EXPECT_TRUE(reader.atEnd());
    EXPECT_EQ(element.element_class, "TStreamerFuture");
    EXPECT_EQ(element.name, "fFuture");
    EXPECT_EQ(element.type_name, "TFuture");
}

// A TStreamerInfo for class `name` whose elements come from `write_elements`.
template <class WriteElements>
void writeStreamerInfo(Bytes& bytes, std::string_view name, WriteElements write_elements) {
    const std::size_t info = bytes.beginObject(9);
    bytes.tnamed(name, "");
    bytes.u32(0x12345678).i32(3);
    write_elements(bytes);
    bytes.close(info);
}

TEST(StreamerInfos, SyntheticListWithClassReferencesAndRules) {
    Bytes bytes;
    const std::size_t list = bytes.beginObject(5);
    bytes.tobject().tstring("").i32(3);
    // Item 1: a TStreamerInfo with two elements; the second refers to the first's class tag.
    const std::size_t item = bytes.beginTagged("TStreamerInfo");
    writeStreamerInfo(bytes, "Point", [](Bytes& b) {
        const std::size_t array = b.beginTagged("TObjArray");
        const std::size_t body = b.beginObject(3);
        b.tobject().tstring("").i32(2).i32(0);
        const std::size_t class_tag_at = b.data.size() + 4;  // the 0xFFFFFFFF word
        const std::size_t first = b.beginTagged("TStreamerBasicType");
        writeBasicElement(b, {"", 0x03000000, 5, "float"});
        b.close(first);
        const std::size_t second = b.open();
        b.u32(static_cast<std::uint32_t>(class_tag_at + kMapOffset) | kClassMask);
        writeBasicElement(b, {"[0, 1, 8]", 0x03000000 | kHasRange, 19, "Float16_t"});
        b.close(second);
        b.close(body);
        b.close(array);
    });
    bytes.close(item);
    bytes.u8(0);  // option
    // Item 2: a class hepflow does not model, skipped by its byte count.
    const std::size_t histogram = bytes.beginTagged("TH1F");
    bytes.i16(3).raw("opaque bytes");
    bytes.close(histogram);
    bytes.u8(0);
    // Item 3: the rules, a TList of TLists of TObjString.
    const std::size_t rules = bytes.beginTagged("TList");
    const std::size_t rules_body = bytes.beginObject(5);
    bytes.tobject().tstring("listOfRules").i32(1);
    const std::size_t inner = bytes.beginTagged("TList");
    const std::size_t inner_body = bytes.beginObject(5);
    bytes.tobject().tstring("Point").i32(1);
    const std::size_t rule = bytes.beginTagged("TObjString");
    const std::size_t rule_body = bytes.beginObject(1);
    bytes.tobject().tstring("type=read sourceClass=\"Point\"");
    bytes.close(rule_body);
    bytes.close(rule);
    bytes.u8(0);
    bytes.close(inner_body);
    bytes.close(inner);
    bytes.u8(0);
    bytes.close(rules_body);
    bytes.close(rules);
    bytes.u8(0);
    bytes.close(list);

    ByteReader reader = bytes.reader();
    const StreamerInfoSet infos = readStreamerInfoList(reader);
    EXPECT_TRUE(reader.atEnd());
    ASSERT_EQ(infos.all().size(), 1u);
    const StreamerInfo* point = infos.find("Point");
    ASSERT_NE(point, nullptr);
    EXPECT_EQ(point->checksum, 0x12345678u);
    EXPECT_EQ(point->class_version, 3);
    ASSERT_EQ(point->elements.size(), 2u);
    EXPECT_EQ(point->elements[0].element_class, "TStreamerBasicType");
    EXPECT_EQ(point->elements[1].element_class, "TStreamerBasicType");
    EXPECT_EQ(point->elements[1].type, kStreamerTypeFloat16);
    EXPECT_EQ(point->elements[1].nbits, 8);
    EXPECT_DOUBLE_EQ(point->elements[1].factor, 256.0);
    ASSERT_EQ(infos.rules().size(), 1u);
    EXPECT_EQ(infos.rules()[0], "type=read sourceClass=\"Point\"");
}

TEST(StreamerInfos, CorruptElementArrays) {
    // fElements is a TNamed, not a TObjArray.
    Bytes named;
    writeStreamerInfo(named, "Bad", [](Bytes& b) {
        const std::size_t tag = b.beginTagged("TNamed");
        b.tnamed("x", "y");
        b.close(tag);
    });
    ByteReader reader = named.reader();
    EXPECT_THROW(readStreamerInfo(reader), FormatError);

    // An element slot holding a TObjString.
    Bytes wrong_item;
    writeStreamerInfo(wrong_item, "Bad", [](Bytes& b) {
        const std::size_t array = b.beginTagged("TObjArray");
        const std::size_t body = b.beginObject(3);
        b.tobject().tstring("").i32(1).i32(0);
        const std::size_t tag = b.beginTagged("TObjString");
        const std::size_t string_body = b.beginObject(1);
        b.tobject().tstring("not an element");
        b.close(string_body);
        b.close(tag);
        b.close(body);
        b.close(array);
    });
    reader = wrong_item.reader();
    try {
        readStreamerInfo(reader);
        FAIL() << "no error";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("is TObjString"), std::string::npos)
            << error.what();
        EXPECT_NE(std::string(error.what()).find("synthetic.root"), std::string::npos);
    }

    // TStreamerInfo version 1 (ROOT 3) is not supported.
    Bytes old;
    const std::size_t info = old.beginObject(1);
    old.tnamed("Old", "");
    old.close(info);
    reader = old.reader();
    EXPECT_THROW(readStreamerInfo(reader), UnsupportedError);

    // A count that the bytes cannot hold.
    Bytes huge;
    const std::size_t array = huge.beginObject(3);
    huge.tobject().tstring("").i32(1000000).i32(0);
    huge.close(array);
    reader = huge.reader();
    EXPECT_THROW(readTObjArray(reader, streamCoreObject), FormatError);
}

TEST(CoreObjects, TListOptionsAndVersions) {
    // Version 5: a long option (255 marker + uint32 length) after a TNamed item.
    Bytes v5;
    const std::size_t list = v5.beginObject(5);
    v5.tobject().tstring("things").i32(2);
    std::size_t tag = v5.beginTagged("TNamed");
    v5.tnamed("first", "one");
    v5.close(tag);
    v5.u8(255).u32(300).raw(std::string(300, 'o'));
    tag = v5.beginTagged("TObjString");
    const std::size_t body = v5.beginObject(1);
    v5.tobject().tstring("second");
    v5.close(body);
    v5.close(tag);
    v5.u8(3).raw("opt");
    v5.close(list);
    ByteReader reader = v5.reader();
    const auto parsed = readTList(reader, streamCoreObject);
    EXPECT_TRUE(reader.atEnd());
    EXPECT_EQ(parsed->name, "things");
    ASSERT_EQ(parsed->items.size(), 2u);
    const auto first = std::dynamic_pointer_cast<TNamed>(parsed->items[0]);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->class_name, "TNamed");
    EXPECT_EQ(first->name, "first");
    EXPECT_EQ(first->title, "one");
    const auto second = std::dynamic_pointer_cast<TObjString>(parsed->items[1]);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(second->string, "second");

    // Version 3: no option strings at all.
    Bytes v3;
    const std::size_t old_list = v3.beginObject(3);
    v3.tobject().tstring("old").i32(1);
    tag = v3.beginTagged("TNamed");
    v3.tnamed("only", "");
    v3.close(tag);
    v3.close(old_list);
    reader = v3.reader();
    EXPECT_EQ(readTList(reader, streamCoreObject)->items.size(), 1u);
    EXPECT_TRUE(reader.atEnd());

    // THashList streams as a TList and keeps its class name.
    Bytes hash;
    tag = hash.beginTagged("THashList");
    const std::size_t hash_body = hash.beginObject(5);
    hash.tobject().tstring("").i32(0);
    hash.close(hash_body);
    hash.close(tag);
    reader = hash.reader();
    const RootObjectPtr object = reader.readObjectAny(streamCoreObject);
    ASSERT_NE(std::dynamic_pointer_cast<TList>(object), nullptr);
    EXPECT_EQ(object->class_name, "THashList");
}

TEST(CoreObjects, TObjArraySlotsReferencesAndSkippedClasses) {
    Bytes bytes;
    const std::size_t array = bytes.beginObject(3);
    bytes.tobject().tstring("arr").i32(4).i32(0);
    const std::size_t first_start = bytes.data.size();
    std::size_t tag = bytes.beginTagged("TNamed");
    bytes.tnamed("a", "b");
    bytes.close(tag);
    bytes.u32(0);                                                     // empty slot
    bytes.u32(static_cast<std::uint32_t>(first_start + kMapOffset));  // the first object again
    tag = bytes.beginTagged("TUnknownThing");
    bytes.raw("xyz");
    bytes.close(tag);
    bytes.close(array);
    ByteReader reader = bytes.reader();
    const auto parsed = readTObjArray(reader, streamCoreObject);
    EXPECT_TRUE(reader.atEnd());
    EXPECT_EQ(parsed->name, "arr");
    ASSERT_EQ(parsed->items.size(), 4u);
    ASSERT_NE(parsed->items[0], nullptr);
    EXPECT_EQ(parsed->items[1], nullptr);
    EXPECT_EQ(parsed->items[2], parsed->items[0]);
    EXPECT_EQ(parsed->items[3], nullptr);  // skipped by its byte count

    reader = bytes.reader();
    reader.seek(first_start + 4 + 4 + 7);  // the TNamed body after the tag "TNamed\0"
    EXPECT_EQ(streamCoreObject("TH1F", reader), nullptr);
}

// `depth` TLists, each holding the next one.
Bytes nestedLists(int depth) {
    Bytes bytes;
    std::vector<std::pair<std::size_t, std::size_t>> open;
    for (int i = 0; i < depth; ++i) {
        const std::size_t tag = bytes.beginTagged("TList");
        const std::size_t body = bytes.beginObject(5);
        bytes.tobject().tstring("").i32(i + 1 < depth ? 1 : 0);
        open.emplace_back(tag, body);
    }
    for (auto it = open.rbegin(); it != open.rend(); ++it) {
        bytes.close(it->second);
        bytes.close(it->first);
        if (std::next(it) != open.rend()) bytes.u8(0);  // option of the enclosing list's item
    }
    return bytes;
}

TEST(CoreObjects, NestingIsBounded) {
    const Bytes shallow = nestedLists(50);
    ByteReader reader = shallow.reader();
    EXPECT_NE(reader.readObjectAny(streamCoreObject), nullptr);
    EXPECT_TRUE(reader.atEnd());

    const Bytes deep = nestedLists(5000);
    reader = deep.reader();
    try {
        reader.readObjectAny(streamCoreObject);
        FAIL() << "no error";
    } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find("nested more than"), std::string::npos)
            << error.what();
    }
    // The depth counter is back to zero after the error.
    reader = shallow.reader();
    EXPECT_NE(reader.readObjectAny(streamCoreObject), nullptr);
}

}  // namespace
}  // namespace hepflow::root
