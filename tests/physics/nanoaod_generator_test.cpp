// Tests of the NanoAOD-like generator and `hepflow generate`: chunks reproducible and prefix-
// stable, files byte-identical for a seed on 1 or 2 threads, the CMS schema as hepflow's reader
// sees it, and the physics read back from a written file: the Z peak in DY -> mu mu, W's
// Jacobian peak and MET, the top mass in three jets, b tagging, QCD's falling spectrum,
// isolation, acceptance, pT ordering and the trigger.
#include "physics/nanoaod_generator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "commands.h"
#include "common/error.h"
#include "harness.h"
#include "physics/four_vector.h"
#include "physics/nanoaod_sample.h"
#include "root/root_file.h"
#include "root/tree/tree.h"

namespace hepflow::physics {
namespace {

using frame::Column;
using frame::DType;

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

bool sameColumns(const frame::ColumnBatch& a, const frame::ColumnBatch& b) {
    if (a.columns.size() != b.columns.size()) return false;
    for (std::size_t i = 0; i < a.columns.size(); ++i) {
        const auto& [name_a, col_a] = a.columns[i];
        const auto& [name_b, col_b] = b.columns[i];
        if (name_a != name_b || col_a.bytes() != col_b.bytes() || col_a.levels() != col_b.levels())
            return false;
        for (std::size_t level = 0; level < col_a.levels(); ++level)
            if (col_a.offsets(level) != col_b.offsets(level)) return false;
    }
    return true;
}

NanoAodGeneratorOptions withSeed(std::uint64_t seed) {
    NanoAodGeneratorOptions options;
    options.seed = seed;
    return options;
}

NanoAodGeneratorOptions withFractions(double drell_yan, double w, double ttbar, double qcd) {
    NanoAodGeneratorOptions options;
    options.fractions = {drell_yan, w, ttbar, qcd};
    return options;
}

// ---------------------------------------------------------------- chunks

TEST(NanoAodGenerator, ChunksAreReproducibleAndDependOnTheSeed) {
    const NanoAodGenerator generator(withSeed(11));
    const auto a = generator.generateChunk(3, 500);
    const auto b = generator.generateChunk(3, 500);
    EXPECT_TRUE(sameColumns(a, b));
    EXPECT_EQ(a.first_entry, 3 * kNanoAodChunkEvents);
    EXPECT_EQ(a.num_entries, 500);
    EXPECT_FALSE(sameColumns(a, generator.generateChunk(4, 500)));
    EXPECT_FALSE(sameColumns(a, NanoAodGenerator(withSeed(12)).generateChunk(3, 500)));
}

// A short chunk is the start of the full one: N events are a prefix of any larger sample.
TEST(NanoAodGenerator, ShortChunkIsAPrefixOfTheFullChunk) {
    const NanoAodGenerator generator(withSeed(5));
    const auto full = generator.generateChunk(0, kNanoAodChunkEvents);
    const auto part = generator.generateChunk(0, 100);
    for (std::size_t i = 0; i < full.columns.size(); ++i) {
        const auto& [name, whole] = full.columns[i];
        const auto& prefix = part.columns[i].second;
        SCOPED_TRACE(name);
        std::size_t values = prefix.numValues();
        if (whole.levels() == 1) {
            ASSERT_EQ(prefix.offsets(0).size(), 101u);
            EXPECT_TRUE(std::equal(prefix.offsets(0).begin(), prefix.offsets(0).end(),
                                   whole.offsets(0).begin()));
            values = static_cast<std::size_t>(prefix.offsets(0).back());
        } else {
            EXPECT_EQ(values, 100u);
        }
        const std::size_t bytes = values * frame::dtypeSize(whole.dtype());
        ASSERT_EQ(prefix.bytes().size(), bytes);
        EXPECT_TRUE(
            std::equal(prefix.bytes().begin(), prefix.bytes().end(), whole.bytes().begin()));
    }
}

TEST(NanoAodGenerator, RejectsBadArguments) {
    const NanoAodGenerator generator({});
    EXPECT_THROW(generator.generateChunk(0, 0), UsageError);
    EXPECT_THROW(generator.generateChunk(0, kNanoAodChunkEvents + 1), UsageError);
    EXPECT_THROW(generator.generateChunk(-1, 10), UsageError);
    EXPECT_THROW(NanoAodGenerator(withFractions(-0.1, 1, 1, 1)), UsageError);
    EXPECT_THROW(NanoAodGenerator(withFractions(0, 0, 0, 0)), UsageError);
    EXPECT_THROW(NanoAodGenerator(withFractions(NAN, 1, 1, 1)), UsageError);
    NanoAodSampleOptions options;
    options.events = -1;
    EXPECT_THROW(writeNanoAodSample("/tmp/never-written.root", options), UsageError);
}

TEST(NanoAodGenerator, OneProcessOnlyWhenTheOthersAreZero) {
    auto options = withFractions(0, 0, 1, 0);
    options.process_branch = true;
    const NanoAodGenerator generator(options);
    const auto batch = generator.generateChunk(0, 1000);
    const auto* process = batch.find("Generator_process");
    ASSERT_NE(process, nullptr);
    for (const auto p : process->values<std::int32_t>()) ASSERT_EQ(p, 3);
}

// ---------------------------------------------------------------- files

class GeneratedFile : public ::testing::Test {
protected:
    // Writes `folder`/sample.root: the file name is also the top directory's name, which
    // seeds the reproducible UUIDs, so files to compare must share it.
    std::string write(const std::string& folder, std::int64_t events, std::uint64_t seed,
                      int threads) {
        const tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                        static_cast<std::size_t>(threads));
        NanoAodSampleOptions options;
        options.events = events;
        options.generator.seed = seed;
        std::filesystem::create_directories(dir_.file(folder));
        const std::string path = dir_.file(folder) + "/sample.root";
        const auto report = writeNanoAodSample(path, options);
        EXPECT_EQ(report.events, events);
        EXPECT_EQ(report.file_bytes, std::filesystem::file_size(path));
        return path;
    }
    jsroot::ScratchDir dir_;
};

TEST_F(GeneratedFile, SameSeedGivesTheSameBytesWhateverTheThreads) {
    // Three full chunks and a partial one, so that several groups and batches are written.
    constexpr std::int64_t kEvents = 3 * kNanoAodChunkEvents + 1234;
    const auto one = readAll(write("one", kEvents, 9, 1));
    const auto two = readAll(write("two", kEvents, 9, 2));
    const auto again = readAll(write("again", kEvents, 9, 2));
    ASSERT_GT(one.size(), 100000u);
    EXPECT_TRUE(one == two) << "1 and 2 threads differ";
    EXPECT_TRUE(two == again);
    const auto other = readAll(write("other", kEvents, 10, 2));
    EXPECT_FALSE(one == other) << "seeds 9 and 10 gave the same file";
    // Nothing but the outputs is left (no temporary files).
    for (const auto* folder : {"one", "two", "again", "other"})
        EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.file(folder)),
                                std::filesystem::directory_iterator()),
                  1)
            << folder;
}

