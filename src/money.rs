//! Exact money and rates, parsed in one place.
//!
//! Scenario files write amounts as plain yuan (`2000000`), or with the Chinese units 万 (1e4) and
//! 亿 (1e8) and an optional trailing 元: `"200万"`, `"1.5亿"`, `"3000万元"`. Rates are written as
//! fractions (`0.3`) or percentages (`"30%"`). Everything is parsed straight into
//! [`rust_decimal::Decimal`], never through `f64`.
//!
//! A bare TOML float (`0.3`) reaches us as an `f64`. We recover its literal from the shortest decimal
//! string that round-trips to the same `f64` (Rust's `Display` for `f64`). Any decimal literal with at
//! most 15 significant digits maps to a distinct `f64` (IEEE 754 guarantees 15 digits survive the round
//! trip), so for such literals this is exact; longer literals are rejected with a request to quote them.
//!
//! The simulation's hot loop books cash in integer fen ([`Fen`]); [`to_fen`] is the one conversion from
//! policy amounts, and [`RateFen::apply`] splits a fen amount by an exact rate.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::str::FromStr;

/// Cash in integer fen (1 yuan = 100 fen). Sums of fen are exact, so cash conservation is exact.
pub type Fen = i64;

/// Fen per yuan.
pub const FEN_PER_YUAN: i64 = 100;

/// An amount of money in yuan, exact, and whether the file wrote it as a bare number (`200`,
/// `"200"`: no 元, 万 or 亿), which validation uses to catch `amount = 200` meant as 200万. The flag
/// takes no part in comparisons: two amounts are equal when their yuan are.
#[derive(Debug, Clone, Copy, Default)]
pub struct Money(pub Decimal, pub Bare);

/// Whether an amount was written as a bare integer or a string without a unit (a TOML float, as
/// the draws of `[uncertain]` are set, is not counted as bare).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bare(pub bool);

impl PartialEq for Money {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Money {}

impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Money {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl Money {
    /// An amount of `yuan`, not written by a file.
    pub fn of(yuan: Decimal) -> Self {
        Money(yuan, Bare(false))
    }
}

/// A rate or share, exact, as a fraction (`"30%"` is 0.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Rate(pub Decimal);

/// A plain decimal number that may be written with units (a threshold of `"50亿"` or `300`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Quantity(pub Decimal);

/// Why a money or rate literal could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(
        "`{0}` is not an amount: write yuan as a number, or with 万/亿 as in \"200万\", \"1.5亿\", \"3000万元\""
    )]
    Money(String),
    #[error("`{0}` is not a rate: write a fraction like 0.3 or a percentage like \"30%\"")]
    Rate(String),
    #[error(
        "the number {0} has more than 15 significant digits and cannot be read exactly: quote it as a string"
    )]
    TooPrecise(String),
    #[error("`{0}` is not a number: write e.g. 12, 0.3, \"30%\", \"200万\" or \"1.5亿\"")]
    Value(String),
    #[error("`{0}` is not a finite number")]
    NotFinite(String),
    #[error("the number {0} is too large to read exactly (at most 7.9e28 in magnitude)")]
    TooLarge(String),
}

/// Whether `text` writes an amount with its unit: 元, 万, 亿 or a yuan sign (else it is bare).
pub fn has_unit(text: &str) -> bool {
    text.contains(['元', '万', '亿', '¥', '￥'])
}

/// Parses an amount in yuan: `"1234.5"`, `"200万"`, `"1.5亿"`, `"3000万元"`, `"12元"`, `"1,000万"`,
/// `"￥2400万"`.
pub fn parse_money(text: &str) -> Result<Decimal, ParseError> {
    let err = || ParseError::Money(text.to_string());
    // A yuan sign in front (half- or full-width, as a Chinese keyboard types it) says what 元
    // behind says.
    let mut s: String = (text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_start()
        .chars())
    .filter(|c| *c != ',' && *c != '_')
    .collect();
    if let Some(stripped) = s.strip_suffix('元') {
        s = stripped.trim_end().to_string();
    }
    let (number, multiplier) = if let Some(n) = s.strip_suffix('万') {
        (n.trim_end(), Decimal::from(10_000))
    } else if let Some(n) = s.strip_suffix('亿') {
        (n.trim_end(), Decimal::from(100_000_000))
    } else {
        (s.as_str(), Decimal::ONE)
    };
    let value = parse_plain(number).ok_or_else(err)?;
    value.checked_mul(multiplier).ok_or_else(err)
}

