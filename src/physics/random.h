// Random numbers for the event generators: SplitMix64 (seeding), xoshiro256++ (the stream)
// and the few distributions the physics needs, all written here so that a seed gives the same
// numbers with every compiler and standard library (std:: distributions are not specified).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace hepflow::physics {

// Sebastiano Vigna's SplitMix64: turns any 64-bit value (even 0) into well-mixed state words.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t state) : state_(state) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t state_;
};

// xoshiro256++ (Blackman & Vigna, 2019): 256 bits of state, period 2^256 - 1, a few ns per
// draw, good enough statistically for any Monte Carlo this size.
class Xoshiro256pp {
public:
    // Independent streams per (seed, stream): the pair is mixed through SplitMix64, so
    // neighbouring chunk indices give unrelated states.
    Xoshiro256pp(std::uint64_t seed, std::uint64_t stream) {
        SplitMix64 mix(seed ^ SplitMix64(stream + 0x632BE59BD9B4E019ULL).next());
        for (auto& word : s_) word = mix.next();
        // All-zero is the one state xoshiro cannot leave; SplitMix64 never yields four zeros
        // in a row, but the guard costs nothing.
        if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

// A xoshiro stream with the distributions on top. Not thread-safe: one per chunk.
class Rng {
public:
    Rng(std::uint64_t seed, std::uint64_t stream) : engine_(seed, stream) {}

    std::uint64_t bits() {
        ++draws_;
        return engine_.next();
    }
    // 64-bit draws so far (what a benchmark's baseline of raw draws should match).
    std::uint64_t draws() const { return draws_; }
    // [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(bits() >> 11) * 0x1.0p-53; }
    // (0, 1]: safe under log().
    double uniformPositive() { return 1.0 - uniform(); }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    bool bernoulli(double p) { return uniform() < p; }
    // +1 or -1 with equal odds.
    int sign() { return (bits() >> 63) != 0 ? 1 : -1; }
    double phi() { return uniform(-std::numbers::pi, std::numbers::pi); }

    // Standard normal by Marsaglia's polar method; the second value of each pair is kept for
    // the next call (part of the stream's state, so the sequence stays reproducible).
    double gaussian() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u, v, s;
        do {
            u = 2.0 * uniform() - 1.0;
            v = 2.0 * uniform() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        const double factor = std::sqrt(-2.0 * std::log(s) / s);
        spare_ = v * factor;
        has_spare_ = true;
        return u * factor;
    }
    double gaussian(double mean, double sigma) { return mean + sigma * gaussian(); }
    double exponential(double mean) { return -mean * std::log(uniformPositive()); }

    // Poisson by multiplying uniforms (Knuth) for the small means the generators use; a
    // rounded normal above kPoissonNormalMean, where Knuth's loop gets long.
    int poisson(double mean) {
        static constexpr double kPoissonNormalMean = 40.0;
        if (mean <= 0.0) return 0;
        if (mean > kPoissonNormalMean) {
            const double x = std::round(gaussian(mean, std::sqrt(mean)));
            return x < 0.0 ? 0 : static_cast<int>(x);
        }
        const double limit = std::exp(-mean);
        int k = 0;
        double product = uniform();
        while (product > limit) {
            ++k;
            product *= uniform();
        }
        return k;
    }

private:
    Xoshiro256pp engine_;
    std::uint64_t draws_ = 0;
    double spare_ = 0.0;
    bool has_spare_ = false;
};

}  // namespace hepflow::physics