TEST_F(GeneratedFile, ZeroEventsGiveAnEmptyTree) {
    const std::string path = write("empty", 0, 1, 2);
    const auto file = root::RootFile::open(path);
    const auto tree = root::Tree::open(*file, "Events");
    EXPECT_EQ(tree->numEntries(), 0);
}

// The branches as CMS NanoAOD types them: leaf class, signedness and counter.
TEST_F(GeneratedFile, SchemaAsTheReaderSeesIt) {
    const std::string path = write("schema", 1000, 3, 2);
    const auto file = root::RootFile::open(path);
    const auto tree = root::Tree::open(*file, "Events");
    EXPECT_EQ(tree->numEntries(), 1000);
    EXPECT_EQ(tree->title(), "Events");

    struct Expected {
        std::string name;
        std::string leaf;  // leaf class
        bool is_unsigned = false;
        std::string counter;
    };
    std::vector<Expected> expected = {
        {"run", "TLeafI", true, ""},      {"luminosityBlock", "TLeafI", true, ""},
        {"event", "TLeafL", true, ""},    {"HLT_IsoMu24", "TLeafO", false, ""},
        {"PV_npvs", "TLeafI", false, ""}, {"MET_pt", "TLeafF", false, ""},
        {"MET_phi", "TLeafF", false, ""}, {"MET_sumet", "TLeafF", false, ""},
    };
    const auto collection = [&](const std::string& name,
                                const std::vector<std::pair<std::string, std::string>>& fields) {
        expected.push_back({"n" + name, "TLeafI", true, ""});
        for (const auto& [field, leaf] : fields)
            expected.push_back({name + "_" + field, leaf, false, "n" + name});
    };
    const std::vector<std::pair<std::string, std::string>> lepton = {{"pt", "TLeafF"},
                                                                     {"eta", "TLeafF"},
                                                                     {"phi", "TLeafF"},
                                                                     {"mass", "TLeafF"},
                                                                     {"charge", "TLeafI"},
                                                                     {"pfRelIso03_all", "TLeafF"},
                                                                     {"pfRelIso04_all", "TLeafF"},
                                                                     {"tightId", "TLeafO"},
                                                                     {"softId", "TLeafO"},
                                                                     {"dxy", "TLeafF"},
                                                                     {"dz", "TLeafF"}};
    collection("Muon", lepton);
    auto electron = lepton;
    electron.emplace_back("cutBasedId", "TLeafI");
    collection("Electron", electron);
    collection("Tau", {{"pt", "TLeafF"},
                       {"eta", "TLeafF"},
                       {"phi", "TLeafF"},
                       {"mass", "TLeafF"},
                       {"charge", "TLeafI"},
                       {"decayMode", "TLeafI"},
                       {"relIso_all", "TLeafF"}});
    collection("Photon", {{"pt", "TLeafF"},
                          {"eta", "TLeafF"},
                          {"phi", "TLeafF"},
                          {"mass", "TLeafF"},
                          {"pfRelIso03_all", "TLeafF"}});
    collection("Jet", {{"pt", "TLeafF"},
                       {"eta", "TLeafF"},
                       {"phi", "TLeafF"},
                       {"mass", "TLeafF"},
                       {"btag", "TLeafF"},
                       {"puId", "TLeafI"}});

    const auto& branches = tree->branches();
    ASSERT_EQ(branches.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& branch = *branches[i];
        SCOPED_TRACE(expected[i].name);
        EXPECT_EQ(branch.fName, expected[i].name);
        ASSERT_EQ(branch.fLeaves.size(), 1u);
        const auto& leaf = *branch.fLeaves[0];
        EXPECT_EQ(leaf.class_name, expected[i].leaf);
        EXPECT_EQ(leaf.fIsUnsigned, expected[i].is_unsigned);
        if (expected[i].counter.empty())
            EXPECT_EQ(leaf.fLeafCount, nullptr);
        else if (leaf.fLeafCount == nullptr)
            ADD_FAILURE() << "no counter";
        else
            EXPECT_EQ(leaf.fLeafCount->fName, expected[i].counter);
    }
}

