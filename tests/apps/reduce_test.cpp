// `hepflow reduce` in-process through runCli, as a user types it: both examples on a generated
// NanoAOD sample, with cut-flows, outputs and histograms checked against loops over the
// decoded input; identical files for 1 and 2 threads; several inputs; the JSON report; and the
// error paths (bad key with its line, unknown column with a suggestion, missing input), which
// must leave no output behind.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "frame/columns/column.h"
#include "harness.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "run_cli.h"

namespace hepflow {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kExamples = HEPFLOW_EXAMPLES_DIR;

using testing::CliResult;
using testing::runHepflow;

std::vector<char> bytesOf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string folderOf(const jsroot::ScratchDir& dir) {
    return fs::path(dir.file("x")).parent_path().string();
}

json readJson(const std::string& path) {
    std::ifstream in(path);
    return json::parse(in);
}

// One branch of a file as per-event lists of doubles (flat branches: one value per event).
using Rows = std::vector<std::vector<double>>;
Rows readRows(const root::Tree& tree, const std::string& name) {
    const auto* branch = tree.findBranch(name);
    if (branch == nullptr) throw std::runtime_error("no branch " + name);
    const frame::Column column = tree.readBranch(*branch);
    std::vector<double> values;
    switch (column.dtype()) {
        case frame::DType::Bool:
            for (const bool v : column.values<bool>()) values.push_back(v);
            break;
        case frame::DType::Int32:
            for (const auto v : column.values<std::int32_t>()) values.push_back(v);
            break;
        case frame::DType::UInt32:
            for (const auto v : column.values<std::uint32_t>()) values.push_back(v);
            break;
        case frame::DType::UInt64:
            for (const auto v : column.values<std::uint64_t>())
                values.push_back(static_cast<double>(v));
            break;
        case frame::DType::Float32:
            for (const auto v : column.values<float>()) values.push_back(v);
            break;
        case frame::DType::Float64:
            for (const auto v : column.values<double>()) values.push_back(v);
            break;
        default: throw std::runtime_error("unexpected type of " + name);
    }
    Rows rows;
    if (column.levels() == 0) {
        for (const double v : values) rows.push_back({v});
    } else {
        const auto& offsets = column.offsets(0);
        for (std::size_t i = 0; i + 1 < offsets.size(); ++i)
            rows.emplace_back(values.begin() + offsets[i], values.begin() + offsets[i + 1]);
    }
    return rows;
}

struct Lorentz {
    double px = 0, py = 0, pz = 0, e = 0;
    void add(double pt, double eta, double phi, double m) {
        const double x = pt * std::cos(phi), y = pt * std::sin(phi), z = pt * std::sinh(eta);
        px += x;
        py += y;
        pz += z;
        e += std::sqrt(x * x + y * y + z * z + m * m);
    }
    double mass() const { return std::sqrt(std::max(0.0, e * e - px * px - py * py - pz * pz)); }
};

double deltaR(double eta1, double phi1, double eta2, double phi2) {
    double dphi = std::remainder(phi1 - phi2, 2 * M_PI);
    return std::hypot(eta1 - eta2, dphi);
}

class Reduce : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        sample_dir_ = new jsroot::ScratchDir();
        sample_ = sample_dir_->file("nanoaod.root");
        const auto generated =
            runHepflow({"generate", "nanoaod", "--events", "20000", "--seed", "3", "-o", sample_});
        ASSERT_EQ(generated.status, 0) << generated.err;
    }
    static void TearDownTestSuite() { delete sample_dir_; }

    static jsroot::ScratchDir* sample_dir_;
    static std::string sample_;
};
jsroot::ScratchDir* Reduce::sample_dir_ = nullptr;
std::string Reduce::sample_;