/// An amount in a cell of a spreadsheet's CSV export: as [`parse_money`], or a number in
/// scientific notation (`8.00E+08`, as Excel writes a large number in a narrow or scientific
/// cell). Scientific notation carries no unit: it is yuan, like any bare number.
pub fn parse_exported_money(text: &str) -> Result<Decimal, ParseError> {
    parse_money(text).or_else(|e| parse_scientific(text.trim()).ok_or(e))
}

/// `8.00E+08`, `1.5e7`, `-2E-3`: a plain decimal, `e` or `E`, and a whole exponent.
fn parse_scientific(s: &str) -> Option<Decimal> {
    let (mantissa, exponent) = s.split_once(['e', 'E'])?;
    let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    parse_plain(mantissa)?;
    Decimal::from_scientific(s).ok()
}

/// A whole number in a cell of a spreadsheet's CSV export (a year, a count): `2021`, or `2021.0`
/// as a spreadsheet writes a number cell with a decimal format. A fraction other than zeros
/// (`2021.5`) is not whole.
pub fn parse_exported_whole(text: &str) -> Option<i64> {
    let s = text.trim();
    let whole = match s.split_once('.') {
        Some((w, f)) if !f.is_empty() && f.chars().all(|c| c == '0') => w,
        Some(_) => return None,
        None => s,
    };
    whole.parse::<i64>().ok()
}

/// Parses a rate: `"0.3"`, `"30%"`, `"2.5%"`, `"2.5％"`.
pub fn parse_rate(text: &str) -> Result<Decimal, ParseError> {
    let err = || ParseError::Rate(text.to_string());
    let s = text.trim();
    // The full-width percent sign of a Chinese keyboard is the percent sign.
    match s.strip_suffix(['%', '％']) {
        Some(n) => parse_plain(n.trim_end())
            .map(|v| v / Decimal::ONE_HUNDRED)
            .ok_or_else(err),
        None => parse_plain(s).ok_or_else(err),
    }
}

/// A plain decimal literal: digits, one optional dot, optional sign. No exponents, no units.
fn parse_plain(s: &str) -> Option<Decimal> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let ok = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.chars().filter(|c| *c == '.').count() <= 1
        && body.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    Decimal::from_str(s).ok()
}

/// The exact decimal literal behind a TOML float (see the module header).
fn decimal_from_f64(v: f64) -> Result<Decimal, ParseError> {
    if !v.is_finite() {
        return Err(ParseError::NotFinite(v.to_string()));
    }
    if v.abs() >= 7.9e28 {
        return Err(ParseError::TooLarge(format!("{v:e}")));
    }
    let shortest = format!("{v}");
    let digits = shortest
        .trim_start_matches('-')
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    if significant > 15 || shortest.contains('e') {
        return Err(ParseError::TooPrecise(shortest));
    }
    Decimal::from_str(&shortest).map_err(|_| ParseError::TooPrecise(shortest))
}

/// What a number-or-string field of a scenario file holds before it is interpreted.
struct DecimalVisitor {
    expecting: &'static str,
    parse: fn(&str) -> Result<Decimal, ParseError>,
}

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        decimal_from_f64(v).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

/// An amount as a file writes it: the yuan, and whether it was bare (see [`Bare`]).
struct MoneyVisitor;

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an amount in yuan, e.g. 2000000, \"200万\" or \"1.5亿\"")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        Ok(Money(Decimal::from(v), Bare(true)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        Ok(Money(Decimal::from(v), Bare(true)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        decimal_from_f64(v).map(Money::of).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        let bare = !has_unit(v);
        parse_money(v)
            .map(|m| Money(m, Bare(bare)))
            .map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MoneyVisitor)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecimalVisitor {
            expecting: "a rate, e.g. 0.3 or \"30%\"",
            parse: parse_rate,
        })
        .map(Rate)
    }
}

