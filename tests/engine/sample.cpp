// The engine tests' sample: generation, writing, and temporary folders.
#include "sample.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>

#include <unistd.h>

#include "root/writer/file_writer.h"
#include "root/writer/tree_writer.h"

namespace hepflow::enginetest {

Sample makeSample(std::size_t events, std::uint64_t seed, std::uint64_t first_event) {
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<int> muons(0, 4);
    std::uniform_real_distribution<float> pt(3.0f, 80.0f), eta(-2.4f, 2.4f), met(0.0f, 60.0f);
    Sample sample;
    for (std::size_t i = 0; i < events; ++i) {
        sample.event.push_back(first_event + i);
        sample.met.push_back(met(random));
        const int n = muons(random);
        std::vector<float> pts, etas;
        std::vector<std::int32_t> charges;
        for (int k = 0; k < n; ++k) {
            pts.push_back(pt(random));
            etas.push_back(eta(random));
            charges.push_back(random() % 2 == 0 ? 1 : -1);
        }
        sample.muon_pt.push_back(std::move(pts));
        sample.muon_eta.push_back(std::move(etas));
        sample.muon_charge.push_back(std::move(charges));
    }
    return sample;
}

void writeSample(const Sample& sample, const std::string& path, std::int64_t cluster_entries,
                 bool met_as_double) {
    using frame::DType;
    auto file = root::FileWriter::create(path);
    std::vector<root::BranchSpec> specs(5);
    specs[0].name = "event";
    specs[0].dtype = DType::UInt64;
    specs[1].name = "MET_pt";
    specs[1].dtype = met_as_double ? DType::Float64 : DType::Float32;
    const char* muon_names[] = {"Muon_pt", "Muon_eta", "Muon_charge"};
    for (int i = 0; i < 3; ++i) {
        specs[2 + i].name = muon_names[i];
        specs[2 + i].dtype = i == 2 ? DType::Int32 : DType::Float32;
        specs[2 + i].levels = 1;
    }
    root::TreeWriteOptions options;
    options.cluster_entries = cluster_entries;
    root::TreeWriter writer(*file, root::FileWriter::kTopDirectory, "Events", "Events", specs,
                            options);
    const std::size_t step = static_cast<std::size_t>(std::max<std::int64_t>(1, cluster_entries));
    for (std::size_t begin = 0; begin < sample.size(); begin += step) {
        const std::size_t end = std::min(sample.size(), begin + step);
        const auto slice = [&](const auto& values) {
            return std::vector(values.begin() + static_cast<std::ptrdiff_t>(begin),
                               values.begin() + static_cast<std::ptrdiff_t>(end));
        };
        frame::ColumnBatch batch;
        batch.first_entry = static_cast<std::int64_t>(begin);
        batch.num_entries = static_cast<std::int64_t>(end - begin);
        batch.columns.emplace_back("event", flatColumn(slice(sample.event)));
        if (met_as_double) {
            std::vector<double> met(sample.met.begin() + static_cast<std::ptrdiff_t>(begin),
                                    sample.met.begin() + static_cast<std::ptrdiff_t>(end));
            batch.columns.emplace_back("MET_pt", flatColumn(met));
        } else {
            batch.columns.emplace_back("MET_pt", flatColumn(slice(sample.met)));
        }
        batch.columns.emplace_back("Muon_pt", jaggedColumn(slice(sample.muon_pt)));
        batch.columns.emplace_back("Muon_eta", jaggedColumn(slice(sample.muon_eta)));
        batch.columns.emplace_back("Muon_charge", jaggedColumn(slice(sample.muon_charge)));
        writer.write(batch);
    }
    writer.close();
    file->commit();
}

TempDir::TempDir() {
    static std::atomic<int> counter{0};
    path_ =
        (std::filesystem::temp_directory_path() /
         ("hepflow-engine-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
            .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
}

std::vector<std::string> TempDir::contents() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace hepflow::enginetest
