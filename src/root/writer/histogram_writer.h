// One-dimensional histograms with fixed bins, written as ROOT TH1D objects so that ROOT, uproot
// and JSROOT show them (report plots, cut-flows). Histogram1D accumulates like TH1::Fill; the
// writer streams TH1D v3 > TH1 v8 > TNamed, TAttLine, TAttFill, TAttMarker, TAxis x3, TArrayD.
#pragma once

#include <string>
#include <vector>

#include "root/key.h"
#include "root/writer/file_writer.h"

namespace hepflow::root {

struct Histogram1D {
    std::string name;
    std::string title;
    int nbins = 1;
    double xmin = 0;
    double xmax = 1;
    // nbins + 2 values: [0] underflow, [1..nbins] bins, [nbins + 1] overflow.
    std::vector<double> contents;
    // Sum of squared weights per bin (same layout as contents); empty = not tracked (ROOT then
    // takes the errors as sqrt(content)). fill() starts tracking when it sees a weight != 1.
    std::vector<double> sumw2;
    double entries = 0;
    // Statistics over in-range fills, as TH1::Fill keeps them (fTsumw, fTsumw2, fTsumwx,
    // fTsumwx2): under/overflow do not count.
    double tsumw = 0;
    double tsumw2 = 0;
    double tsumwx = 0;
    double tsumwx2 = 0;

    Histogram1D() = default;
    // Zeroed contents for `nbins` bins over [xmin, xmax). Throws UsageError when nbins < 1 or
    // xmin >= xmax (or either is not finite).
    Histogram1D(std::string name, std::string title, int nbins, double xmin, double xmax);

    // The bin of x as TH1/TAxis::FindBin computes it: 0 below xmin, nbins + 1 at or above xmax
    // (NaN counts as overflow, as in ROOT).
    int findBin(double x) const;
    // TH1::Fill(x, w): adds w to the bin, counts an entry, and updates the stats for in-range x.
    void fill(double x, double w = 1);
    // Starts tracking sum of squared weights (TH1::Sumw2): initialised from the contents.
    void enableSumw2();
};

// Writes `histogram` as a TH1D record named histogram.name in `dir` (next cycle), and requires
// the TH1D streamer infos. Throws UsageError for an inconsistent histogram (contents or sumw2
// of the wrong size, nbins < 1), IoError from the file.
Key writeHistogram(FileWriter& file, FileWriter::DirectoryId dir, const Histogram1D& histogram);

}  // namespace hepflow::root