/// A value as a scenario writes it anywhere (`[uncertain]` bounds): a number, an amount
/// (`"200万"`, `"1.5亿"`, in yuan) or a percentage (`"30%"`, as a fraction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputValue(pub Decimal);

/// A number, an amount or a percentage, as [`InputValue`] reads it.
pub fn parse_value(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    let parsed = if t.ends_with(['%', '％']) {
        parse_rate(t).map_err(|e| e.to_string())
    } else {
        parse_money(t).map_err(|e| e.to_string())
    };
    parsed.map_err(|_| {
        format!("\"{t}\" is not a number: write e.g. 12, 0.3, \"30%\", \"200万\" or \"1.5亿\"")
    })
}

impl<'de> Deserialize<'de> for InputValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecimalVisitor {
            expecting: "a number, an amount such as \"200万\" or a percentage such as \"30%\"",
            parse: |t| parse_value(t).map_err(|_| ParseError::Value(t.to_string())),
        })
        .map(InputValue)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecimalVisitor {
            expecting: "a number, or an amount such as \"50亿\"",
            parse: parse_money,
        })
        .map(Quantity)
    }
}

impl Money {
    pub fn yuan(&self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }
}

impl Rate {
    pub fn value(&self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }
}

impl Quantity {
    pub fn value(&self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

/// Converts an exact amount of yuan to fen, rounding half to even below a fen.
/// Returns `None` when it does not fit in `i64` fen (about 9.2e16 yuan).
pub fn to_fen(amount: Decimal) -> Option<Fen> {
    amount
        .checked_mul(Decimal::from(FEN_PER_YUAN))?
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointNearestEven)
        .to_i64()
}

/// Largest amount booked, in fen (2^62, 4.6e16 yuan): far above any accepted input's sums, and
/// with room to add several without overflow.
pub const MAX_BOOKED_FEN: Fen = 1 << 62;

/// Converts a stochastic amount of yuan (a valuation times a share) to fen at the booking boundary,
/// rounding half to even like every other rounding of money ([`to_fen`], [`RateFen::apply`]).
///
/// # Panics
/// On a NaN, an infinity or an amount beyond [`MAX_BOOKED_FEN`]: an error, never a silent 0 or a
/// saturated value. The validator bounds every input so that no accepted scenario reaches it; a
/// panic here is a bug, reported with exit code 1.
#[inline]
pub fn fen_from_yuan_f64(yuan: f64) -> Fen {
    fen_from_f64(yuan * FEN_PER_YUAN as f64)
}

/// An amount already in (fractional) fen, rounded half to even to whole fen; panics like
/// [`fen_from_yuan_f64`].
#[inline]
pub fn fen_from_f64(fen: f64) -> Fen {
    let rounded = fen.round_ties_even();
    assert!(
        rounded.is_finite() && rounded.abs() < MAX_BOOKED_FEN as f64,
        "an amount of {fen} fen cannot be booked (not finite, or beyond 4.6e16 yuan)"
    );
    rounded as Fen
}

/// Fen as yuan for reporting.
#[inline]
pub fn yuan(fen: Fen) -> f64 {
    fen as f64 / FEN_PER_YUAN as f64
}

/// `(a·b / d, a·b % d)` for `d > 0`, both rounding toward zero, exactly: in `i64` when the product
/// and `d` fit, as they nearly always do (an `i128` division is a library call, an `i64` one an
/// instruction), else in `i128`. The quotient must fit in `i64` (a share of one of the amounts).
#[inline]
pub fn mul_div_rem(a: Fen, b: Fen, d: i128) -> (Fen, i128) {
    if let (Some(product), Ok(d64)) = (a.checked_mul(b), i64::try_from(d)) {
        return (product / d64, i128::from(product % d64));
    }
    let product = i128::from(a) * i128::from(b); // < 2^126: no overflow
    ((product / d) as Fen, product % d)
}

/// An exact rate in a form that splits fen amounts without floating point:
/// `apply(x) = round_half_even(x · mantissa / 10^scale)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateFen {
    mantissa: i128,
    /// `10^scale` with `scale ≤ 12`.
    denominator: i64,
    /// `⌊(2^64 − 1) / denominator⌋`, for [`div_rem`].
    reciprocal: u64,
    /// Whether `mantissa` fits in `i64` (every rate below about 9·10⁶), decided once here rather
    /// than at every [`RateFen::apply`].
    narrow: bool,
}