// ---------------------------------------------------------------- physics, read back

// A mixed sample with truth labels, written once and read back through hepflow's reader.
class Physics : public ::testing::Test {
protected:
    static constexpr std::int64_t kEvents = 60000;

    static void SetUpTestSuite() {
        dir_ = new jsroot::ScratchDir();
        NanoAodSampleOptions options;
        options.events = kEvents;
        options.generator.seed = 2012;
        options.generator.process_branch = true;
        const std::string path = dir_->file("physics.root");
        writeNanoAodSample(path, options);
        const auto file = root::RootFile::open(path);
        const auto tree = root::Tree::open(*file, "Events");
        columns_ = new std::map<std::string, Column>();
        std::vector<const root::TBranch*> branches(tree->branches().begin(),
                                                   tree->branches().end());
        auto read = tree->readBranches(branches);
        for (std::size_t i = 0; i < branches.size(); ++i)
            columns_->emplace(branches[i]->fName, std::move(read[i]));
    }
    static void TearDownTestSuite() {
        delete columns_;
        delete dir_;
    }

    static const Column& column(const std::string& name) { return columns_->at(name); }
    template <class T>
    static std::span<const T> values(const std::string& name) {
        return column(name).values<T>();
    }
    // Offsets of a collection's arrays (taken from its pt).
    static const frame::Offsets& offsets(const std::string& collection) {
        return column(collection + "_pt").offsets(0);
    }
    static Process process(std::int64_t entry) {
        return static_cast<Process>(values<std::int32_t>("Generator_process")[entry]);
    }
    static FourVector p4(const std::string& collection, std::int64_t item, double mass) {
        return FourVector::fromPtEtaPhiM(values<float>(collection + "_pt")[item],
                                         values<float>(collection + "_eta")[item],
                                         values<float>(collection + "_phi")[item], mass);
    }