TEST_F(Reduce, DimuonExampleMatchesHandLoops) {
    jsroot::ScratchDir dir;
    const auto run =
        runHepflow({"reduce", kExamples + "/dimuon.yaml", "-i", sample_, "--output-dir",
                    dir.file("out"), "--report", dir.file("report.json"), "--steps"});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_NE(run.out.find("cut flow:"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("steps (in the order they ran"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("GoodMuon (mask)"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("z_window"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("events/s"), std::string::npos) << run.out;

    // The selection by hand over the decoded input.
    const auto file = root::RootFile::open(sample_);
    const auto tree = root::Tree::open(*file, "Events");
    const auto trigger = readRows(*tree, "HLT_IsoMu24");
    const auto event = readRows(*tree, "event");
    const auto pt = readRows(*tree, "Muon_pt"), eta = readRows(*tree, "Muon_eta"),
               phi = readRows(*tree, "Muon_phi"), mass = readRows(*tree, "Muon_mass"),
               charge = readRows(*tree, "Muon_charge"), tight = readRows(*tree, "Muon_tightId"),
               iso = readRows(*tree, "Muon_pfRelIso04_all");
    std::int64_t n_trigger = 0, n_two_muons = 0, n_two = 0, n_window = 0;
    std::vector<double> events, masses;
    std::vector<std::size_t> exclusive;
    for (std::size_t i = 0; i < event.size(); ++i) {
        if (trigger[i][0] == 0) continue;
        ++n_trigger;
        n_two_muons += pt[i].size() >= 2 ? 1 : 0;
        std::vector<std::size_t> good;
        for (std::size_t k = 0; k < pt[i].size(); ++k)
            if (tight[i][k] != 0 && pt[i][k] > 20 && std::abs(eta[i][k]) < 2.4 && iso[i][k] < 0.25)
                good.push_back(k);
        if (good.size() < 2) continue;
        ++n_two;
        double best = NAN, best_distance = INFINITY;
        for (std::size_t a = 0; a < good.size(); ++a)
            for (std::size_t b = a + 1; b < good.size(); ++b) {
                if (charge[i][good[a]] == charge[i][good[b]]) continue;
                Lorentz sum;
                for (const auto k : {good[a], good[b]})
                    sum.add(pt[i][k], eta[i][k], phi[i][k], mass[i][k]);
                if (std::abs(sum.mass() - 91.19) < best_distance) {
                    best_distance = std::abs(sum.mass() - 91.19);
                    best = sum.mass();
                }
            }
        if (!(best > 60 && best < 120)) continue;
        ++n_window;
        events.push_back(event[i][0]);
        masses.push_back(best);
        if (good.size() == 2) exclusive.push_back(i);
    }
    ASSERT_GT(n_window, 0);

    const json report = readJson(dir.file("report.json"));
    EXPECT_EQ(report["events_in"], 20000);
    ASSERT_EQ(report["cutflow"].size(), 3u);
    EXPECT_EQ(report["cutflow"][0]["name"], "trigger");
    EXPECT_EQ(report["cutflow"][0]["passed"], n_trigger);
    EXPECT_EQ(report["cutflow"][1]["passed"], n_two);
    EXPECT_EQ(report["cutflow"][2]["passed"], n_window);
    EXPECT_DOUBLE_EQ(report["cutflow"][2]["cumulative_efficiency"].get<double>(),
                     static_cast<double>(n_window) / 20000);
    EXPECT_EQ(report["outputs"][0]["events"], n_window);
    EXPECT_EQ(report["outputs"][1]["events"], static_cast<std::int64_t>(exclusive.size()));
    EXPECT_GT(report["bytes_read"].get<std::int64_t>(), 0);
    // The profile, in the lazy order: each step saw the events that passed the filters before
    // it, and the first step read its column (the trigger bit).
    const json& steps = report["steps"];
    ASSERT_GT(steps.size(), 6u);
    EXPECT_EQ(steps[0]["name"], "trigger");
    EXPECT_EQ(steps[0]["kind"], "filter");
    EXPECT_EQ(steps[0]["events"], 20000);
    EXPECT_GT(steps[0]["read_seconds"].get<double>(), 0);
    const auto step = [&](const std::string& name) {
        for (const json& s : steps)
            if (s["name"] == name) return s;
        ADD_FAILURE() << "no step " << name;
        return json();
    };
    // nGoodMuon >= 2 needs two muons: the events with fewer are dropped before the good ones
    // are chosen, by a cut on the input's counter with no line of its own in the cut flow.
    const json implied = step("nMuon >= 2 (implied by two_good_muons)");
    EXPECT_EQ(implied["kind"], "filter");
    EXPECT_EQ(implied["events"], n_trigger);
    EXPECT_GT(implied["read_seconds"].get<double>(), 0);  // nMuon
    EXPECT_LT(n_two_muons, n_trigger);
    EXPECT_GT(n_two_muons, n_two);
    EXPECT_EQ(step("GoodMuon (mask)")["kind"], "objects");
    EXPECT_EQ(step("GoodMuon (mask)")["events"], n_two_muons);
    EXPECT_EQ(step("nGoodMuon")["events"], n_two_muons);
    EXPECT_EQ(step("two_good_muons")["events"], n_two_muons);
    EXPECT_EQ(step("Dimuon_mass")["kind"], "define");
    EXPECT_EQ(step("Dimuon_mass")["events"], n_two);
    EXPECT_EQ(step("z_window")["events"], n_two);
    EXPECT_EQ(steps.back()["name"], "(actions and outputs)");
    EXPECT_EQ(steps.back()["kind"], "outputs");
    EXPECT_EQ(steps.back()["events"], n_window);
    double evaluate = 0;
    for (const json& s : steps) {
        for (const char* seconds : {"read_seconds", "keep_rows_seconds", "evaluate_seconds"})
            EXPECT_GE(s[seconds].get<double>(), 0) << s;
        evaluate += s["evaluate_seconds"].get<double>();
    }
    EXPECT_LE(evaluate, report["stage_seconds"]["evaluate"].get<double>());
    EXPECT_GT(report["wall_seconds"].get<double>(), 0);
    const auto& histogram = report["histograms"][0];
    EXPECT_EQ(histogram["name"], "dimuon_mass");
    std::vector<double> expected_bins(62, 0);
    for (const double m : masses) expected_bins[1 + static_cast<int>((m - 60) / 1.0)] += 1;
    EXPECT_EQ(histogram["contents"].get<std::vector<double>>(), expected_bins);

    // The skim holds exactly those events, with the pair mass.
    const auto skim_file = root::RootFile::open(dir.file("out/dimuon_skim.root"));
    const auto skim = root::Tree::open(*skim_file, "Events");
    std::vector<double> skim_events;
    for (const auto& row : readRows(*skim, "event")) skim_events.push_back(row[0]);
    EXPECT_EQ(skim_events, events);
    const auto skim_mass = readRows(*skim, "Dimuon_mass");
    ASSERT_EQ(skim_mass.size(), masses.size());
    for (std::size_t i = 0; i < masses.size(); ++i)
        EXPECT_NEAR(skim_mass[i][0], masses[i], 1e-6 * masses[i]) << i;
    EXPECT_NE(skim->findBranch("GoodMuon_pt"), nullptr);
    EXPECT_NE(skim->findBranch("MET_pt"), nullptr);
    EXPECT_EQ(skim->findBranch("Muon_pt"), nullptr);
    // The histograms file holds both TH1Ds.
    const auto histograms = root::RootFile::open(dir.file("out/dimuon_histograms.root"));
    EXPECT_EQ(histograms->findKey("dimuon_mass").fClassName, "TH1D");
    EXPECT_EQ(histograms->findKey("good_muon_pt").fClassName, "TH1D");
}

TEST_F(Reduce, TtbarExampleMatchesHandLoops) {
    jsroot::ScratchDir dir;
    const auto run = runHepflow({"reduce", kExamples + "/ttbar.yaml", "-i", sample_, "--output-dir",
                                 folderOf(dir), "--report", dir.file("r.json")});
    ASSERT_EQ(run.status, 0) << run.err;
    const auto file = root::RootFile::open(sample_);
    const auto tree = root::Tree::open(*file, "Events");
    const auto mu_pt = readRows(*tree, "Muon_pt"), mu_eta = readRows(*tree, "Muon_eta"),
               mu_phi = readRows(*tree, "Muon_phi"), mu_tight = readRows(*tree, "Muon_tightId"),
               mu_iso = readRows(*tree, "Muon_pfRelIso04_all");
    const auto el_pt = readRows(*tree, "Electron_pt"), el_eta = readRows(*tree, "Electron_eta"),
               el_phi = readRows(*tree, "Electron_phi"),
               el_id = readRows(*tree, "Electron_cutBasedId"),
               el_iso = readRows(*tree, "Electron_pfRelIso03_all");
    const auto jet_pt = readRows(*tree, "Jet_pt"), jet_eta = readRows(*tree, "Jet_eta"),
               jet_phi = readRows(*tree, "Jet_phi"), jet_btag = readRows(*tree, "Jet_btag");
    std::int64_t n_lepton = 0, n_four_jets = 0, n_jets = 0, n_btag = 0;
    double ht_sum = 0;
    for (std::size_t i = 0; i < mu_pt.size(); ++i) {
        std::vector<std::pair<double, double>> leptons;  // eta, phi
        for (std::size_t k = 0; k < mu_pt[i].size(); ++k)
            if (mu_tight[i][k] != 0 && mu_pt[i][k] > 30 && std::abs(mu_eta[i][k]) < 2.4 &&
                mu_iso[i][k] < 0.15)
                leptons.emplace_back(mu_eta[i][k], mu_phi[i][k]);
        for (std::size_t k = 0; k < el_pt[i].size(); ++k)
            if (el_id[i][k] >= 3 && el_pt[i][k] > 30 && std::abs(el_eta[i][k]) < 2.5 &&
                el_iso[i][k] < 0.15)
                leptons.emplace_back(el_eta[i][k], el_phi[i][k]);
        if (leptons.empty()) continue;
        ++n_lepton;
        n_four_jets += jet_pt[i].size() >= 4 ? 1 : 0;
        int jets = 0, btags = 0;
        double ht = 0;
        for (std::size_t k = 0; k < jet_pt[i].size(); ++k) {
            if (!(jet_pt[i][k] > 30 && std::abs(jet_eta[i][k]) < 2.4)) continue;
            bool clean = true;
            for (const auto& [eta, phi] : leptons)
                clean &= deltaR(jet_eta[i][k], jet_phi[i][k], eta, phi) > 0.4;
            if (!clean) continue;
            ++jets;
            ht += static_cast<float>(jet_pt[i][k]);
            btags += jet_btag[i][k] > 0.8 ? 1 : 0;
        }
        if (jets < 4) continue;
        ++n_jets;
        if (btags < 1) continue;
        ++n_btag;
        ht_sum += ht;
    }
    const json report = readJson(dir.file("r.json"));
    EXPECT_EQ(report["cutflow"][0]["passed"], n_lepton);
    EXPECT_EQ(report["cutflow"][1]["passed"], n_jets);
    EXPECT_EQ(report["cutflow"][2]["passed"], n_btag);
    EXPECT_EQ(report["outputs"][0]["events"], n_btag);
    // The jets are cleaned only in events with four jets or more (nCleanJet >= 4 needs them).
    std::vector<json> jet_steps;
    for (const json& s : report["steps"])
        if (s["name"] == "nJet >= 4 (implied by four_jets)" || s["name"] == "CleanJet (mask)")
            jet_steps.push_back(s);
    ASSERT_EQ(jet_steps.size(), 2u);
    EXPECT_EQ(jet_steps[0]["events"], n_lepton);
    EXPECT_EQ(jet_steps[1]["events"], n_four_jets);
    EXPECT_LT(n_four_jets, n_lepton);
    EXPECT_GT(n_four_jets, n_jets);
    const auto skim_file = root::RootFile::open(dir.file("ttbar_skim.root"));
    const auto skim = root::Tree::open(*skim_file, "Events");
    double skim_ht = 0;
    for (const auto& row : readRows(*skim, "HT")) skim_ht += row[0];
    EXPECT_NEAR(skim_ht, ht_sum, 1e-5 * ht_sum);
    for (const auto& row : readRows(*skim, "Trijet_mass")) EXPECT_GT(row[0], 0);
}

TEST_F(Reduce, SameFilesForOneAndTwoThreadsAndSeveralInputs) {
    jsroot::ScratchDir dir;
    // The same sample twice under two names: a dataset of two files.
    fs::copy_file(sample_, dir.file("a.root"));
    fs::copy_file(sample_, dir.file("b.root"));
    std::vector<std::vector<char>> skims;
    std::vector<json> reports;
    for (const char* threads : {"1", "2"}) {
        const std::string out = dir.file(std::string("threads") + threads);
        const auto run = runHepflow({"--threads", threads, "reduce", kExamples + "/dimuon.yaml",
                                     "-i", folderOf(dir) + "/*.root", "--output-dir", out, "--set",
                                     "outputs.0.reproducible=true", "--report", out + ".json"});
        ASSERT_EQ(run.status, 0) << run.err;
        skims.push_back(bytesOf(out + "/dimuon_skim.root"));
        reports.push_back(readJson(out + ".json"));
    }
    EXPECT_TRUE(skims[0] == skims[1]);
    EXPECT_EQ(reports[0]["cutflow"], reports[1]["cutflow"]);
    EXPECT_EQ(reports[0]["histograms"], reports[1]["histograms"]);
    EXPECT_EQ(reports[0]["events_in"], 40000);
    EXPECT_EQ(reports[0]["inputs"].size(), 2u);
    EXPECT_EQ(reports[0]["threads"], 1);
    EXPECT_EQ(reports[1]["threads"], 2);
    // Twice the same events: every count doubles.
    jsroot::ScratchDir single;
    const auto run =
        runHepflow({"reduce", kExamples + "/dimuon.yaml", "-i", sample_, "--output-dir",
                    folderOf(single), "--report", single.file("r.json")});
    ASSERT_EQ(run.status, 0) << run.err;
    const json one = readJson(single.file("r.json"));
    for (std::size_t i = 0; i < one["cutflow"].size(); ++i)
        EXPECT_EQ(reports[0]["cutflow"][i]["passed"].get<std::int64_t>(),
                  2 * one["cutflow"][i]["passed"].get<std::int64_t>());
}

TEST_F(Reduce, OverridesPlaceOutputs) {
    jsroot::ScratchDir dir;
    const auto run =
        runHepflow({"reduce", kExamples + "/dimuon.yaml", "-i", sample_, "--output-dir",
                    folderOf(dir), "--set", "outputs.0.file=renamed.root", "--set",
                    "histogram_file=h.root", "--set", "selections.2.cut=Dimuon_mass > 0"});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(dir.contents(),
              (std::vector<std::string>{"dimuon_exclusive.root", "h.root", "renamed.root"}));
}

// ---------------------------------------------------------------- errors

class ReduceErrors : public Reduce {
protected:
    // Runs reduce on `config` (written into a scratch folder) and expects a usage error whose
    // line contains `expected`, and no file but the config in the folder.
    void expectUsageError(const std::string& config, const std::string& expected,
                          std::vector<std::string> extra = {}) {
        jsroot::ScratchDir dir;
        std::ofstream(dir.file("config.yaml")) << config;
        std::vector<std::string> args = {"reduce", dir.file("config.yaml"), "--output-dir",
                                         folderOf(dir)};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto run = runHepflow(args);
        EXPECT_EQ(run.status, cli::kExitUsage) << run.err;
        EXPECT_NE(run.err.find(expected), std::string::npos) << run.err;
        EXPECT_EQ(dir.contents(), std::vector<std::string>{"config.yaml"}) << expected;
    }
};

TEST_F(ReduceErrors, BadConfigsCreateNothing) {
    const std::string input = "inputs: [" + sample_ + "]\n";
    const std::string output = "outputs:\n  - file: out.root\n";
    expectUsageError(input + "selection:\n  - cut: nMuon > 0\n" + output,
                     "config.yaml:2: unknown key 'selection' in the config — did you mean "
                     "'selections'?");
    expectUsageError(
        input + "selections:\n  - name: pt\n    cut: nMuon > 0 && MET_ptt > 3\n" + output,
        "config.yaml:3: selection 'pt': col 14: unknown column 'MET_ptt' — did you "
        "mean 'MET_pt'?");
    expectUsageError(
        input + "defines:\n  x: Muon_pt * 2\n" + output + "    branches: [x, Muon_pT]\n",
        "out.root': no column matches 'Muon_pT' — did you mean 'Muon_pt'?");
    expectUsageError("inputs: [missing.root]\n" + output, "missing.root' does not exist");
    expectUsageError(input + output, "no input file matches", {"-i", "/nonexistent/*.root"});
    expectUsageError(input + "selections:\n  - cut: Muon_pt > 20\n" + output,
                     "a cut needs one bool per event");
}

TEST_F(ReduceErrors, UnreadableInputIsAnError) {
    jsroot::ScratchDir dir;
    std::ofstream(dir.file("bad.root")) << "not a ROOT file";
    std::ofstream(dir.file("config.yaml")) << "inputs: [bad.root]\noutputs:\n  - file: o.root\n";
    const auto run = runHepflow({"reduce", dir.file("config.yaml")});
    EXPECT_EQ(run.status, cli::kExitError) << run.err;
    EXPECT_NE(run.err.find("bad.root"), std::string::npos) << run.err;
    EXPECT_EQ(dir.contents(), (std::vector<std::string>{"bad.root", "config.yaml"}));
}

// An output or histogram file whose name is taken by a folder is a usage error found before
// anything is written (it would otherwise fail only when the finished file is renamed; files
// that fail then are all removed, see FileWriter.FilesCommittedTogetherAppearAllOrNone).
TEST_F(ReduceErrors, OutputsNamedLikeAFolderAreFoundFirst) {
    for (const std::string taken : {"b.root", "hist.root"}) {
        jsroot::ScratchDir dir;
        std::ofstream(dir.file("config.yaml"))
            << "inputs: [" << sample_ << "]\n"
            << "histograms:\n  - name: met\n    expression: MET_pt\n    bins: 10\n"
            << "    range: [0, 100]\nhistogram_file: hist.root\n"
            << "outputs:\n  - file: a.root\n    branches: [MET_pt]\n"
            << "  - file: b.root\n    branches: [event]\n";
        fs::create_directory(dir.file(taken));
        const auto run =
            runHepflow({"reduce", dir.file("config.yaml"), "--output-dir", folderOf(dir)});
        EXPECT_EQ(run.status, cli::kExitUsage) << run.err;
        EXPECT_NE(run.err.find(taken + "': a folder has this name"), std::string::npos) << run.err;
        std::vector<std::string> expected = {taken, "config.yaml"};
        std::sort(expected.begin(), expected.end());
        EXPECT_EQ(dir.contents(), expected) << "nothing written";
    }
}

}  // namespace
}  // namespace hepflow
