//! A mergeable quantile sketch for integer values (fen or counts), exact where values are small.
//!
//! Yearly fan charts need percentiles of every metric in every year over millions of paths, more
//! than we want to keep in memory. Values are integers; each is put in a bucket:
//! - `|v| ≤ 2^16`: its own bucket, so counts (firms, unicorns, deals) are exact;
//! - larger: a logarithmic bucket `⌈log_γ(|v| / 2^16)⌉` with `γ = (1+α)/(1−α)`, `α = 0.001`,
//!   represented by `2^16 · 2γ^k/(γ+1)`, within 0.1% of every value in it (DDSketch, Masson, Rim &
//!   Lee, VLDB 2019).
//!
//! Counts are integers, so merging sketches is exact and order-free: any split of the paths into
//! chunks or shards gives the same sketch, bit for bit. The quantile at level `q` interpolates
//! linearly between the order statistics at ranks `⌊h⌋` and `⌈h⌉`, `h = (n−1)q` (Hyndman–Fan type 7,
//! the spreadsheet `PERCENTILE.INC`), as the exact percentiles of `summary.csv` do. Each order
//! statistic is within 0.1% of the value it stands for, so an interpolated quantile is within
//! `α · max(|x_lo|, |x_hi|)` of the exact one (not 0.1% of itself when the two have opposite signs).

const EXACT_LIMIT: i64 = 1 << 16;
const ALPHA: f64 = 0.001;

const GAMMA: f64 = (1.0 + ALPHA) / (1.0 - ALPHA);
/// `1 / ln γ`, with `ln γ = 2·atanh(α) = 2(α + α³/3 + α⁵/5 + …)` (the series is exact to f64 here).
const INV_LN_GAMMA: f64 = 1.0
    / (2.0 * (ALPHA + ALPHA * ALPHA * ALPHA / 3.0 + ALPHA * ALPHA * ALPHA * ALPHA * ALPHA / 5.0));

/// Bucket key: exact integers in `[-2^16, 2^16]`, logarithmic buckets beyond, ordered like values.
fn key(v: i64) -> i64 {
    let a = v.unsigned_abs() as i64;
    if a <= EXACT_LIMIT {
        return v;
    }
    let k = log_bucket(a as f64 / EXACT_LIMIT as f64).max(1);
    if v > 0 {
        EXACT_LIMIT + k
    } else {
        -(EXACT_LIMIT + k)
    }
}

/// `⌈ln(x)·INV_LN_GAMMA⌉` for `x > 1` exactly as `libm::log` gives it (the definition the keys
/// have always had), mostly without calling it: a sketch's keys are a few per cent of a run's time,
/// and `libm::log` was most of theirs.
///
/// `ln x = e·ln 2 + ln(1/c_j) + ln(1 + r)` with `x = 2^e·m`, `c_j` the reciprocal nearest the
/// middle of `m`'s 1/256 of `[1, 2)` and `r = m·c_j − 1`, `|r| ≤ 2^-9`: four terms of the series
/// leave out at most `|r|^5/5 < 6·10^-15`, and the sum's rounding errors are a few units in the
/// last place of numbers below 45 (`x < 2^63`), so this `ln x` is within `5·10^-14` of the true
/// one, and `t = ln x · INV_LN_GAMMA` (about 500·ln x) within `3·10^-11`. `libm::log` is within one
/// unit in the last place of the truth, so its `t` is too (within `5·10^-12`, with the product's
/// rounding). Where `t` is more than [`LOG_MARGIN`], 300 times the two errors together, from every
/// integer, both round up to the same integer; nearer (about one value in fifty million), `libm`
/// decides. `log_bucket_matches_libm` checks it at every bucket's edge and on random values.
#[inline]
fn log_bucket(x: f64) -> i64 {
    debug_assert!(x > 1.0 && x < 1e20);
    let bits = x.to_bits();
    let e = ((bits >> 52) as i64 - 1023) as f64;
    let j = ((bits >> 44) & 0xFF) as usize;
    let m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    let (c, ln_c) = LOG_TABLE[j];
    let r = m * c - 1.0;
    let ln1p = r * (1.0 - r * (0.5 - r * (1.0 / 3.0 - r * 0.25)));
    let t = (e * std::f64::consts::LN_2 - ln_c + ln1p) * INV_LN_GAMMA;
    let (lo, hi) = ((t - LOG_MARGIN).ceil(), (t + LOG_MARGIN).ceil());
    if lo == hi {
        lo as i64
    } else {
        (libm::log(x) * INV_LN_GAMMA).ceil() as i64
    }
}

