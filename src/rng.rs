//! Random streams and the few draws the model needs.
//!
//! **Streams.** Path `i` of a run with seed `s` draws only from generators seeded by a SplitMix64
//! hash of `(s, i, purpose)`. Purposes: the common market factor, the program's choices (which firm
//! gets a grant), and for each industry its own factor and its firms, keyed by the industry's *id*
//! (not its position in the file). Results therefore do not depend on thread count or on how paths
//! are split into shards, and scenarios run with the same seed share their random numbers (common
//! random numbers): the same common factor always; the same factor and firms for every industry
//! whose parameters they share, whatever other industries or instruments they have; instruments
//! never draw from market or firm streams.
//!
//! **Generator.** Xoshiro256++ (`rand_xoshiro`): fast (≈1.7 ns per u64 here) and, unlike `StdRng`,
//! documented as stable across versions.
//!
//! **Maths.** Every transcendental function comes from the pure-Rust `libm` (`exp`, `ln`), and `sqrt`
//! is correctly rounded by IEEE 754, so the same seed gives the same bits whatever the platform's C
//! maths library. The standard normal is therefore our own Marsaglia polar method on `libm`
//! (Marsaglia & Bray 1964) rather than `rand_distr`'s ziggurat, whose rare branches call the
//! platform's `exp`.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One random stream: the generator and the spare normal of the polar method.
#[derive(Debug, Clone)]
pub struct Stream {
    bits: Xoshiro256PlusPlus,
    spare: Option<f64>,
}

/// Stream purposes; industries hash their id into [`industry_firms`] and [`industry_factor`].
pub const MARKET: u64 = 0;
pub const PROGRAM: u64 = 1;
const INDUSTRY_FIRMS: u64 = 0x4649_524D_5300_0000; // "FIRMS"
const INDUSTRY_FACTOR: u64 = 0x4641_4354_4F52_0000; // "FACTOR"

/// 64-bit FNV-1a of a string (Fowler–Noll–Vo): a fixed, portable hash of an industry id.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Purpose of the stream that drives the firms of industry `id`.
pub fn industry_firms(id: &str) -> u64 {
    INDUSTRY_FIRMS ^ fnv1a(id)
}

/// Purpose of the stream that drives the own factor of industry `id`.
pub fn industry_factor(id: &str) -> u64 {
    INDUSTRY_FACTOR ^ fnv1a(id)
}

/// SplitMix64 finaliser: a bijective 64-bit mix (Steele, Lea & Flood 2014).
#[inline]
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for `purpose` on path `path` of a run seeded with `seed`.
pub fn stream(seed: u64, path: u64, purpose: u64) -> Stream {
    let key = splitmix64(
        splitmix64(splitmix64(seed) ^ path) ^ purpose.wrapping_mul(0xD605_BBB5_8C8A_BF57),
    );
    // `seed_from_u64` expands the key with SplitMix64 into the 256-bit state.
    Stream {
        bits: Xoshiro256PlusPlus::seed_from_u64(key),
        spare: None,
    }
}

/// Uniform on `[0, 1)` with 53 random bits.
#[inline]
pub fn uniform(rng: &mut Stream) -> f64 {
    rng.bits.random::<f64>()
}

/// Standard normal by the Marsaglia polar method: draw `(u, v)` uniform in the unit disc,
/// `s = u² + v²`, then `u·√(−2 ln s / s)` and `v·√(−2 ln s / s)` are independent standard normals;
/// the second is kept for the next call. Acceptance is π/4, so a pair costs ≈2.5 uniforms, one
/// `ln` and one `sqrt`.
#[inline]
pub fn normal(rng: &mut Stream) -> f64 {
    if let Some(z) = rng.spare.take() {
        return z;
    }
    loop {
        let u = 2.0 * uniform(rng) - 1.0;
        let v = 2.0 * uniform(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            let f = (-2.0 * libm::log(s) / s).sqrt();
            rng.spare = Some(v * f);
            return u * f;
        }
    }
}

