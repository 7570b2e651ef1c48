// Histogram1D filling (TH1::Fill semantics) and the TH1D streamer: TH1D v3 > TH1 v8 > TNamed,
// TAttLine, TAttFill, TAttMarker, three TAxis v10, then the TArrayD of bin contents, with the
// member values a freshly constructed ROOT histogram carries (checked against the TH1F records
// of testdata/uproot-histograms.root).
#include "root/writer/histogram_writer.h"

#include <cmath>
#include <cstdint>
#include <span>

#include <fmt/format.h>

#include "common/error.h"
#include "root/writer/byte_writer.h"

namespace hepflow::root {

namespace {

constexpr std::int16_t kTH1DVersion = 3;
constexpr std::int16_t kTH1Version = 8;
constexpr std::int16_t kTNamedVersion = 1;
constexpr std::int16_t kTAttLineVersion = 2;
constexpr std::int16_t kTAttFillVersion = 2;
constexpr std::int16_t kTAttMarkerVersion = 2;
constexpr std::int16_t kTAxisVersion = 10;
constexpr std::int16_t kTAttAxisVersion = 4;
constexpr std::int16_t kTListVersion = 5;

// TObject bits of a histogram: kIsOnHeap | kNotDeleted | kMustCleanup (as ROOT writes TH1F).
constexpr std::uint32_t kHistogramBits = 0x03000008;
// Defaults of a new ROOT histogram (TAttLine, TAttFill, TAttMarker, TAttAxis constructors,
// gStyle defaults as written in testdata/uproot-histograms.root).
constexpr std::int16_t kLineColor = 602;
constexpr std::int16_t kLineStyle = 1;
constexpr std::int16_t kLineWidth = 1;
constexpr std::int16_t kFillColor = 0;
constexpr std::int16_t kFillStyle = 1001;
constexpr std::int16_t kMarkerColor = 1;
constexpr std::int16_t kMarkerStyle = 1;
constexpr float kMarkerSize = 1.0f;
constexpr std::int32_t kNdivisions = 510;
constexpr std::int16_t kAxisColor = 1;
constexpr std::int16_t kLabelColor = 1;
constexpr std::int16_t kLabelFont = 42;
constexpr float kLabelOffset = 0.005f;
constexpr float kLabelSize = 0.035f;
constexpr float kTickLength = 0.03f;
constexpr float kTitleOffset = 1.0f;
constexpr float kTitleSize = 0.035f;
constexpr std::int16_t kTitleColor = 1;
constexpr std::int16_t kTitleFont = 42;
constexpr std::int16_t kBarWidth = 1000;
// fMaximum/fMinimum unset: ROOT's -1111 marker.
constexpr double kUnsetExtremum = -1111;
// TH1::EStatOverflows::kNeutral: follow the global setting, which a new histogram carries.
constexpr std::int32_t kStatOverflowsNeutral = 2;

void writeNamed(ByteWriter& out, std::uint32_t bits, std::string_view name,
                std::string_view title) {
    const std::size_t named = out.beginVersion(kTNamedVersion);
    out.writeTObject(bits);
    out.writeTString(name);
    out.writeTString(title);
    out.endVersion(named);
}

// TArrayD as a member or base: int32 n, then n doubles, no header.
void writeArrayD(ByteWriter& out, std::span<const double> values) {
    out.write<std::int32_t>(static_cast<std::int32_t>(values.size()));
    out.writeArray<double>(values);
}

void writeAxis(ByteWriter& out, std::string_view name, int nbins, double xmin, double xmax) {
    const std::size_t axis = out.beginVersion(kTAxisVersion);
    writeNamed(out, ByteWriter::kDefaultObjectBits, name, "");
    const std::size_t attributes = out.beginVersion(kTAttAxisVersion);
    out.write<std::int32_t>(kNdivisions);
    out.write<std::int16_t>(kAxisColor);
    out.write<std::int16_t>(kLabelColor);
    out.write<std::int16_t>(kLabelFont);
    out.write<float>(kLabelOffset);
    out.write<float>(kLabelSize);
    out.write<float>(kTickLength);
    out.write<float>(kTitleOffset);
    out.write<float>(kTitleSize);
    out.write<std::int16_t>(kTitleColor);
    out.write<std::int16_t>(kTitleFont);
    out.endVersion(attributes);
    out.write<std::int32_t>(nbins);
    out.write<double>(xmin);
    out.write<double>(xmax);
    writeArrayD(out, {});         // fXbins: fixed bins
    out.write<std::int32_t>(0);   // fFirst
    out.write<std::int32_t>(0);   // fLast
    out.write<std::uint16_t>(0);  // fBits2
    out.write<std::uint8_t>(0);   // fTimeDisplay
    out.writeTString("");         // fTimeFormat
    out.writeNullPointer();       // fLabels
    out.writeNullPointer();       // fModLabs
    out.endVersion(axis);
}

void checkHistogram(const Histogram1D& h, const std::string& file) {
    if (h.nbins < 1)
        throw UsageError(fmt::format("histogram '{}' has {} bins", h.name, h.nbins))
            .at(file, h.name);
    const auto cells = static_cast<std::size_t>(h.nbins) + 2;
    if (h.contents.size() != cells)
        throw UsageError(fmt::format("histogram '{}' has {} contents for {} bins (needs nbins + 2)",
                                     h.name, h.contents.size(), h.nbins))
            .at(file, h.name);
    if (!h.sumw2.empty() && h.sumw2.size() != cells)
        throw UsageError(fmt::format("histogram '{}' has {} sumw2 values for {} bins", h.name,
                                     h.sumw2.size(), h.nbins))
            .at(file, h.name);
    if (!(h.xmin < h.xmax))
        throw UsageError(fmt::format("histogram '{}' has range [{}, {}]", h.name, h.xmin, h.xmax))
            .at(file, h.name);
}

}  // namespace

Histogram1D::Histogram1D(std::string name_in, std::string title_in, int nbins_in, double xmin_in,
                         double xmax_in)
    : name(std::move(name_in)),
      title(std::move(title_in)),
      nbins(nbins_in),
      xmin(xmin_in),
      xmax(xmax_in) {
    if (nbins < 1) throw UsageError(fmt::format("histogram '{}': {} bins", name, nbins));
    if (!std::isfinite(xmin) || !std::isfinite(xmax) || !(xmin < xmax))
        throw UsageError(fmt::format("histogram '{}': range [{}, {}]", name, xmin, xmax));
    contents.assign(static_cast<std::size_t>(nbins) + 2, 0.0);
}

int Histogram1D::findBin(double x) const {
    if (x < xmin) return 0;
    if (!(x < xmax)) return nbins + 1;  // NaN too, as TAxis::FindBin
    const int bin = 1 + static_cast<int>(nbins * (x - xmin) / (xmax - xmin));
    return bin > nbins ? nbins : bin;  // rounding just below xmax
}

void Histogram1D::enableSumw2() {
    if (sumw2.empty()) sumw2 = contents;
}

void Histogram1D::fill(double x, double w) {
    if (contents.size() != static_cast<std::size_t>(nbins) + 2)
        contents.resize(static_cast<std::size_t>(nbins) + 2, 0.0);
    // TH1::Fill switches to tracking squared weights at the first weight other than 1.
    if (w != 1 && sumw2.empty()) enableSumw2();
    const int bin = findBin(x);
    entries += 1;
    contents[static_cast<std::size_t>(bin)] += w;
    if (!sumw2.empty()) sumw2[static_cast<std::size_t>(bin)] += w * w;
    if (bin == 0 || bin == nbins + 1) return;  // under/overflow stay out of the statistics
    tsumw += w;
    tsumw2 += w * w;
    tsumwx += w * x;
    tsumwx2 += w * x * x;
}

Key writeHistogram(FileWriter& file, FileWriter::DirectoryId dir, const Histogram1D& h) {
    checkHistogram(h, file.path());
    file.requireStreamer("TH1D");
    return file.writeObject(dir, "TH1D", h.name, h.title, [&h](ByteWriter& out) {
        const std::size_t th1d = out.beginVersion(kTH1DVersion);
        const std::size_t th1 = out.beginVersion(kTH1Version);
        writeNamed(out, kHistogramBits, h.name, h.title);
        const std::size_t line = out.beginVersion(kTAttLineVersion);
        out.write<std::int16_t>(kLineColor);
        out.write<std::int16_t>(kLineStyle);
        out.write<std::int16_t>(kLineWidth);
        out.endVersion(line);
        const std::size_t fill = out.beginVersion(kTAttFillVersion);
        out.write<std::int16_t>(kFillColor);
        out.write<std::int16_t>(kFillStyle);
        out.endVersion(fill);
        const std::size_t marker = out.beginVersion(kTAttMarkerVersion);
        out.write<std::int16_t>(kMarkerColor);
        out.write<std::int16_t>(kMarkerStyle);
        out.write<float>(kMarkerSize);
        out.endVersion(marker);
        out.write<std::int32_t>(h.nbins + 2);  // fNcells
        writeAxis(out, "xaxis", h.nbins, h.xmin, h.xmax);
        writeAxis(out, "yaxis", 1, 0, 1);
        writeAxis(out, "zaxis", 1, 0, 1);
        out.write<std::int16_t>(0);  // fBarOffset
        out.write<std::int16_t>(kBarWidth);
        out.write<double>(h.entries);
        out.write<double>(h.tsumw);
        out.write<double>(h.tsumw2);
        out.write<double>(h.tsumwx);
        out.write<double>(h.tsumwx2);
        out.write<double>(kUnsetExtremum);  // fMaximum
        out.write<double>(kUnsetExtremum);  // fMinimum
        out.write<double>(0);               // fNormFactor
        writeArrayD(out, {});               // fContour
        writeArrayD(out, h.sumw2);
        out.writeTString("");  // fOption
        // fFunctions ("->": never null, streamed in place without a class tag): empty TList.
        const std::size_t functions = out.beginVersion(kTListVersion);
        out.writeTObject();
        out.writeTString("");
        out.write<std::int32_t>(0);
        out.endVersion(functions);
        out.write<std::int32_t>(0);  // fBufferSize
        out.write<std::uint8_t>(0);  // fBuffer: null pointer-array marker
        out.write<std::int32_t>(0);  // fBinStatErrOpt: kNormal
        out.write<std::int32_t>(kStatOverflowsNeutral);
        out.endVersion(th1);
        writeArrayD(out, h.contents);  // TArrayD base: fN, fArray
        out.endVersion(th1d);
    });
}

}  // namespace hepflow::root