/// How near an integer [`log_bucket`]'s `t` must be for `libm::log` to decide.
const LOG_MARGIN: f64 = 1e-8;

/// For each 1/256 of `[1, 2)`: `c_j`, the reciprocal of its middle, and `ln c_j`.
static LOG_TABLE: [(f64, f64); 256] = log_table();

const fn log_table() -> [(f64, f64); 256] {
    let mut t = [(0.0, 0.0); 256];
    let mut j = 0;
    while j < 256 {
        let c = 1.0 / (1.0 + (j as f64 + 0.5) / 256.0);
        t[j] = (c, ln_const(c));
        j += 1;
    }
    t
}

/// `ln c` for `c` in `[1/2, 1]` at compile time: `2·atanh(s)`, `s = (c − 1)/(c + 1)`, `|s| ≤ 1/3`,
/// summed until the terms vanish (within a few units in the last place).
const fn ln_const(c: f64) -> f64 {
    let s = (c - 1.0) / (c + 1.0);
    let s2 = s * s;
    let (mut sum, mut power, mut n) = (0.0, s, 1.0);
    while power * power > 1e-40 {
        sum += power / n;
        power *= s2;
        n += 2.0;
    }
    2.0 * sum
}

/// Takes a little-endian u64 from the front of `bytes`.
pub(crate) fn take_u64(bytes: &mut &[u8]) -> Option<u64> {
    let (head, rest) = bytes.split_first_chunk::<8>()?;
    *bytes = rest;
    Some(u64::from_le_bytes(*head))
}

/// The representative value of a bucket.
fn value(key: i64) -> f64 {
    let a = key.abs();
    if a <= EXACT_LIMIT {
        return key as f64;
    }
    let g = GAMMA;
    let k = (a - EXACT_LIMIT) as f64;
    let rep = EXACT_LIMIT as f64 * 2.0 * libm::pow(g, k) / (g + 1.0);
    if key > 0 { rep } else { -rep }
}

/// Keys per page of counts.
const PAGE: i64 = 64;

/// Counts of values per bucket, in pages of [`PAGE`] consecutive keys, allocated when a key in them
/// is first counted, behind a directory of every page from the lowest counted to the highest. The
/// keys of one metric-year cluster (money spans a few hundred to a few thousand logarithmic
/// buckets, counts a few dozen integers) but often with a gap: a flow that is zero on some paths
/// and millions of fen on others has keys 0 and about 70,000, and a dense array of counts between
/// them would take half a megabyte per metric-year; the directory takes 8 bytes a page (9 KB
/// there), and only the pages with counts take 512 bytes. Adding a value is an index into the
/// directory and one into a page: two memory accesses, which matters because a run's sketches are
/// tens of megabytes and nearly every value lands where no recent one did.
///
/// The counts are of type `C`: `u64` in a run's sketches ([`Sketch`]), `u16` in the accumulators
/// of one batch of paths ([`BatchSketch`]), whose pages are then a quarter of the size, so four
/// times as many of them stay in the processor's caches while a batch is added up (a batch is
/// at most 65,535 paths, so no count can overflow; [`CountSketch::add_all`] checks it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountSketch<C: Count> {
    /// Page number (key ÷ [`PAGE`], rounded down) of `dir[0]`.
    first: i64,
    /// Pages `first, first + 1, …`, each `None` until a key in it is counted.
    dir: Vec<Option<Box<[C; PAGE as usize]>>>,
    n: u64,
}