impl RateFen {
    /// Rates are kept to 12 decimals (a thousandth of a fen on a billion yuan), which keeps
    /// `amount · mantissa` inside `i128` for every `i64` amount.
    pub fn new(rate: Decimal) -> Self {
        let rate = rate.round_dp(12).normalize();
        let mantissa = rate.mantissa();
        let denominator = 10i64.pow(rate.scale());
        RateFen {
            mantissa,
            denominator,
            reciprocal: u64::MAX / denominator as u64,
            narrow: i64::try_from(mantissa).is_ok(),
        }
    }

    /// The share `rate · amount`, rounded half to even to a whole fen.
    pub fn apply(&self, amount: Fen) -> Fen {
        // The same arithmetic in i64 when the product fits, as it nearly always does: an i128
        // division is a library call, an i64 one an instruction (or, for a product of at least
        // 0, a multiplication by the reciprocal).
        let d = self.denominator;
        if self.narrow
            && let Some(num) = amount.checked_mul(self.mantissa as i64)
        {
            // 0 ≤ r < d ≤ 10^12, so 2r fits. For `num ≥ 0` (a share of a non-negative amount at
            // a non-negative rate, nearly every call) the Euclidean quotient and remainder are
            // the truncating ones, which a multiplication by the reciprocal gives (a division
            // instruction takes tens of cycles).
            let (q, r) = if num >= 0 {
                let (q, r) = div_rem(num as u64, d as u64, self.reciprocal);
                (q as i64, r as i64)
            } else {
                (num.div_euclid(d), num.rem_euclid(d))
            };
            // Half to even: up when `2r > d`, or `2r = d` and `q` is odd; that is `2r + odd > d`.
            let up = 2 * r + (q & 1) > d;
            return q + up as i64;
        }
        self.apply_wide(amount)
    }

    /// [`RateFen::apply`] in i128, for any `i64` amount.
    fn apply_wide(&self, amount: Fen) -> Fen {
        let d = i128::from(self.denominator);
        let num = amount as i128 * self.mantissa;
        let q = num.div_euclid(d);
        let r = num.rem_euclid(d);
        let twice = 2 * r;
        let rounded = if twice > d || (twice == d && q % 2 != 0) {
            q + 1
        } else {
            q
        };
        Fen::try_from(rounded).expect("a rate's share of an amount in fen fits in i64")
    }
}