    static jsroot::ScratchDir* dir_;
    static std::map<std::string, Column>* columns_;
};
jsroot::ScratchDir* Physics::dir_ = nullptr;
std::map<std::string, Column>* Physics::columns_ = nullptr;

// A histogram's fullest bin, as its centre.
double peak(const std::vector<double>& xs, double lo, double hi, double bin) {
    std::vector<int> counts(static_cast<std::size_t>((hi - lo) / bin), 0);
    for (const double x : xs)
        if (x >= lo && x < hi) ++counts[static_cast<std::size_t>((x - lo) / bin)];
    const auto top = std::max_element(counts.begin(), counts.end()) - counts.begin();
    return lo + (static_cast<double>(top) + 0.5) * bin;
}

double mean(const std::vector<double>& xs) {
    double sum = 0;
    for (const double x : xs) sum += x;
    return xs.empty() ? NAN : sum / static_cast<double>(xs.size());
}

double median(std::vector<double> xs) {
    if (xs.empty()) return NAN;
    std::nth_element(xs.begin(), xs.begin() + xs.size() / 2, xs.end());
    return xs[xs.size() / 2];
}

TEST_F(Physics, ProcessFractionsAreTheDefaults) {
    std::map<std::int32_t, double> counts;
    for (const auto p : values<std::int32_t>("Generator_process")) counts[p] += 1;
    const double n = kEvents;
    // 3 sigma of a binomial at these fractions is below 0.006.
    EXPECT_NEAR(counts[1] / n, 0.25, 0.01);
    EXPECT_NEAR(counts[2] / n, 0.25, 0.01);
    EXPECT_NEAR(counts[3] / n, 0.15, 0.01);
    EXPECT_NEAR(counts[4] / n, 0.35, 0.01);
}

TEST_F(Physics, EventNumbersAndVertices) {
    const auto event = values<std::uint64_t>("event");
    const auto run = values<std::uint32_t>("run");
    const auto lumi = values<std::uint32_t>("luminosityBlock");
    const auto vertices = values<std::int32_t>("PV_npvs");
    ASSERT_EQ(event.size(), static_cast<std::size_t>(kEvents));
    double sum_vertices = 0;
    for (std::int64_t i = 0; i < kEvents; ++i) {
        ASSERT_EQ(event[i], static_cast<std::uint64_t>(i + 1));
        ASSERT_EQ(run[i], 194108u);
        ASSERT_EQ(lumi[i], static_cast<std::uint32_t>(1 + i / 1500));
        ASSERT_GE(vertices[i], 1);
        sum_vertices += vertices[i];
    }
    // 2012 pileup: ~21 interactions, ~70% reconstructed, plus the hard one.
    EXPECT_NEAR(sum_vertices / kEvents, 1 + 0.7 * 21, 0.3);
}

TEST_F(Physics, CountersMatchArraysAndObjectsAreSortedAndAccepted) {
    struct Acceptance {
        std::string collection;
        double eta_max, pt_min;
    };
    const Acceptance collections[] = {{"Muon", 2.4, 3.0},
                                      {"Electron", 2.5, 5.0},
                                      {"Tau", 2.3, 18.0},
                                      {"Photon", 2.5, 5.0},
                                      {"Jet", 4.7, 15.0}};
    for (const auto& c : collections) {
        SCOPED_TRACE(c.collection);
        const auto counts = values<std::uint32_t>("n" + c.collection);
        const auto& off = offsets(c.collection);
        const auto pt = values<float>(c.collection + "_pt");
        const auto eta = values<float>(c.collection + "_eta");
        const auto phi = values<float>(c.collection + "_phi");
        ASSERT_EQ(off.size(), static_cast<std::size_t>(kEvents) + 1);
        std::int64_t total = 0;
        for (std::int64_t i = 0; i < kEvents; ++i) {
            ASSERT_EQ(counts[i], off[i + 1] - off[i]) << "entry " << i;
            total += counts[i];
            for (auto j = off[i]; j + 1 < off[i + 1]; ++j)
                ASSERT_GE(pt[j], pt[j + 1]) << "entry " << i << " not sorted by pT";
        }
        EXPECT_GT(total, kEvents / 100) << "collection nearly empty";
        for (std::size_t j = 0; j < pt.size(); ++j) {
            ASSERT_LE(std::abs(eta[j]), c.eta_max);
            ASSERT_GE(pt[j], c.pt_min);
            ASSERT_LE(std::abs(phi[j]), std::numbers::pi + 1e-6);
        }
        // Every array of the collection has the same offsets.
        for (const auto& [name, col] : *columns_)
            if (name.rfind(c.collection + "_", 0) == 0) {
                ASSERT_EQ(col.offsets(0), off) << name;
            }
    }
}