/// A run's sketch of one metric-year: counts of any size.
pub type Sketch = CountSketch<u64>;

/// The sketch of one metric-year over one batch of paths (at most 65,535), added to the run's
/// [`Sketch`] with [`CountSketch::absorb`] once the batch is done.
pub type BatchSketch = CountSketch<u16>;

/// The type of a bucket's count.
pub trait Count: Copy + Default + Eq + std::fmt::Debug + std::ops::AddAssign + Into<u64> {
    /// The largest count.
    const MAX: u64;
    /// `c`, which the caller guarantees is at most [`Count::MAX`].
    fn from_u64(c: u64) -> Self;
}

impl Count for u64 {
    const MAX: u64 = u64::MAX;
    #[inline(always)]
    fn from_u64(c: u64) -> Self {
        c
    }
}

impl Count for u16 {
    const MAX: u64 = u16::MAX as u64;
    #[inline(always)]
    fn from_u64(c: u64) -> Self {
        debug_assert!(c <= <Self as Count>::MAX);
        c as u16
    }
}

/// Keys of [`Sketch::add_all`] looked up together: computing a block's keys first and adding them
/// after lets the processor wait for several pages' memory at once.
const BLOCK: usize = 32;

impl<C: Count> CountSketch<C> {
    pub fn add(&mut self, v: i64) {
        self.add_count(key(v), 1);
    }

    /// Adds every `step`-th value of `values` from the first (a column of a row-major table) and
    /// returns their exact sum: the same counts as [`Sketch::add`] one by one, faster (a run of
    /// equal values is counted at once, and keys are computed a block at a time before they are
    /// counted).
    pub fn add_all(&mut self, values: &[i64], step: usize) -> i128 {
        let mut values = values.iter().step_by(step).copied();
        let Some(mut v) = values.next() else {
            return 0;
        };
        let mut sum = i128::from(v);
        let mut run = 1;
        let mut block = [(0i64, 0u64); BLOCK];
        let mut len = 0;
        for x in values {
            sum += i128::from(x);
            if x == v {
                run += 1;
                continue;
            }
            block[len] = (key(v), run);
            len += 1;
            if len == BLOCK {
                self.add_counts(&block);
                len = 0;
            }
            (v, run) = (x, 1);
        }
        block[len] = (key(v), run);
        self.add_counts(&block[..len + 1]);
        Self::check_counts(self.n);
        sum
    }

    /// Panics unless `n` values fit the counts' type. No bucket holds more than all of a sketch's
    /// values, so a sketch of at most [`Count::MAX`] values has no count that overflowed.
    #[inline]
    fn check_counts(n: u64) {
        assert!(
            n <= C::MAX,
            "a sketch of {n} values in counts of at most {}",
            C::MAX
        );
    }

    /// Adds each count `c` to the count of its key `k`.
    #[inline]
    fn add_counts(&mut self, block: &[(i64, u64)]) {
        for &(k, c) in block {
            self.add_count(k, c);
        }
    }

    /// Adds `c` to the count of key `k`.
    #[inline(always)]
    fn add_count(&mut self, k: i64, c: u64) {
        let page = k.div_euclid(PAGE);
        // A page already counted in (nearly every value after a sketch's first few): one index
        // into the directory, inlined; a new page is a call.
        let at = page.wrapping_sub(self.first) as u64 as usize;
        match self.dir.get_mut(at) {
            Some(Some(counts)) => counts[(k - page * PAGE) as usize] += C::from_u64(c),
            _ => self.add_count_new_page(k, c),
        }
        self.n += c;
    }

    /// [`Sketch::add_count`]'s count of key `k` on a page not yet counted in.
    #[cold]
    #[inline(never)]
    fn add_count_new_page(&mut self, k: i64, c: u64) {
        let page = k.div_euclid(PAGE);
        let counts = self
            .slot(page)
            .get_or_insert_with(|| Box::new([C::default(); PAGE as usize]));
        counts[(k - page * PAGE) as usize] += C::from_u64(c);
    }