/// `(n / d, n % d)` for `n < 2^63` and `d ≥ 1`, given `m = ⌊(2^64 − 1)/d⌋`, by a multiplication
/// and one correction. `m > 2^64/d − 2`, so `n·m/2^64` lies in `(n/d − 1, n/d]` (as `2n < 2^64`):
/// its integer part, the high word of `n·m`, is the quotient or one less, and the remainder it
/// leaves is below `2d`.
#[inline]
fn div_rem(n: u64, d: u64, m: u64) -> (u64, u64) {
    debug_assert!(n < 1 << 63 && d >= 1 && m == u64::MAX / d);
    let q = ((u128::from(n) * u128::from(m)) >> 64) as u64;
    let r = n - q * d;
    let over = u64::from(r >= d);
    (q + over, r - over * d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn chinese_units() {
        assert_eq!(parse_money("200万").unwrap(), d("2000000"));
        assert_eq!(parse_money("1.5亿").unwrap(), d("150000000"));
        assert_eq!(parse_money("3000万元").unwrap(), d("30000000"));
        assert_eq!(parse_money(" 12元 ").unwrap(), d("12"));
        assert_eq!(parse_money("1,000万").unwrap(), d("10000000"));
        assert_eq!(parse_money("0.35万").unwrap(), d("3500"));
        assert_eq!(parse_money("1234.56").unwrap(), d("1234.56"));
        assert!(parse_money("2百万").is_err());
        assert!(parse_money("万").is_err());
        assert!(parse_money("1e6").is_err());
        assert!(parse_money("1.2.3万").is_err());
        assert!(parse_money("").is_err());
        // The separators and spaces docs/scenario-format.md says are ignored, and the one it
        // says is refused.
        assert_eq!(parse_money("2_000万").unwrap(), d("20000000"));
        assert_eq!(parse_money("2_00万").unwrap(), d("2000000"));
        assert_eq!(parse_money(" 200 万 元").unwrap(), d("2000000"));
        assert_eq!(parse_money("200 万").unwrap(), d("2000000"));
        assert!(parse_money("2 000万").is_err());
        // A yuan sign in front, half- or full-width; not behind, and not twice.
        assert_eq!(parse_money("￥2400万").unwrap(), d("24000000"));
        assert_eq!(parse_money("¥ 200").unwrap(), d("200"));
        assert!(parse_money("200￥").is_err());
        assert!(parse_money("￥").is_err());
    }

    #[test]
    fn spreadsheet_exports_scientific_amounts_and_whole_numbers_with_a_zero_fraction() {
        // Excel writes a large number in a narrow or scientific cell as 8.00E+08.
        assert_eq!(parse_exported_money("8.00E+08").unwrap(), d("800000000"));
        assert_eq!(parse_exported_money("1.5e7").unwrap(), d("15000000"));
        assert_eq!(parse_exported_money(" 2.41E+08 ").unwrap(), d("241000000"));
        assert_eq!(parse_exported_money("2.41亿").unwrap(), d("241000000"));
        for bad in ["8E", "E8", "8.0E+0.5", "8E++8", "8e8万", "1E+40", "lots"] {
            assert!(parse_exported_money(bad).is_err(), "{bad}");
        }
        // parse_money itself still refuses exponents (scenario files quote no such strings).
        assert!(parse_money("8.00E+08").is_err());
        assert_eq!(parse_exported_whole("2021"), Some(2021));
        assert_eq!(parse_exported_whole(" 2021.0 "), Some(2021));
        assert_eq!(parse_exported_whole("2021.00"), Some(2021));
        for bad in ["2021.5", "2021.", "2021.0.0", ".0", "", "二〇二一"] {
            assert_eq!(parse_exported_whole(bad), None, "{bad}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("30%").unwrap(), d("0.3"));
        assert_eq!(parse_rate("2.5%").unwrap(), d("0.025"));
        assert_eq!(parse_rate("0.08").unwrap(), d("0.08"));
        assert!(parse_rate("30 percent").is_err());
        assert_eq!(parse_rate(" 30 % ").unwrap(), d("0.3"));
        assert!(parse_rate("1_0%").is_err());
        assert!(parse_rate("1,5%").is_err());
        // The full-width percent sign of a Chinese keyboard.
        assert_eq!(parse_rate("2.5％").unwrap(), d("0.025"));
        assert!(parse_rate("2.5%％").is_err());
    }

    #[test]
    fn floats_keep_their_literal() {
        // 0.1 + 0.2 style literals must come back exactly as written.
        assert_eq!(decimal_from_f64(0.3).unwrap(), d("0.3"));
        assert_eq!(decimal_from_f64(0.07).unwrap(), d("0.07"));
        assert_eq!(decimal_from_f64(123456789.125).unwrap(), d("123456789.125"));
        assert!(decimal_from_f64(0.12345678901234567).is_err());
    }

    #[test]
    fn fen_rounding() {
        assert_eq!(to_fen(d("1.005")), Some(100)); // half to even: 100.5 fen -> 100
        assert_eq!(to_fen(d("1.015")), Some(102)); // 101.5 fen -> 102
        assert_eq!(to_fen(parse_money("200万").unwrap()), Some(200_000_000));
        assert_eq!(to_fen(Decimal::MAX), None);
    }

    #[test]
    fn rate_split_is_exact() {
        let r = RateFen::new(d("0.3"));
        assert_eq!(r.apply(1000), 300);
        assert_eq!(r.apply(5), 2); // 1.5 -> 2 (half to even)
        assert_eq!(r.apply(15), 4); // 4.5 -> 4
        assert_eq!(RateFen::new(d("1")).apply(12345), 12345);
        assert_eq!(RateFen::new(d("0")).apply(12345), 0);
    }

    #[test]
    fn numbers_out_of_reach_say_what_they_are_not_an_amount() {
        #[derive(Debug, serde::Deserialize)]
        struct R {
            #[allow(dead_code)]
            r: Rate,
        }
        let error = |text: &str| toml::from_str::<R>(text).unwrap_err().message().to_string();
        assert_eq!(error("r = inf"), "`inf` is not a finite number");
        assert_eq!(error("r = nan"), "`NaN` is not a finite number");
        assert_eq!(
            error("r = 1e300"),
            "the number 1e300 is too large to read exactly (at most 7.9e28 in magnitude)"
        );
        assert!(error("r = \"5万\"").contains("is not a rate"));
    }

    /// A fixed sequence of 64-bit words from `seed` (Marsaglia's xorshift64).
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn division_by_the_reciprocal_is_division() {
        // Every power of ten a rate's denominator can be (1 included), and 2, 3 and 7, against
        // quotients and remainders by `/` and `%`: small numbers, numbers next to multiples of
        // `d`, and numbers up to 2^63 − 1.
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let divisors = (0..=12).map(|s| 10u64.pow(s)).chain([2, 3, 7]);
        for d in divisors {
            let m = u64::MAX / d;
            let top = (1u64 << 63) - 1;
            let mut ns = vec![
                0,
                1,
                d - 1,
                d,
                d + 1,
                2 * d - 1,
                top,
                top - 1,
                top - top % d,
            ];
            ns.extend((0..20_000).map(|_| next() >> (1 + next() % 63)));
            ns.extend((1..200).map(|k| (top / d / 199) * k * d - 1));
            for n in ns {
                assert_eq!(div_rem(n, d, m), (n / d, n % d), "{n} / {d}");
            }
        }
    }

    #[test]
    fn the_i64_share_is_the_i128_share() {
        // A fixed sequence of amounts and rates, small and large, positive and negative, with
        // halves to round: the fast path must give the wide path's fen every time.
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let rates = [
            "0.5",
            "0.3",
            "0.123456789012",
            "1",
            "0",
            "0.000000000001",
            "2.5",
            "-0.15",
        ];
        for r in rates {
            let rate = RateFen::new(Decimal::from_str(r).unwrap());
            for _ in 0..20_000 {
                let bits = next() % 61;
                let amount = (next() >> (64 - bits.max(1))) as i64
                    * if next().is_multiple_of(2) { 1 } else { -1 };
                assert_eq!(
                    rate.apply(amount),
                    rate.apply_wide(amount),
                    "{r} of {amount}"
                );
            }
            // For a positive rate, products at the top of the fast path's range (`num` just
            // below 2^63); for the others, more amounts of the wide path or of 0.
            let top = i64::MAX / i64::try_from(rate.mantissa.max(1)).unwrap_or(i64::MAX);
            for amount in [0, 1, -1, 2, 3, 5, i64::MAX / 4, i64::MIN / 4, top, top - 1] {
                assert_eq!(
                    rate.apply(amount),
                    rate.apply_wide(amount),
                    "{r} of {amount}"
                );
            }
        }
    }
}
