//! Random streams and the few draws the model needs.
//!
//! **Streams.** Path `i` of a run with seed `s` draws only from generators seeded by a SplitMix64
//! hash of `(s, i, purpose)`. Purposes: the common market factor; for each industry its own factor
//! and its firms, and for each instrument its choices (which firm gets a grant), all keyed by *id*
//! (not position in the file); and the firms outside the city that sub-funds invest in. Results therefore do not depend on thread count or on how paths
//! are split into shards, and scenarios run with the same seed share their random numbers (common
//! random numbers): the same common factor always; the same factor and firms for every industry
//! whose parameters they share, whatever other industries or instruments they have; the same choices
//! for an instrument whose inputs are the same; instruments never draw from market or firm streams.
//!
//! **Firm draws are counter-based.** A stream consumed in sequence by all firms of an industry would
//! couple them: a firm that raises a round it would not have raised draws one more normal and shifts
//! every later firm's numbers. So every firm carries a 64-bit *key* (from the path's industry key, the
//! way it came into being and its serial number: [`child`]), and each of its draws in a year comes
//! from a [`Counter`] seeded by `(key, year, purpose)`: a SplitMix64 sequence of its own (Steele,
//! Lea & Flood 2014), the counter-based scheme of Salmon et al. (SC'11) with SplitMix64's mixer as
//! the bijection. A firm-year's numbers therefore do not depend on what happened to any other firm,
//! and a supported firm and its unsupported shadow see the same numbers. Industry-year counts
//! (arrivals, talents) are keyed likewise by `(industry key, year, purpose)`. The market factors and
//! the instruments' choices, which no policy changes, keep their sequential streams.
//!
//! **Generator.** Xoshiro256++ (`rand_xoshiro`) for the sequential streams: fast (≈1.7 ns per u64
//! here) and, unlike `StdRng`, documented as stable across versions.
//!
//! **Maths.** Every transcendental function is pure Rust: [`exp`] is our own table method
//! ([`crate::exp`]), `ln` and the ziggurat's rare `exp` come from `libm`, and `sqrt`
//! is correctly rounded by IEEE 754, so the same seed gives the same bits whatever the platform's C
//! maths library. The standard normal is therefore our own ziggurat on `libm` rather than
//! `rand_distr`'s, whose rare branches call the platform's `exp`.

use rand::{RngExt, SeedableRng};

use rand_xoshiro::Xoshiro256PlusPlus;

/// A source of random 64-bit words: a sequential [`Stream`] or a firm-year [`Counter`].
pub trait Bits {
    fn next_u64(&mut self) -> u64;
}

/// One random stream.
#[derive(Debug, Clone)]
pub struct Stream {
    bits: Xoshiro256PlusPlus,
}

impl Bits for Stream {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.bits.random::<u64>()
    }
}

/// The draws of one key, year and purpose: the SplitMix64 sequence `mix(s + i·γ)`, `i = 1, 2, …`,
/// from a start `s` that hashes the three together.
#[derive(Debug, Clone, Copy)]
pub struct Counter(u64);