    /// The directory's entry for page `page`, the directory grown to reach it.
    #[inline]
    fn slot(&mut self, page: i64) -> &mut Option<Box<[C; PAGE as usize]>> {
        if self.dir.is_empty() {
            self.first = page;
        }
        if page < self.first {
            let extra = (self.first - page) as usize;
            self.dir
                .splice(0..0, std::iter::repeat_with(|| None).take(extra));
            self.first = page;
        }
        let at = (page - self.first) as usize;
        if at >= self.dir.len() {
            self.dir.resize_with(at + 1, || None);
        }
        &mut self.dir[at]
    }

    pub fn merge(&mut self, other: &Self) {
        for (k, c) in other.buckets() {
            self.add_count(k, c);
        }
    }

    /// [`Sketch::merge`] of a sketch no longer needed: the same counts and the same pages, but a
    /// page only `other` has moves over instead of being added to a new one, and an empty `self`
    /// takes `other` whole (the per-batch accumulators of a run merge this way).
    pub fn merge_owned(&mut self, other: Self) {
        if self.n == 0 {
            *self = other;
            return;
        }
        Self::check_counts(self.n + other.n);
        let first = other.first;
        for (at, page) in other.dir.into_iter().enumerate() {
            let Some(page) = page else { continue };
            let slot = self.slot(first + at as i64);
            match slot {
                Some(counts) => {
                    for (a, b) in counts.iter_mut().zip(page.iter()) {
                        *a += *b;
                    }
                }
                None => *slot = Some(page),
            }
        }
        self.n += other.n;
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// Non-empty buckets in increasing key order.
    fn buckets(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        (self.dir.iter().enumerate())
            .filter_map(|(at, counts)| Some(((self.first + at as i64) * PAGE, counts.as_ref()?)))
            .flat_map(|(start, counts)| {
                (counts.iter().enumerate()).map(move |(i, &c)| (start + i as i64, c.into()))
            })
            .filter(|(_, c)| *c > 0)
    }
}

impl Sketch {
    /// Adds a batch's counts: the same counts as adding the batch's values here one by one.
    pub fn absorb(&mut self, other: &BatchSketch) {
        let first = other.first;
        for (at, page) in other.dir.iter().enumerate() {
            let Some(page) = page else { continue };
            let counts =
                (self.slot(first + at as i64)).get_or_insert_with(|| Box::new([0; PAGE as usize]));
            for (a, &b) in counts.iter_mut().zip(page.iter()) {
                *a += u64::from(b);
            }
        }
        self.n += other.n;
    }