/// Uniform integer in `[lo, hi]`.
#[inline]
pub fn int_between(rng: &mut Stream, lo: u32, hi: u32) -> u32 {
    rng.bits.random_range(lo..=hi)
}

/// Uniform index in `[0, n)`, `n > 0`.
#[inline]
pub fn index_below(rng: &mut Stream, n: usize) -> usize {
    rng.bits.random_range(0..n)
}

/// `exp` from `libm`, identical on every platform.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// Logistic function `1 / (1 + e^{-x})`, exact at ±∞.
#[inline]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

/// Poisson draw by inversion, in independent pieces of mean at most 30 so that `e^{-λ}` stays far from
/// underflow and the search stays short (a sum of independent Poissons is Poisson).
pub fn poisson(rng: &mut Stream, lambda: f64) -> u64 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    let pieces = (lambda / 30.0).ceil().max(1.0);
    let part = lambda / pieces;
    let p0 = libm::exp(-part);
    let mut total = 0u64;
    for _ in 0..pieces as u64 {
        let u = uniform(rng);
        let mut k = 0u64;
        let mut p = p0;
        let mut cdf = p;
        while u > cdf && k < 1000 {
            k += 1;
            p *= part / k as f64;
            cdf += p;
        }
        total += k;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_every_key() {
        let mut a = stream(1, 2, 3);
        let draws = |r: &mut Stream| (0..4).map(|_| uniform(r)).collect::<Vec<_>>();
        let base = draws(&mut a);
        assert_eq!(base, draws(&mut stream(1, 2, 3)));
        assert_ne!(base, draws(&mut stream(2, 2, 3)));
        assert_ne!(base, draws(&mut stream(1, 3, 3)));
        assert_ne!(base, draws(&mut stream(1, 2, 4)));
    }

    #[test]
    fn normal_moments() {
        // n = 200 000 draws: the sample mean has SE 1/√n = 0.0022, the variance SE √(2/n) = 0.0032,
        // the fourth moment (3 for a normal) SE √(96/n) = 0.022; tolerances are 4 SE. The share
        // below −1.96 is 0.025 with SE √(0.025·0.975/n) = 0.00035.
        let mut r = stream(3, 1, 4);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| normal(&mut r)).collect();
        let nf = n as f64;
        let mean = xs.iter().sum::<f64>() / nf;
        let m2 = xs.iter().map(|x| x * x).sum::<f64>() / nf;
        let m4 = xs.iter().map(|x| x.powi(4)).sum::<f64>() / nf;
        let tail = xs.iter().filter(|&&x| x < -1.959_964).count() as f64 / nf;
        assert!(mean.abs() < 4.0 * 0.0023, "mean {mean}");
        assert!((m2 - 1.0).abs() < 4.0 * 0.0032, "variance {m2}");
        assert!((m4 - 3.0).abs() < 4.0 * 0.022, "fourth moment {m4}");
        assert!((tail - 0.025).abs() < 4.0 * 0.00035, "tail {tail}");
    }

    #[test]
    fn industry_streams_follow_ids_not_positions() {
        assert_eq!(industry_firms("ic"), industry_firms("ic"));
        assert_ne!(industry_firms("ic"), industry_firms("ai"));
        assert_ne!(industry_firms("ic"), industry_factor("ic"));
        // FNV-1a test vector: "a" → 0xaf63dc4c8601ec8c.
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn poisson_mean_and_variance() {
        // Mean and variance both equal λ; with n = 20 000 draws the sample mean has standard error
        // sqrt(λ/n), and we allow 4 of them.
        for &lambda in &[0.7, 12.0, 95.0] {
            let mut r = stream(7, 0, 0);
            let n = 20_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(&mut r, lambda) as f64).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se = (lambda / n as f64).sqrt();
            assert!((mean - lambda).abs() < 4.0 * se, "λ={lambda} mean={mean}");
            assert!((var / lambda - 1.0).abs() < 0.06, "λ={lambda} var={var}");
        }
    }
}