// Opposite-sign isolated dimuons of Drell-Yan events: the Z peak.
TEST_F(Physics, DimuonMassPeaksAtTheZ) {
    const auto& off = offsets("Muon");
    const auto pt = values<float>("Muon_pt");
    const auto charge = values<std::int32_t>("Muon_charge");
    const auto iso = values<float>("Muon_pfRelIso04_all");
    std::vector<double> masses;
    for (std::int64_t i = 0; i < kEvents; ++i) {
        if (process(i) != Process::DrellYan || off[i + 1] - off[i] < 2) continue;
        const auto a = off[i], b = off[i] + 1;
        if (charge[a] == charge[b] || pt[b] < 20 || iso[a] > 0.15 || iso[b] > 0.15) continue;
        masses.push_back((p4("Muon", a, 0.105658) + p4("Muon", b, 0.105658)).mass());
    }
    ASSERT_GT(masses.size(), 1500u);
    EXPECT_NEAR(peak(masses, 60.0, 120.0, 1.0), 91.19, 2.0);
    std::vector<double> window;
    for (const double m : masses)
        if (std::abs(m - 91.19) < 10) window.push_back(m);
    EXPECT_NEAR(median(window), 91.19, 1.0);
    // The resonance dominates: most pairs sit within 10 GeV of it.
    EXPECT_GT(static_cast<double>(window.size()) / masses.size(), 0.8);
}

TEST_F(Physics, WEventsHaveMoreMetAndAJacobianPeak) {
    const auto met = values<float>("MET_pt");
    const auto met_phi = values<float>("MET_phi");
    std::vector<double> met_w, met_dy, met_qcd, mt;
    const auto& off = offsets("Muon");
    const auto pt = values<float>("Muon_pt");
    const auto phi = values<float>("Muon_phi");
    const auto iso = values<float>("Muon_pfRelIso04_all");
    for (std::int64_t i = 0; i < kEvents; ++i) {
        switch (process(i)) {
            case Process::W: met_w.push_back(met[i]); break;
            case Process::DrellYan: met_dy.push_back(met[i]); break;
            case Process::Qcd: met_qcd.push_back(met[i]); break;
            default: break;
        }
        if (process(i) != Process::W || off[i + 1] == off[i]) continue;
        const auto m = off[i];
        if (pt[m] < 25 || iso[m] > 0.15) continue;
        mt.push_back(std::sqrt(2.0 * pt[m] * met[i] * (1 - std::cos(phi[m] - met_phi[i]))));
    }
    EXPECT_GT(mean(met_w), mean(met_dy) + 5.0);
    EXPECT_GT(mean(met_w), mean(met_qcd) + 5.0);
    ASSERT_GT(mt.size(), 1000u);
    // The transverse mass piles up below m_W (resolution smears the edge).
    const double mt_peak = peak(mt, 0.0, 150.0, 5.0);
    EXPECT_GE(mt_peak, 60.0);
    EXPECT_LE(mt_peak, 85.0);
}

