// Generates src/root/writer/known_streamers.cpp: the TStreamerInfo of every class hepflow writes,
// read with hepflow's own reader from the ROOT-written files in tests/data, plus TH1 v8 and TH1D
// v3, derived from the ROOT 6.08 infos there and checked against ROOT's published checksums.
// Usage: gen_known_streamers <testdata dir> <output .cpp>. Exit status 1 on any check failure.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "root/root_file.h"
#include "root/streamer_info.h"
#include "root/writer/streamer_registry.h"

using hepflow::root::RootFile;
using hepflow::root::streamerChecksum;
using hepflow::root::StreamerElement;
using hepflow::root::StreamerInfo;

namespace {

// Which file each class is taken from. ROOT 6.20.04 wrote every TTree-related class of
// uproot-sample-6.20.04-zlib.root (all leaf types); TBranchElement/TLeafElement come from a
// 6.20.04 file with std::vector branches; the axis classes from ROOT 6.08.04 (their versions and
// checksums are unchanged in later releases: TAxis v10 0x5A496E70, TAttAxis v4 0x5C6FFF3E).
struct Source {
    const char* file;
    std::vector<const char*> classes;
};
const std::vector<Source> kSources = {
    {"uproot-sample-6.20.04-zlib.root",
     {"TObject",
      "TNamed",
      "TString",
      "TAttLine",
      "TAttFill",
      "TAttMarker",
      "TCollection",
      "TSeqCollection",
      "TList",
      "TObjArray",
      "ROOT::TIOFeatures",
      "TTree",
      "TBranch",
      "TLeaf",
      "TLeafB",
      "TLeafS",
      "TLeafI",
      "TLeafL",
      "TLeafF",
      "TLeafD",
      "TLeafC",
      "TLeafO",
      "TBranchRef",
      "TRefTable"}},
    {"uproot-stl_containers.root", {"TBranchElement", "TLeafElement"}},
    {"uproot-histograms.root", {"THashList", "TAttAxis", "TAxis"}},
};
// Version-0 classes whose in-memory members are transient, so ROOT's checksum covers members
// the info does not list: copied, never recomputed.
const std::set<std::string> kChecksumNotReproducible = {"TSeqCollection", "THashList"};

// ROOT's published checksums of the derived classes: the fCheckSum of ROOT's own TH1 v8 and TH1D
// v3 streamer infos (as captured in uproot5 src/uproot/models/TH.py, _rawstreamer_TH1_v8 and
// _rawstreamer_TH1D_v3), and of TH1F v3, which checks the TH1 v8 derivation independently.
constexpr std::uint32_t kRootTH1v8Checksum = 0x1C3740C4;
constexpr std::uint32_t kRootTH1Dv3Checksum = 0xF9B1569F;
constexpr std::uint32_t kRootTH1Fv3Checksum = 0xE2939644;

[[noreturn]] void fail(const std::string& message) {
    std::cerr << "gen_known_streamers: " << message << "\n";
    std::exit(1);
}

struct Entry {
    std::shared_ptr<const StreamerInfo> info;
    std::string source;
};

StreamerElement baseElement(const std::string& name, const std::string& title,
                            std::uint32_t checksum, int version) {
    StreamerElement element;
    element.element_class = "TStreamerBase";
    element.name = name;
    element.title = title;
    element.type_name = "BASE";
    element.max_index[1] = static_cast<int>(checksum);
    element.element_version = 4;
    element.base_version = version;
    return element;
}

// TArray (Int_t fN) and a TArrayX (base TArray, X* fArray //[fN]), only for their checksums:
// ROOT streams these by hand and does not list them, but TH1D names TArrayD's checksum in its
// TStreamerBase element.
std::uint32_t arrayChecksum(const std::string& array_class, const std::string& pointer_type) {
    StreamerInfo tarray;
    tarray.name = "TArray";
    StreamerElement n;
    n.element_class = "TStreamerBasicType";
    n.name = "fN";
    n.type_name = "int";
    n.type = 3;
    tarray.elements.push_back(n);
    StreamerInfo info;
    info.name = array_class;
    info.elements.push_back(baseElement("TArray", "", streamerChecksum(tarray), 1));
    StreamerElement values;
    values.element_class = "TStreamerBasicPointer";
    values.name = "fArray";
    values.title = "[fN] Array of fN values";
    values.type_name = pointer_type;
    values.type = 48;
    info.elements.push_back(values);
    return streamerChecksum(info);
}

std::string cString(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7F) {
            out += fmt::format("\\{:03o}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) fail("usage: gen_known_streamers <testdata dir> <output .cpp>");
    const std::string dir = argv[1];
    std::vector<Entry> entries;
    std::map<std::string, std::unique_ptr<RootFile>> files;
    auto open = [&](const std::string& name) -> const RootFile& {
        auto& file = files[name];
        if (!file) file = RootFile::open(dir + "/" + name);
        return *file;
    };
    try {
        for (const Source& source : kSources) {
            const auto& infos = open(source.file).streamerInfos();
            for (const char* name : source.classes) {
                const StreamerInfo* info = infos.find(name);
                if (!info) fail(fmt::format("{} has no streamer info for {}", source.file, name));
                if (!kChecksumNotReproducible.contains(name) &&
                    streamerChecksum(*info) != info->checksum)
                    fail(fmt::format("checksum of {} from {}: file 0x{:08X}, computed 0x{:08X}",
                                     name, source.file, info->checksum, streamerChecksum(*info)));
                entries.push_back({std::make_shared<StreamerInfo>(*info), source.file});
            }
        }

        // TH1 v8 = TH1 v7 (ROOT 6.08.04) + the enum member fStatOverflows, added in ROOT 6.16.
        const auto& histograms = open("uproot-histograms.root").streamerInfos();
        const StreamerInfo* th1_v7 = histograms.find("TH1", 7);
        const StreamerInfo* th1f_v2 = histograms.find("TH1F", 2);
        if (!th1_v7 || !th1f_v2) fail("uproot-histograms.root lacks TH1 v7 or TH1F v2");
        if (streamerChecksum(*th1_v7) != th1_v7->checksum ||
            streamerChecksum(*th1f_v2) != th1f_v2->checksum)
            fail("TH1 v7 / TH1F v2 checksums not reproduced");
        auto th1 = std::make_shared<StreamerInfo>(*th1_v7);
        th1->class_version = 8;
        StreamerElement overflows;
        overflows.element_class = "TStreamerBasicType";
        overflows.name = "fStatOverflows";
        overflows.title = "per object flag to use under/overflows in statistics";
        overflows.type_name = "TH1::EStatOverflows";
        overflows.type = 3;
        overflows.size = 4;
        overflows.element_version = 4;
        th1->elements.push_back(overflows);
        th1->checksum = streamerChecksum(*th1);
        if (th1->checksum != kRootTH1v8Checksum)
            fail(fmt::format("TH1 v8 checksum 0x{:08X}, ROOT has 0x{:08X}", th1->checksum,
                             kRootTH1v8Checksum));

        // TArrayD's checksum: the same construction must give TArrayF's checksum, which ROOT
        // stored in the TArrayF base element of TH1F v2.
        const StreamerElement* arrayf_base = th1f_v2->findElement("TArrayF");
        if (!arrayf_base || arrayChecksum("TArrayF", "float*") !=
                                static_cast<std::uint32_t>(arrayf_base->max_index[1]))
            fail("TArrayF checksum not reproduced");
        const std::uint32_t arrayd = arrayChecksum("TArrayD", "double*");

        // TH1F v3 (ROOT's published checksum) checks the base-class construction; TH1D v3 is
        // the same with TArrayD.
        auto histogram = [&](const std::string& name, const std::string& array,
                             const std::string& array_title, std::uint32_t array_checksum) {
            auto info = std::make_shared<StreamerInfo>();
            info->class_name = "TStreamerInfo";
            info->name = name;
            info->class_version = 3;
            const StreamerElement* th1_base = th1f_v2->findElement("TH1");
            info->elements.push_back(baseElement("TH1", th1_base->title, th1->checksum, 8));
            info->elements.push_back(baseElement(array, array_title, array_checksum, 1));
            info->checksum = streamerChecksum(*info);
            return info;
        };
        const auto th1f = histogram("TH1F", "TArrayF", arrayf_base->title,
                                    static_cast<std::uint32_t>(arrayf_base->max_index[1]));
        if (th1f->checksum != kRootTH1Fv3Checksum) fail("TH1F v3 checksum not reproduced");
        const auto th1d = histogram("TH1D", "TArrayD", "Array of doubles", arrayd);
        if (th1d->checksum != kRootTH1Dv3Checksum)
            fail(fmt::format("TH1D v3 checksum 0x{:08X}, ROOT has 0x{:08X}", th1d->checksum,
                             kRootTH1Dv3Checksum));
        entries.push_back(
            {th1, "derived: TH1 v7 of uproot-histograms.root + fStatOverflows; checksum = ROOT's"});
        entries.push_back(
            {th1d,
             "derived: TH1F v2 of uproot-histograms.root with TH1 v8 and TArrayD bases; "
             "checksum = ROOT's"});
    } catch (const hepflow::Error& error) {
        fail(error.what());
    }

    std::ostringstream elements;
    std::ostringstream infos;
    std::size_t first = 0;
    for (const Entry& entry : entries) {
        const StreamerInfo& info = *entry.info;
        infos << fmt::format("    {{{}, {}, 0x{:08X}, {}, {}, {}}},\n", cString(info.name),
                             cString(entry.source), info.checksum, info.class_version, first,
                             info.elements.size());
        for (const StreamerElement& e : info.elements) {
            if (e.element_version != 4 || e.nbits != 0)
                fail(fmt::format("{}::{}: element version {} or range not supported by the table",
                                 info.name, e.name, e.element_version));
            elements << fmt::format(
                "    {{{}, {}, {},\n     {}, {}, {}, {}, {}, {{{}, {}, {}, {}, {}}}, {}, {}, {}, "
                "{}, {}, {}}},\n",
                cString(e.element_class), cString(e.name), cString(e.title), cString(e.type_name),
                e.type, e.size, e.array_length, e.array_dim, e.max_index[0], e.max_index[1],
                e.max_index[2], e.max_index[3], e.max_index[4], e.base_version,
                cString(e.count_name), cString(e.count_class), e.count_version, e.stl_type,
                e.ctype);
        }
        first += info.elements.size();
    }

    std::ostringstream sources;
    for (const Source& source : kSources) {
        sources << "//   " << source.file << ":";
        std::size_t width = 6 + std::string(source.file).size();
        for (const char* name : source.classes) {
            const std::string word = fmt::format(" {}", name);
            if (width + word.size() > 99) {
                sources << "\n//    ";
                width = 6;
            }
            sources << word;
            width += word.size();
        }
        sources << "\n";
    }
    sources << "//   derived (see the generator): TH1 v8, TH1D v3\n";

    std::ofstream out(argv[2]);
    out << "// GENERATED by tools/gen_known_streamers.cpp from the ROOT-written files in tests/data"
           " - do not\n"
           "// edit. The TStreamerInfo of each class hepflow writes, with ROOT 6's class versions"
           " and\n"
           "// checksums (ROOT-FORMAT.md 6.1, 9.3); each row also names the file it was read "
           "from:\n"
        << sources.str()
        << "#include \"root/writer/streamer_registry.h\"\n\n"
           "// clang-format off\n"
           "namespace hepflow::root::detail {\n\n"
           "namespace {\n\n"
           "// element_class, name, title, type_name, type, size, array_length, array_dim,"
           " max_index,\n"
           "// base_version, count_name, count_class, count_version, stl_type, ctype\n"
           "const KnownElement kElements[] = {\n"
        << elements.str()
        << "};\n\n"
           "// name, source, checksum, class_version, first_element, element_count\n"
           "const KnownInfo kInfos[] = {\n"
        << infos.str()
        << "};\n\n"
           "}  // namespace\n\n"
           "std::span<const KnownInfo> knownStreamerTable() { return kInfos; }\n"
           "std::span<const KnownElement> knownStreamerElements() { return kElements; }\n\n"
           "}  // namespace hepflow::root::detail\n"
           "// clang-format on\n";
    if (!out) fail(fmt::format("cannot write {}", argv[2]));
    return 0;
}