impl Bits for Counter {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The counter of `key` in the year whose [`year_salt`] is `salt`, for `purpose`.
#[inline]
pub fn counter(key: u64, salt: u64, purpose: u64) -> Counter {
    Counter(splitmix64(key ^ salt ^ purpose))
}

/// A fixed random word per year index, so that counters of different years differ in many bits.
#[inline]
pub fn year_salt(year: usize) -> u64 {
    splitmix64(0x5945_4152_0000_0000 ^ year as u64) // "YEAR"
}

/// The key of a child of `parent`: its `tag` (how it came into being) and two serial numbers.
#[inline]
pub fn child(parent: u64, tag: u64, a: u64, b: u64) -> u64 {
    splitmix64(
        parent ^ splitmix64(tag ^ a.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ b.wrapping_mul(GOLDEN)),
    )
}

/// Purposes of counter draws and tags of firm keys.
pub mod purpose {
    /// A firm-year's outcome: the uniform that picks round / exit / failure, then the round's
    /// step-up or the exit's value, IPO and leaving draws.
    pub const TRANSITION: u64 = 0x5452_414E_0000_0001;
    /// A firm-year's revenue growth.
    pub const REVENUE: u64 = 0x5245_5645_0000_0002;
    /// A firm's draws when it comes into being (value, age, revenue).
    pub const CREATE: u64 = 0x4352_4541_0000_0003;
    /// An industry-year's number of new projects.
    pub const ARRIVALS: u64 = 0x4152_5249_0000_0004;
    /// An industry-year's talents (or a relocated firm's).
    pub const TALENTS: u64 = 0x5441_4C45_0000_0005;
    /// Whether an outside firm relocates to the city this year.
    pub const RELOCATE: u64 = 0x5245_4C4F_0000_0006;
    /// Whether an instrument's support is additional for a firm (xor the instrument's hash).
    pub const ADDITIONAL: u64 = 0x4144_4449_0000_0007;
    /// An industry-year's large-firm arrivals without incentives.
    pub const LARGE: u64 = 0x4C41_5247_0000_0008;
    /// An industry-year's large-firm arrivals an incentive programme adds (xor its hash).
    pub const LARGE_EXTRA: u64 = 0x4558_5452_0000_0009;
    /// An industry-year's talents a talent subsidy adds (xor its hash).
    pub const TALENT_EXTRA: u64 = 0x5445_5854_0000_000A;
    /// A listed firm's yearly price move.
    pub const LISTED: u64 = 0x4C49_5354_0000_000B;
    /// When a state-held stake's sale through an exchange pays (xor the instrument's hash).
    pub const TRANSFER: u64 = 0x5452_4E53_0000_000C;
    /// Tag of a firm of the start year's local base (a: stage, b: serial).
    pub const EXISTING: u64 = 0x4558_4953_0000_0010;
    /// Tag of an established firm of the start year (b: serial).
    pub const ESTABLISHED: u64 = 0x4553_5441_0000_0011;
    /// Tag of a new project (a: year, b: serial within the year).
    pub const ARRIVAL: u64 = 0x4E45_5750_0000_0012;
    /// Tag of a large firm arriving without incentives (a: year, b: serial).
    pub const LARGE_FIRM: u64 = 0x4C46_524D_0000_0013;
    /// Tag of a firm of the book the programme starts from (b: its serial in the book).
    pub const BOOK: u64 = 0x424F_4F4B_0000_0014;
}
/// Stream purposes; industries hash their id into [`industry_firms`] and [`industry_factor`].
pub const MARKET: u64 = 0;
/// Firms outside the city that sub-funds invest in.
pub const OUTSIDE: u64 = 2;
const INDUSTRY_FIRMS: u64 = 0x4649_524D_5300_0000; // "FIRMS"
const INDUSTRY_FACTOR: u64 = 0x4641_4354_4F52_0000; // "FACTOR"

/// 64-bit FNV-1a of a string (Fowler–Noll–Vo): a fixed, portable hash of an industry id.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

const INSTRUMENT: u64 = 0x494E_5354_5255_0000; // "INSTRU"

/// Purpose of the stream of instrument `id`'s choices (which firms, which rounds, take-ups).
pub fn instrument(id: &str) -> u64 {
    INSTRUMENT ^ fnv1a(id)
}

const INSTRUMENT_EVENTS: u64 = 0x4556_454E_5453_0000; // "EVENTS"

/// Purpose of the stream of what happens *to* instrument `id` rather than what it chooses (whether
/// a sub-fund closes), so that those draws do not shift its choices.
pub fn instrument_events(id: &str) -> u64 {
    INSTRUMENT_EVENTS ^ fnv1a(id)
}

const UNCERTAIN: u64 = 0x554E_4345_5254_0000; // "UNCERT"

/// Purpose of the stream that draws the `[uncertain]` input `key` on a path: one stream per input,
/// so adding an input shifts no other input's draws, and no other stream of the path.
pub fn uncertain_input(key: &str) -> u64 {
    UNCERTAIN ^ fnv1a(key)
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
pub fn splitmix64(z: u64) -> u64 {
    mix(z.wrapping_add(GOLDEN))
}

/// The key of `purpose` on path `path` of a run seeded with `seed`.
pub fn key(seed: u64, path: u64, purpose: u64) -> u64 {
    splitmix64(splitmix64(splitmix64(seed) ^ path) ^ purpose.wrapping_mul(0xD605_BBB5_8C8A_BF57))
}

/// The generator for `purpose` on path `path` of a run seeded with `seed`.
pub fn stream(seed: u64, path: u64, purpose: u64) -> Stream {
    // `seed_from_u64` expands the key with SplitMix64 into the 256-bit state.
    Stream {
        bits: Xoshiro256PlusPlus::seed_from_u64(key(seed, path, purpose)),
    }
}

/// SplitMix64's mixing function alone.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform on `[0, 1)` with 53 random bits.
#[inline]
pub fn uniform(rng: &mut impl Bits) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Standard normal by the ziggurat method (Marsaglia & Tsang 2000, in Doornik's ZIGNOR form, 2005)
/// with 128 layers: 98.8% of draws cost one 64-bit draw, a table look-up and a comparison; the rest
/// fall back to exact rejection steps that call `libm`'s `exp`/`ln`. The layer index takes the low
/// 7 bits and the uniform the high 53 bits of the same draw, so they are independent (the flaw of the
/// original 2000 code, which reused bits, does not arise).
///
/// The common case is inlined into every caller; the rest ([`normal_rejected`]) is a call of its
/// own, so the inlined part saves and restores no registers.
#[inline(always)]
pub fn normal(rng: &mut impl Bits) -> f64 {
    let (i, u) = layer_and_uniform(rng.next_u64());
    match in_rectangle(i, u) {
        Some(draw) => draw,
        None => normal_rejected(rng, i, u),
    }
}

/// The draw `u · x[i]` if `(i, u)` falls inside layer `i`'s rectangle, which lies under the curve.
#[inline(always)]
fn in_rectangle(i: usize, u: f64) -> Option<f64> {
    (u.abs() < ZIGGURAT.ratio[i]).then(|| u * ZIGGURAT.x[i])
}

/// The layer index (low 7 bits) and the uniform on `(-1, 1)` (high 53 bits) of a ziggurat draw.
#[inline(always)]
fn layer_and_uniform(bits: u64) -> (usize, f64) {
    let i = (bits & 0x7f) as usize;
    let u = 2.0 * ((bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) - 1.0;
    (i, u)
}

/// [`normal`] after a draw `(i, u)` that fell outside its layer's rectangle: the tail, or the
/// wedge's exact test, then fresh draws until one is accepted.
#[inline(never)]
fn normal_rejected(rng: &mut impl Bits, mut i: usize, mut u: f64) -> f64 {
    let z = &ZIGGURAT;
    loop {
        if i == 0 {
            return normal_tail(rng, u < 0.0);
        }
        let x = u * z.x[i];
        let f0 = exp(-0.5 * (z.x[i] * z.x[i] - x * x));
        let f1 = exp(-0.5 * (z.x[i + 1] * z.x[i + 1] - x * x));
        if f1 + uniform(rng) * (f0 - f1) < 1.0 {
            return x;
        }
        (i, u) = layer_and_uniform(rng.next_u64());
        if let Some(draw) = in_rectangle(i, u) {
            return draw;
        }
    }
}

/// A draw from the normal tail beyond `R` (Marsaglia 1964).
#[cold]
fn normal_tail(rng: &mut impl Bits, negative: bool) -> f64 {
    loop {
        // 1 − uniform is in (0, 1], so the logarithms are finite.
        let x = libm::log(1.0 - uniform(rng)) / ZIG_R;
        let y = libm::log(1.0 - uniform(rng));
        if -2.0 * y >= x * x {
            return if negative { x - ZIG_R } else { ZIG_R - x };
        }
    }
}

const ZIG_LAYERS: usize = 128;
/// Start of the tail and area of each layer for 128 layers (Marsaglia & Tsang 2000).
const ZIG_R: f64 = 3.442_619_855_899;
#[cfg(test)]
const ZIG_V: f64 = 9.912_563_035_262_17e-3;

struct Ziggurat {
    /// Layer edges, `x[0] = V / f(R)` (the base layer with its tail), `x[1] = R`, …, `x[128] = 0`.
    x: [f64; ZIG_LAYERS + 1],
    /// `x[i + 1] / x[i]`: below it a draw in layer `i` is inside the rectangle under the curve.
    ratio: [f64; ZIG_LAYERS],
}

/// The layers as [`ziggurat_layers`] computes them with `libm`, written out bit for bit so that a
/// draw reads a constant table, with no check that a lazily built one is ready at every inlined
/// [`normal`]; the test `ziggurat_table_is_the_computed_one` holds the two equal.
static ZIGGURAT: Ziggurat = Ziggurat {
    x: bits(&[
        0x400db4668fe7e4a4,
        0x400b8a7c476d2be8,
        0x4009c8e0c7c8098f,
        0x4008aa73e440ffbc,
        0x4007d45eb36eb842,
        0x4007279dd4ac3f9d,
        0x400695c2be68edc9,
        0x400616dff7c8f54a,
        0x4005a61edf7e8f32,
        0x40054052012a04a4,
        0x4004e3456b0e3a1b,
        0x40048d61806d6010,
        0x40043d75b60bca1d,
        0x4003f29848d3b416,
        0x4003ac11b8e206d6,
        0x4003694f3a3740d9,
        0x400329d9725e32f7,
        0x4002ed4df8099571,
        0x4002b35aa5ebee3e,
        0x40027bba2b5dbc92,
        0x400246317a6b53c0,
        0x4002128dd36bdf09,
        0x4001e0a342cf08f6,
        0x4001b04b731f6bcc,
        0x40018164be0c1c39,
        0x400153d16d45743d,
        0x40012777201834f3,
        0x4000fc3e4d95f278,
        0x4000d211dd28b00f,
        0x4000a8ded0ec371a,
        0x40008093fe3e40e1,
        0x40005921d1c4d769,
        0x4000327a1cc4cf5e,
        0x40000c8fea1720d4,
        0x3fffceaeb2ca5f17,
        0x3fff858aff31cbf0,
        0x3fff3da097460823,
        0x3ffef6dcddc7d392,
        0x3ffeb12e91486bbc,
        0x3ffe6c85a849b015,
        0x3ffe28d331c6723c,
        0x3ffde609397e09b8,
        0x3ffda41aaf79a343,
        0x3ffd62fb52580b85,
        0x3ffd229f9bfeefda,
        0x3ffce2fcb05f8c33,
        0x3ffca4084e091e33,
        0x3ffc65b8c04dbac1,
        0x3ffc2804d2c6b16f,
        0x3ffbeae3c60cd0e4,
        0x3ffbae4d457ee119,
        0x3ffb72395df5b73b,
        0x3ffb36a075498d64,
        0x3ffafb7b428fe7a1,
        0x3ffac0c2c6fc6382,
        0x3ffa867047516e4f,
        0x3ffa4c7d45d01a31,
        0x3ffa12e37c983369,
        0x3ff9d99cd86b58b4,
        0x3ff9a0a373c73f21,
        0x3ff967f1924c7b06,
        0x3ff92f819c682bf5,
        0x3ff8f74e1b37c6b8,
        0x3ff8bf51b49ef337,
        0x3ff88787278810a6,
        0x3ff84fe9484873b9,
        0x3ff81872fd21db73,
        0x3ff7e11f3adaeb92,
        0x3ff7a9e90168b8ee,
        0x3ff772cb58a39dd6,
        0x3ff73bc14d01a2c9,
        0x3ff704c5ec50cb80,
        0x3ff6cdd4426b88a5,
        0x3ff696e755e16b84,
        0x3ff65ffa248e016d,
        0x3ff62907a0176ebf,
        0x3ff5f20aaa4dfc1a,
        0x3ff5bafe11654817,
        0x3ff583dc8bff3219,
        0x3ff54ca0b4ffd349,
        0x3ff515450720f455,
        0x3ff4ddc3d83a5b84,
        0x3ff4a617543306cd,
        0x3ff46e39778de063,
        0x3ff436240982ad9d,
        0x3ff3fdd09591d2a5,
        0x3ff3c538647ef792,
        0x3ff38c54749b9033,
        0x3ff3531d7146a43e,
        0x3ff3198ba982d911,
        0x3ff2df97057e7efb,
        0x3ff2a536fae30e33,
        0x3ff26a627fb9d120,
        0x3ff22f0ffbaa1e55,
        0x3ff1f335374a10f8,
        0x3ff1b6c7492c9735,
        0x3ff179ba80463fec,
        0x3ff13c024b2c7ec6,
        0x3ff0fd911b97f236,
        0x3ff0be58456ff4ae,
        0x3ff07e47d87a40f6,
        0x3ff03d4e7391c5b6,
        0x3feff6b21fffe318,
        0x3fef70a5866c8f45,
        0x3feee848e956826e,
        0x3fee5d6909f51b68,
        0x3fedcfccc51c59ee,
        0x3fed3f340dda611a,
        0x3fecab56ac6a38d1,
        0x3fec13e2b014e85b,
        0x3feb787a7c516f39,
        0x3fead8b2506a137a,
        0x3fea340d1baf5b16,
        0x3fe989f85c753b2a,
        0x3fe8d9c6a9d35e39,
        0x3fe822a858af0e7a,
        0x3fe763a1600eec71,
        0x3fe69b7b213f3f65,
        0x3fe5c8afdbf02177,
        0x3fe4e94c08c0bab3,
        0x3fe3fabee1911cd3,
        0x3fe2f98d6bb4f41b,
        0x3fe1e0ce6b5969af,
        0x3fe0a936da5e55a9,
        0x3fde8e576e43fbe6,
        0x3fdb4c8fece48e78,
        0x3fd73949184db9d3,
        0x3fd16db47e193e0b,
        0x0000000000000000,
    ]),
    ratio: bits(&[
        0x3fedab48848d3c16,
        0x3fedf5993967d2a6,
        0x3fee9c885d9a666b,
        0x3feeea42f70ceeac,
        0x3fef1803c6a0781b,
        0x3fef366d2afaee48,
        0x3fef4c3825de9f38,
        0x3fef5ca83ef26e1f,
        0x3fef69868793c530,
        0x3fef73e31c89895d,
        0x3fef7c6a977e305f,
        0x3fef838ffd4ec0ea,
        0x3fef89a30bcaa7bb,
        0x3fef8edcde8cde13,
        0x3fef93677b627e76,
        0x3fef97628687c107,
        0x3fef9ae64ccb1f64,
        0x3fef9e05ca2efdc3,
        0x3fefa0d00cfbb6cd,
        0x3fefa3512e9cb952,
        0x3fefa59305b35722,
        0x3fefa79da7e004a6,
        0x3fefa977c9ec13d6,
        0x3fefab27081a26dc,
        0x3fefacb01d4366f8,
        0x3fefae170d5cadc4,
        0x3fefaf5f46a24900,
        0x3fefb08bbbbc73bc,
        0x3fefb19ef88b6409,
        0x3fefb29b32d77103,
        0x3fefb38257d095ff,
        0x3fefb456170e2019,
        0x3fefb517eb94bd58,
        0x3fefb5c92349c858,
        0x3fefb66ae52354db,
        0x3fefb6fe3652f8b4,
        0x3fefb783fe9c00d0,
        0x3fefb7fd0bfb9735,
        0x3fefb86a15c1886f,
        0x3fefb8cbbf324034,
        0x3fefb92299c5d1df,
        0x3fefb96f271420e9,
        0x3fefb9b1da7b43fc,
        0x3fefb9eb1a8ade0c,
        0x3fefba1b423d4107,
        0x3fefba42a205a48c,
        0x3fefba6180b97b60,
        0x3fefba781c59edc6,
        0x3fefba86aac1a8c1,
        0x3fefba8d5a3a81cb,
        0x3fefba8c51fddb9d,
        0x3fefba83b2a23e8e,
        0x3fefba7396782fc8,
        0x3fefba5c11d7fba4,
        0x3fefba3d3361dd1b,
        0x3fefba170431ac58,
        0x3fefb9e9880706ab,
        0x3fefb9b4bd62b198,
        0x3fefb9789d99cec9,
        0x3fefb9351cdf4f98,
        0x3fefb8ea2a43f27a,
        0x3fefb897afacf29c,
        0x3fefb83d91c1719a,
        0x3fefb7dbafce8335,
        0x3fefb771e3a1a365,
        0x3fefb70001593e79,
        0x3fefb685d72ad163,
        0x3fefb6032d1e0430,
        0x3fefb577c4bbfa39,
        0x3fefb4e358b1e8d0,
        0x3fefb4459c65d654,
        0x3fefb39e3b7c2e57,
        0x3fefb2ecd94c9ba2,
        0x3fefb23110445454,
        0x3fefb16a7133b4f5,
        0x3fefb0988284ac3d,
        0x3fefafbabf570e44,
        0x3fefaed0967f6925,
        0x3fefadd96964622e,
        0x3fefacd48ab5f4e1,
        0x3fefabc13cf91f8f,
        0x3fefaa9eb0e19352,
        0x3fefa96c0371d81a,
        0x3fefa8283bd8f44d,
        0x3fefa6d24902fe34,
        0x3fefa568fecff9b7,
        0x3fefa3eb12e1f177,
        0x3fefa25718f03b34,
        0x3fefa0ab7e8a2982,
        0x3fef9ee6862ee1b5,
        0x3fef9d06419a6a63,
        0x3fef9b088b20ff67,
        0x3fef98eafde8e73b,
        0x3fef96aaecc7e5e7,
        0x3fef9445577b49f4,
        0x3fef91b6dddf8427,
        0x3fef8efbb0b5013f,
        0x3fef8c0f7f61e36f,
        0x3fef88ed61f8e779,
        0x3fef858fbe99f8ad,
        0x3fef81f028fc2adf,
        0x3fef7e073a948fe3,
        0x3fef79cc61506b25,
        0x3fef7535a22e3d3f,
        0x3fef70374c1451aa,
        0x3fef6ac395f78bd5,
        0x3fef64ca218dbb22,
        0x3fef5e37591f6ccf,
        0x3fef56f39b2b0508,
        0x3fef4ee220c3043f,
        0x3fef45df82cd25b9,
        0x3fef3bbfb4b67d61,
        0x3fef304b35b5d591,
        0x3fef233b16d764d8,
        0x3fef143339d7d789,
        0x3fef02b9c88c7353,
        0x3feeee2a3186b514,
        0x3feed5a0a98bc7cd,
        0x3feeb7d8a7ccd9ed,
        0x3fee92f39746c228,
        0x3fee641170f50caf,
        0x3fee26896f5fbf47,
        0x3fedd2487adcb4e3,
        0x3fed58014742e543,
        0x3fec96d1a883d303,
        0x3feb3911e9b8053b,
        0x3fe803c6d4f93b41,
        0x0000000000000000,
    ]),
};

/// `f64`s from their bit patterns.
const fn bits<const N: usize>(b: &[u64; N]) -> [f64; N] {
    let mut out = [0.0; N];
    let mut i = 0;
    while i < N {
        out[i] = f64::from_bits(b[i]);
        i += 1;
    }
    out
}

/// The layers: `x` from the recurrence of Marsaglia & Tsang with `libm`, and their ratios.
#[cfg(test)]
fn ziggurat_layers() -> Ziggurat {
    let mut x = [0.0; ZIG_LAYERS + 1];
    let mut f = libm::exp(-0.5 * ZIG_R * ZIG_R);
    x[0] = ZIG_V / f;
    x[1] = ZIG_R;
    for i in 2..ZIG_LAYERS {
        x[i] = (-2.0 * libm::log(ZIG_V / x[i - 1] + f)).sqrt();
        f = libm::exp(-0.5 * x[i] * x[i]);
    }
    x[ZIG_LAYERS] = 0.0;
    let ratio = std::array::from_fn(|i| x[i + 1] / x[i]);
    Ziggurat { x, ratio }
}

/// Gamma draw of shape `alpha ≥ 1` and scale 1 (Marsaglia & Tsang 2000): a normal cubed and
/// accepted with a squeeze, else by the exact log test (`libm::log`).
pub fn gamma(rng: &mut impl Bits, alpha: f64) -> f64 {
    debug_assert!(alpha >= 1.0);
    let d = alpha - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        // 1 − uniform is in (0, 1], so the logarithm is finite.
        let u = 1.0 - uniform(rng);
        if u < 1.0 - 0.0331 * x * x * x * x
            || libm::log(u) < 0.5 * x * x + d * (1.0 - v + libm::log(v))
        {
            return d * v;
        }
    }
}

/// Uniform integer in `[lo, hi]`.
#[inline]
pub fn int_between(rng: &mut impl Bits, lo: u32, hi: u32) -> u32 {
    lo + index_below(rng, (hi - lo) as usize + 1) as u32
}

/// Uniform index in `[0, n)`, `n > 0`: the high word of a 64 × 64-bit product (Lemire 2019, without
/// the rejection step; the bias is below `n / 2^64`).
#[inline]
pub fn index_below(rng: &mut impl Bits, n: usize) -> usize {
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

/// `e^x`, identical on every platform: the table method of [`crate::exp`] (within 0.52 ulp,
/// more accurate than `libm::exp` and quicker in a chain of dependent draws; it calls `libm::exp`
/// outside `|x| ≤ 700`).
#[inline]
pub fn exp(x: f64) -> f64 {
    crate::exp::exp(x)
}

/// Poisson draw by inversion, in independent pieces of mean at most 30 so that `e^{-λ}` stays far from
/// underflow and the search stays short (a sum of independent Poissons is Poisson).
pub fn poisson(rng: &mut impl Bits, lambda: f64) -> u64 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    let pieces = (lambda / 30.0).ceil().max(1.0);
    let part = lambda / pieces;
    let p0 = exp(-part);
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
    fn ziggurat_table_is_the_computed_one() {
        let (table, computed) = (&ZIGGURAT, ziggurat_layers());
        let as_bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(as_bits(&table.x), as_bits(&computed.x));
        assert_eq!(as_bits(&table.ratio), as_bits(&computed.ratio));
    }

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
    fn counters_differ_by_key_year_and_purpose_and_are_uniform() {
        let first = |key: u64, year: usize, p: u64| counter(key, year_salt(year), p).next_u64();
        let base = first(7, 3, purpose::TRANSITION);
        assert_eq!(base, first(7, 3, purpose::TRANSITION));
        assert_ne!(base, first(8, 3, purpose::TRANSITION));
        assert_ne!(base, first(7, 4, purpose::TRANSITION));
        assert_ne!(base, first(7, 3, purpose::REVENUE));
        assert_ne!(
            child(1, purpose::ARRIVAL, 2, 3),
            child(1, purpose::ARRIVAL, 3, 2)
        );
        // First uniforms of 200 000 firm-years with consecutive serials (the worst case for a weak
        // mix): mean 1/2 (SE √(1/12/n) = 0.00065), share below 0.1 is 0.1 (SE 0.00067), and the
        // lag-1 correlation between neighbouring firms is 0 (SE 1/√n = 0.0022); 4 SE each.
        let n = 200_000;
        let parent = 0xDEAD_BEEF;
        let u: Vec<f64> = (0..n)
            .map(|j| {
                let key = child(parent, purpose::ARRIVAL, 5, j);
                uniform(&mut counter(key, year_salt(2), purpose::TRANSITION))
            })
            .collect();
        let nf = n as f64;
        let mean = u.iter().sum::<f64>() / nf;
        let low = u.iter().filter(|&&x| x < 0.1).count() as f64 / nf;
        let corr = u
            .windows(2)
            .map(|w| (w[0] - 0.5) * (w[1] - 0.5))
            .sum::<f64>()
            / nf
            * 12.0;
        assert!((mean - 0.5).abs() < 4.0 * 0.00065, "mean {mean}");
        assert!((low - 0.1).abs() < 4.0 * 0.00067, "low {low}");
        assert!(corr.abs() < 4.0 * 0.0022, "lag-1 correlation {corr}");
    }

    #[test]
    fn normal_distribution_function() {
        // Share of 400 000 draws below each point against Φ (scipy.stats.norm.cdf), within 4 SE
        // √(Φ(1−Φ)/n); the points reach the tail beyond R = 3.4426 that the ziggurat draws
        // separately.
        let mut r = stream(11, 2, 9);
        let n = 400_000;
        let xs: Vec<f64> = (0..n).map(|_| normal(&mut r)).collect();
        let cases = [
            (-3.8, 7.234_804_392_511_998e-5),
            (-3.0, 1.349_898_031_630_093_3e-3),
            (-1.5, 6.680_720_126_885_807e-2),
            (-0.3, 3.820_885_778_110_474e-1),
            (0.0, 0.5),
            (0.7, 7.580_363_477_769_27e-1),
            (2.2, 9.860_965_524_865_014e-1),
            (3.6, 9.998_408_914_098_424e-1),
        ];
        for (x, phi) in cases {
            let share = xs.iter().filter(|&&v| v < x).count() as f64 / n as f64;
            let se = (phi * (1.0 - phi) / n as f64).sqrt();
            assert!(
                (share - phi).abs() < 4.0 * se,
                "P(Z < {x}) = {share}, Φ = {phi}"
            );
        }
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