// t -> b q q': among central jets, one b-tagged jet plus the untagged pair closest to m_W.
TEST_F(Physics, ThreeJetMassPeaksAtTheTopAndBJetsAreTagged) {
    const auto& off = offsets("Jet");
    const auto pt = values<float>("Jet_pt");
    const auto eta = values<float>("Jet_eta");
    const auto btag = values<float>("Jet_btag");
    const auto mass = values<float>("Jet_mass");
    std::vector<double> m3, top_two_tags, other_tags, qcd_tags;
    std::int64_t tt_events = 0, tt_tagged = 0;
    for (std::int64_t i = 0; i < kEvents; ++i) {
        std::vector<std::int64_t> central;
        for (auto j = off[i]; j < off[i + 1]; ++j)
            if (pt[j] > 25 && std::abs(eta[j]) < 2.4) central.push_back(j);
        if (process(i) == Process::Qcd)
            for (const auto j : central) qcd_tags.push_back(btag[j]);
        if (process(i) != Process::TTbar) continue;
        ++tt_events;
        std::sort(central.begin(), central.end(),
                  [&](std::int64_t a, std::int64_t b) { return btag[a] > btag[b]; });
        for (std::size_t k = 0; k < central.size(); ++k)
            (k < 2 ? top_two_tags : other_tags).push_back(btag[central[k]]);
        if (!central.empty() && btag[central[0]] > 0.7) ++tt_tagged;
        if (central.size() < 3 || btag[central[0]] < 0.7) continue;
        const auto jet = [&](std::int64_t j) { return p4("Jet", j, mass[j]); };
        double best = 1e9;
        FourVector w;
        for (std::size_t a = 1; a < central.size(); ++a)
            for (std::size_t b = a + 1; b < central.size(); ++b) {
                if (btag[central[a]] > 0.7 || btag[central[b]] > 0.7) continue;
                const auto pair = jet(central[a]) + jet(central[b]);
                if (std::abs(pair.mass() - 80.4) < best) {
                    best = std::abs(pair.mass() - 80.4);
                    w = pair;
                }
            }
        if (best < 15) m3.push_back((w + jet(central[0])).mass());
    }
    ASSERT_GT(m3.size(), 800u);
    EXPECT_NEAR(peak(m3, 100.0, 300.0, 10.0), 172.5, 10.0);
    // The two most b-like jets of ttbar events are tagged; the rest, and QCD jets, are not.
    EXPECT_GT(mean(top_two_tags), 0.5);
    EXPECT_LT(mean(other_tags), 0.2);
    EXPECT_LT(mean(qcd_tags), 0.15);
    EXPECT_GT(static_cast<double>(tt_tagged) / tt_events, 0.7);
}

TEST_F(Physics, QcdSpectrumFallsSteeplyWithFewIsolatedLeptons) {
    const auto& off = offsets("Jet");
    const auto pt = values<float>("Jet_pt");
    const auto& mu_off = offsets("Muon");
    const auto mu_pt = values<float>("Muon_pt");
    const auto mu_iso = values<float>("Muon_pfRelIso04_all");
    std::int64_t above30 = 0, above60 = 0, above120 = 0, qcd = 0, qcd_isolated = 0, dy = 0,
                 dy_isolated = 0;
    std::vector<double> qcd_iso, dy_iso;
    for (std::int64_t i = 0; i < kEvents; ++i) {
        const Process p = process(i);
        if (p != Process::Qcd && p != Process::DrellYan) continue;
        bool isolated = false;
        for (auto m = mu_off[i]; m < mu_off[i + 1]; ++m) {
            (p == Process::Qcd ? qcd_iso : dy_iso).push_back(mu_iso[m]);
            isolated |= mu_pt[m] > 20 && mu_iso[m] < 0.15;
        }
        if (p == Process::DrellYan) {
            ++dy;
            dy_isolated += isolated;
            continue;
        }
        ++qcd;
        qcd_isolated += isolated;
        if (off[i + 1] == off[i]) continue;
        const double lead = pt[off[i]];
        above30 += lead > 30;
        above60 += lead > 60;
        above120 += lead > 120;
    }
    // A pT^-5 spectrum: each doubling keeps well under a quarter.
    ASSERT_GT(above30, 1000);
    EXPECT_LT(static_cast<double>(above60) / above30, 0.25);
    EXPECT_LT(static_cast<double>(above120) / above60, 0.25);
    EXPECT_GT(above120, 0);
    EXPECT_LT(static_cast<double>(qcd_isolated) / qcd, 0.005);
    EXPECT_GT(static_cast<double>(dy_isolated) / dy, 0.25);
    // Prompt muons are isolated, muons inside jets are not.
    EXPECT_LT(median(dy_iso), 0.1);
    EXPECT_GT(median(qcd_iso), 0.3);
}