    /// Appends the sketch to `out` as bytes (a shard's partial result, `crate::shard`): the number
    /// of non-empty buckets, then each bucket's key and count, little-endian. Decoding and merging
    /// give back the same counts, so a merged run's percentiles are the single run's.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let buckets: Vec<(i64, u64)> = self.buckets().collect();
        out.extend_from_slice(&(buckets.len() as u64).to_le_bytes());
        for (k, c) in buckets {
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&c.to_le_bytes());
        }
    }

    /// Reads a sketch written by [`Sketch::encode`] from the front of `bytes`, advancing it; `None`
    /// if the bytes end early or a key is out of order or beyond any key [`key`] makes (below
    /// 2^17: values reach at most 2^16 + 16,400 logarithmic buckets).
    pub fn decode(bytes: &mut &[u8]) -> Option<Sketch> {
        let n = take_u64(bytes)?;
        let mut sketch = Sketch::default();
        let mut last: Option<i64> = None;
        for _ in 0..n {
            let k = take_u64(bytes)? as i64;
            let c = take_u64(bytes)?;
            let ordered = last.is_none_or(|l| k > l);
            if !ordered || c == 0 || k.unsigned_abs() > 2 * EXACT_LIMIT as u64 {
                return None;
            }
            sketch.n.checked_add(c)?;
            sketch.add_count(k, c);
            last = Some(k);
        }
        Some(sketch)
    }

    /// Quantiles at sorted levels `qs` (each in [0, 1]); `NaN` if empty.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<f64> {
        if self.n == 0 {
            return vec![f64::NAN; qs.len()];
        }
        // Ranks needed, in increasing order.
        let mut wanted: Vec<(u64, u64, f64)> = qs
            .iter()
            .map(|&q| {
                let h = (self.n - 1) as f64 * q;
                let lo = h.floor() as u64;
                (lo, (lo + 1).min(self.n - 1), h - lo as f64)
            })
            .collect();
        let mut ranks: Vec<u64> = wanted.iter().flat_map(|w| [w.0, w.1]).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let mut at = Vec::with_capacity(ranks.len());
        let mut seen = 0u64;
        let mut it = ranks.iter().peekable();
        for (k, c) in self.buckets() {
            seen += c;
            while let Some(&&r) = it.peek() {
                if r < seen {
                    at.push((r, value(k)));
                    it.next();
                } else {
                    break;
                }
            }
        }
        let lookup = |r: u64| at.iter().find(|(rr, _)| *rr == r).map(|x| x.1).unwrap();
        wanted
            .drain(..)
            .map(|(lo, hi, frac)| {
                let a = lookup(lo);
                if frac == 0.0 {
                    a
                } else {
                    a + (lookup(hi) - a) * frac
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::quantile_sorted;

    #[test]
    fn the_series_constant_is_one_over_ln_gamma() {
        let direct = 1.0 / libm::log(GAMMA);
        assert!(
            (INV_LN_GAMMA - direct).abs() <= 1e-12 * direct,
            "{INV_LN_GAMMA} vs {direct}"
        );
    }

    /// The fast path's bucket is `libm`'s: at the first and last values of every bucket up to
    /// the largest amount a run can hold (`x` from just above 1 to 2^47, `i64` fen over 2^16) and
    /// their neighbours, and at two million random values spread evenly in `ln x`.
    #[test]
    fn log_bucket_matches_libm() {
        let by_libm = |x: f64| (libm::log(x) * INV_LN_GAMMA).ceil() as i64;
        let mut checked = 0;
        let mut check = |x: f64| {
            if x > 1.0 && x < 1e20 {
                assert_eq!(log_bucket(x), by_libm(x), "x = {x:e} ({:#x})", x.to_bits());
                checked += 1;
            }
        };
        // Each bucket's edge γ^k, found by bisection on the bits, and the values either side.
        let last = (47.0 * std::f64::consts::LN_2 * INV_LN_GAMMA).ceil() as i64;
        for k in 1..=last {
            let (mut lo, mut hi) = (1.0f64.to_bits(), 2f64.powi(48).to_bits());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if by_libm(f64::from_bits(mid)) > k {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            for b in lo.saturating_sub(3)..=hi + 3 {
                check(f64::from_bits(b));
            }
        }
        // Random values, and integers of fen as `key` sees them.
        let mut z: u64 = 0x1234_5678;
        for _ in 0..2_000_000 {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (z >> 11) as f64 / (1u64 << 53) as f64;
            check((u * 47.0 * std::f64::consts::LN_2).exp());
            check(((z >> 1) as i64) as f64 / EXACT_LIMIT as f64);
        }
        assert!(checked > 4_000_000, "{checked}");
    }

    #[test]
    fn small_integers_are_exact() {
        let mut s = Sketch::default();
        let xs: Vec<i64> = (0..1001).map(|i| (i * 7919) % 37 - 5).collect();
        for &x in &xs {
            s.add(x);
        }
        let mut sorted: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
        sorted.sort_by(f64::total_cmp);
        let qs = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0];
        let got = s.quantiles(&qs);
        for (q, g) in qs.iter().zip(got) {
            assert_eq!(g, quantile_sorted(&sorted, *q), "q={q}");
        }
    }

    #[test]
    fn large_values_within_relative_accuracy() {
        let mut s = Sketch::default();
        let xs: Vec<i64> = (1..=5000)
            .map(|i| i * 1_000_003 * if i % 3 == 0 { -1 } else { 1 })
            .collect();
        for &x in &xs {
            s.add(x);
        }
        let mut sorted: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
        sorted.sort_by(f64::total_cmp);
        for q in [0.05, 0.25, 0.5, 0.75, 0.95] {
            let exact = quantile_sorted(&sorted, q);
            let got = s.quantiles(&[q])[0];
            assert!(
                ((got - exact) / exact).abs() <= 2.0 * ALPHA,
                "q={q} {got} vs {exact}"
            );
        }
    }

    #[test]
    fn merging_is_order_free() {
        let xs: Vec<i64> = (0..3000)
            .map(|i| (i * i * 104_729) % 9_999_991 - 3_000_000)
            .collect();
        let mut whole = Sketch::default();
        xs.iter().for_each(|&x| whole.add(x));
        let mut parts: Vec<Sketch> = xs
            .chunks(701)
            .map(|c| {
                let mut s = Sketch::default();
                c.iter().for_each(|&x| s.add(x));
                s
            })
            .collect();
        parts.reverse();
        let mut merged = Sketch::default();
        parts.iter().for_each(|p| merged.merge(p));
        assert_eq!(merged, whole);
        // And in the other order, starting from the largest values (the directory grows downwards).
        let mut back = Sketch::default();
        parts.iter().rev().for_each(|p| back.merge(p));
        assert_eq!(back, whole);
        // Merging sketches no longer needed (pages moved, not added) gives the same sketch, page
        // for page, in either order and into a sketch that already has counts.
        for order in [false, true] {
            let mut owned = Sketch::default();
            let mut todo = parts.clone();
            if order {
                todo.reverse();
            }
            todo.into_iter().for_each(|p| owned.merge_owned(p));
            assert_eq!(owned, whole);
        }
        let (mut first, mut rest) = (parts[2].clone(), Sketch::default());
        for (i, p) in parts.iter().enumerate() {
            if i != 2 {
                rest.merge(p);
            }
        }
        first.merge_owned(rest);
        assert_eq!(first, whole);
    }

    #[test]
    fn adding_all_at_once_counts_as_adding_one_by_one() {
        // Runs of equal values (zeros, repeated amounts), values on both sides of zero and across
        // the exact and logarithmic ranges, in lengths around the block size: the same sketch,
        // and its quantiles, as one `add` per value.
        let mut state = 7u64;
        for len in [0usize, 1, 2, 31, 32, 33, 64, 65, 1000] {
            let xs: Vec<i64> = (0..len)
                .map(|i| {
                    state = crate::rng::splitmix64(state);
                    match state % 4 {
                        0 => 0,
                        1 => (state >> 40) as i64 - (1 << 23),
                        2 => (state >> 4) as i64 % 1_000_000_000_000,
                        _ => (i / 7) as i64,
                    }
                })
                .collect();
            let mut one = Sketch::default();
            xs.iter().for_each(|&x| one.add(x));
            let mut all = Sketch::default();
            let sum = all.add_all(&xs, 1);
            assert_eq!(all, one, "{len} values");
            assert_eq!(sum, xs.iter().map(|&x| i128::from(x)).sum::<i128>());
            // Every third value, from the second: the column of a three-column table.
            let third: Vec<i64> = xs.iter().skip(1).step_by(3).copied().collect();
            let mut one_by_one = Sketch::default();
            third.iter().for_each(|&x| one_by_one.add(x));
            let mut strided = Sketch::default();
            let sum = strided.add_all(xs.get(1..).unwrap_or_default(), 3);
            assert_eq!(strided, one_by_one, "{len} values, every third");
            assert_eq!(sum, third.iter().map(|&x| i128::from(x)).sum::<i128>());
            assert_eq!(all.count(), len as u64);
            let qs = [0.0, 0.05, 0.5, 0.95, 1.0];
            let (a, b) = (all.quantiles(&qs), one.quantiles(&qs));
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }

    #[test]
    fn batches_absorbed_count_as_their_values_added() {
        // Three batches in small counts (the first starting below the run's lowest page, the
        // last above its highest, so the run's directory grows both ways), absorbed into a run's
        // sketch that already has counts: the same sketch, page for page, as every value added
        // to it one by one.
        let mut state = 11u64;
        let mut draw = |n: usize, shift: i64| -> Vec<i64> {
            (0..n)
                .map(|i| {
                    state = crate::rng::splitmix64(state);
                    match state % 3 {
                        0 => 0,
                        1 => shift + (state >> 44) as i64,
                        _ => shift * (i as i64 % 5),
                    }
                })
                .collect()
        };
        let before = draw(500, 1_000);
        let batches = [
            draw(700, -9_000_000),
            draw(900, 40),
            draw(800, 7_000_000_000),
        ];
        let mut one_by_one = Sketch::default();
        let mut run = Sketch::default();
        for &x in &before {
            one_by_one.add(x);
            run.add(x);
        }
        for xs in &batches {
            xs.iter().for_each(|&x| one_by_one.add(x));
            let mut batch = BatchSketch::default();
            // Two strided columns of the batch, as a run's pending values are added.
            let sum = batch.add_all(xs, 2) + batch.add_all(&xs[1..], 2);
            assert_eq!(sum, xs.iter().map(|&x| i128::from(x)).sum::<i128>());
            assert_eq!(batch.count(), xs.len() as u64);
            run.absorb(&batch);
        }
        assert_eq!(run, one_by_one);
        assert_eq!(run.count(), 2_900);
    }

    #[test]
    fn a_batch_holds_as_many_equal_values_as_its_counts_do() {
        // 65,535 equal values: one bucket counted to u16::MAX, exact once absorbed.
        let zeros = vec![0i64; u16::MAX as usize];
        let mut batch = BatchSketch::default();
        batch.add_all(&zeros, 1);
        let mut run = Sketch::default();
        run.absorb(&batch);
        assert_eq!(run.count(), 65_535);
        assert_eq!(run.quantiles(&[0.0, 1.0]), vec![0.0, 0.0]);
        // One more would wrap the count: refused, whether added or merged in.
        let more = std::panic::catch_unwind(|| {
            let mut b = batch.clone();
            b.add_all(&[0], 1);
        });
        assert!(more.is_err(), "a count past u16::MAX was accepted");
        let merged = std::panic::catch_unwind(|| {
            let (mut a, mut one) = (batch.clone(), BatchSketch::default());
            one.add(0);
            a.merge_owned(one);
        });
        assert!(merged.is_err(), "a merge past u16::MAX was accepted");
    }

    #[test]
    fn encoded_sketches_decode_to_the_same_counts() {
        let mut a = Sketch::default();
        for v in [
            -5_000_000_000i64,
            -3,
            0,
            0,
            7,
            65_536,
            65_537,
            i64::MAX,
            i64::MIN + 1,
        ] {
            a.add(v);
        }
        let mut bytes = Vec::new();
        a.encode(&mut bytes);
        Sketch::default().encode(&mut bytes);
        let mut rest = bytes.as_slice();
        assert_eq!(Sketch::decode(&mut rest), Some(a.clone()));
        assert_eq!(Sketch::decode(&mut rest), Some(Sketch::default()));
        assert!(rest.is_empty());
        // Cut short, or keys out of order: refused.
        assert_eq!(Sketch::decode(&mut &bytes[..bytes.len() - 20]), None);
        let mut swapped = Vec::new();
        swapped.extend_from_slice(&2u64.to_le_bytes());
        for k in [5i64, 3] {
            swapped.extend_from_slice(&k.to_le_bytes());
            swapped.extend_from_slice(&1u64.to_le_bytes());
        }
        assert_eq!(Sketch::decode(&mut swapped.as_slice()), None);
    }
}