TEST_F(Physics, TriggerFiresOnIsolatedMuonsAboveThreshold) {
    const auto trigger = column("HLT_IsoMu24").bytes();
    const auto& off = offsets("Muon");
    const auto pt = values<float>("Muon_pt");
    const auto iso = values<float>("Muon_pfRelIso04_all");
    std::int64_t candidates = 0, fired_candidates = 0, fired = 0;
    for (std::int64_t i = 0; i < kEvents; ++i) {
        const bool on = trigger[i] != std::byte{0};
        fired += on;
        double best = 0;  // highest pT of an isolated muon
        for (auto m = off[i]; m < off[i + 1]; ++m)
            if (iso[m] < 0.2) best = std::max<double>(best, pt[m]);
        // Online pT resolution lets a muon a little under 24 GeV fire it; never far below.
        if (on) {
            ASSERT_GT(best, 22.0) << "entry " << i;
        }
        if (best > 30 && iso[off[i]] < 0.1) {
            ++candidates;
            fired_candidates += on;
        }
    }
    ASSERT_GT(candidates, 1000);
    const double efficiency = static_cast<double>(fired_candidates) / candidates;
    EXPECT_GT(efficiency, 0.85);
    EXPECT_LT(efficiency, 0.99);
    EXPECT_GT(fired, kEvents / 20);
}

TEST_F(Physics, MetAndSumEtArePhysical) {
    const auto met = values<float>("MET_pt");
    const auto phi = values<float>("MET_phi");
    const auto sumet = values<float>("MET_sumet");
    const auto& jet_off = offsets("Jet");
    const auto jet_pt = values<float>("Jet_pt");
    for (std::int64_t i = 0; i < kEvents; ++i) {
        ASSERT_GE(met[i], 0.0f);
        ASSERT_LE(std::abs(phi[i]), std::numbers::pi + 1e-6);
        // sumet holds every jet's pT and more (soft terms and leptons).
        double jets = 0;
        for (auto j = jet_off[i]; j < jet_off[i + 1]; ++j) jets += jet_pt[j];
        ASSERT_GE(sumet[i] + 1e-3, jets) << "entry " << i;
    }
}

// ---------------------------------------------------------------- the command

TEST(GenerateCommand, WritesTheFileAndOneSummaryLine) {
    jsroot::ScratchDir dir;
    cli::GenerateOptions options;
    options.events = 5000;
    options.seed = 4;
    options.output = dir.file("cli.root");
    options.compression = "lz4";
    std::ostringstream out, err;
    cli::runGenerate(options, out, err);
    const std::string line = out.str();
    EXPECT_NE(line.find("generated 5000 nanoaod events (seed 4)"), std::string::npos) << line;
    EXPECT_NE(line.find("LZ4(4)"), std::string::npos) << line;
    EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
    EXPECT_TRUE(err.str().empty());
    const auto file = root::RootFile::open(options.output);
    EXPECT_EQ(root::Tree::open(*file, "Events")->numEntries(), 5000);

    // The same sample from the library (same file name: it is the top directory's name and
    // seeds the reproducible UUIDs): the CLI adds nothing to the bytes.
    jsroot::ScratchDir other;
    NanoAodSampleOptions library;
    library.events = 5000;
    library.generator.seed = 4;
    library.compression = {root::CompressionAlgorithm::Lz4, 4};
    writeNanoAodSample(other.file("cli.root"), library);
    EXPECT_TRUE(readAll(options.output) == readAll(other.file("cli.root")));
}

TEST(GenerateCommand, RejectsBadOptions) {
    jsroot::ScratchDir dir;
    std::ostringstream out, err;
    cli::GenerateOptions options;
    options.output = dir.file("bad.root");
    options.compression = "gzip";
    EXPECT_THROW(cli::runGenerate(options, out, err), UsageError);
    options.compression = "zstd";
    options.events = 0;
    EXPECT_THROW(cli::runGenerate(options, out, err), UsageError);
    options.events = 10;
    options.kind = "delphes";
    EXPECT_THROW(cli::runGenerate(options, out, err), UsageError);
    EXPECT_TRUE(dir.contents().empty());
}

}  // namespace
}  // namespace hepflow::physics
