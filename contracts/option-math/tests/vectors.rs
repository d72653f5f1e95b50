//! Accuracy against the committed mpmath vectors (`vectors/generate.py`).
//!
//! Every output is compared with the real-valued reference in the library's own units (1e-18 of
//! the quantity). Errors are reported as absolute (units) and relative; the bounds asserted
//! here are the library's documented accuracy. Run with `--nocapture` for the summary table.

use option_math::{Expiry, Kind};

/// A reference value `sign * (int + frac)`, frac in [0, 1).
#[derive(Clone, Copy)]
struct Ref {
    neg: bool,
    int: i128,
    frac: f64,
}

impl Ref {
    fn parse(s: &str) -> Ref {
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (i, f) = s.split_once('.').expect("decimal point");
        Ref {
            neg,
            int: i.parse().expect("integer part"),
            frac: format!("0.{f}").parse().expect("fraction"),
        }
    }

    fn value(self) -> f64 {
        let v = self.int as f64 + self.frac;
        if self.neg {
            -v
        } else {
            v
        }
    }

    /// `ours - reference`, exact to well below one unit.
    fn error(self, ours: i128) -> f64 {
        if self.neg {
            (ours + self.int) as f64 + self.frac
        } else {
            (ours - self.int) as f64 - self.frac
        }
    }
}

/// Worst errors of one output over one set of inputs.
#[derive(Default)]
struct Stat {
    n: usize,
    max_abs: f64,
    max_rel: f64,
    worst: String,
}

impl Stat {
    /// Records one comparison; the relative error counts only where the reference is at least
    /// `rel_floor` units (below that, one unit of the output scale is already a large fraction).
    fn add(&mut self, ours: i128, r: Ref, rel_floor: f64) -> (f64, f64) {
        let abs = r.error(ours).abs();
        let v = r.value().abs();
        let rel = if v >= rel_floor { abs / v } else { 0.0 };
        self.n += 1;
        self.max_abs = self.max_abs.max(abs);
        if rel > self.max_rel {
            self.max_rel = rel;
            self.worst = format!("ours {ours} ref {}", r.value());
        }
        (abs, rel)
    }
}

#[test]
fn elementary_functions() {
    let data = include_str!("../vectors/functions.csv");
    let mut stats: Vec<(&str, Stat)> = ["ln", "exp", "sqrt", "cdf", "pdf"]
        .iter()
        .map(|n| (*n, Stat::default()))
        .collect();
    for line in data.lines().skip(1) {
        let mut it = line.split(',');
        let name = it.next().unwrap();
        let x: i128 = it.next().unwrap().parse().unwrap();
        let r = Ref::parse(it.next().unwrap());
        let ours = match name {
            "ln" => option_math::ln(x as u128).unwrap(),
            "exp" => option_math::exp(x).unwrap() as i128,
            "sqrt" => option_math::sqrt(x as u128) as i128,
            "cdf" => option_math::norm_cdf(x) as i128,
            "pdf" => option_math::norm_pdf(x) as i128,
            other => panic!("unknown function {other}"),
        };
        let stat = &mut stats.iter_mut().find(|(n, _)| *n == name).unwrap().1;
        let (abs, _) = stat.add(ours, r, 1e12);
        // Every function is correctly rounded to within one unit of the 1e-18 scale (sqrt
        // rounds down: below one unit), and where the value exceeds 1e-12 its relative error
        // is below 1e-15 (exp: 1e-20 beyond rounding).
        // Correctly rounded up to 1e-20 relative (sqrt rounds down: below one unit).
        assert!(
            abs < 0.5 + 1e-20 * r.value().abs() || (name == "sqrt" && abs < 1.0),
            "{name}({x}): error {abs} units"
        );
    }
    eprintln!("function   n     max abs (1e-18)  max rel (ref >= 1e-6)");
    for (name, s) in &stats {
        eprintln!(
            "{name:<8} {:>5} {:>14.3e} {:>14.3e}",
            s.n, s.max_abs, s.max_rel
        );
        assert!(s.n > 0);
    }
}

struct Case<'a> {
    set: &'a str,
    spot: u128,
    strike: u128,
    time: u64,
    vol: u128,
    rate: i128,
    refs: Vec<Ref>,
}

fn cases() -> Vec<Case<'static>> {
    include_str!("../vectors/black_scholes.csv")
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Case {
                set: f[0],
                spot: f[1].parse().unwrap(),
                strike: f[2].parse().unwrap(),
                time: f[3].parse().unwrap(),
                vol: f[4].parse().unwrap(),
                rate: f[5].parse().unwrap(),
                refs: f[6..].iter().map(|s| Ref::parse(s)).collect(),
            }
        })
        .collect()
}

const OUTPUTS: [&str; 10] = [
    "call",
    "put",
    "call_delta",
    "put_delta",
    "gamma",
    "vega",
    "call_theta",
    "put_theta",
    "call_rho",
    "put_rho",
];

#[test]
fn black_scholes_against_mpmath() {
    let all = cases();
    assert!(all.len() > 1000);
    for set in ["normal", "wide", "edge"] {
        let mut stats: Vec<Stat> = OUTPUTS.iter().map(|_| Stat::default()).collect();
        for c in all.iter().filter(|c| c.set == set) {
            let e = Expiry::new(c.spot, c.time, c.vol, c.rate).unwrap();
            let q = e.quote(c.strike).unwrap();
            let gc = e.greeks(&q, Kind::Call).unwrap();
            let gp = e.greeks(&q, Kind::Put).unwrap();
            assert_eq!(
                q.call as i128 - q.put as i128,
                c.spot as i128 - q.pv_strike as i128
            );
            let ours = [
                q.call as i128,
                q.put as i128,
                gc.delta,
                gp.delta,
                gc.gamma,
                gc.vega,
                gc.theta,
                gp.theta,
                gc.rho,
                gp.rho,
            ];
            let spot = c.spot as f64;
            for (i, (&o, r)) in ours.iter().zip(&c.refs).enumerate() {
                // Relative errors are measured where the value is at least 1e12 units (1e-6),
                // where the output's own rounding (half a unit) stays below 1e-12, and for
                // prices at least 1e-15 of the spot.
                let floor = match i {
                    0 | 1 => (spot * 1e-15).max(1e12),
                    _ => 1e12,
                };
                let (abs, rel) = stats[i].add(o, *r, floor);
                if rel >= stats[i].max_rel && rel > 0.0 {
                    stats[i].worst = format!(
                        "{} S={} K={} t={} v={} r={}",
                        stats[i].worst, c.spot, c.strike, c.time, c.vol, c.rate
                    );
                }
                {
                    let bound = if i < 2 { 1e-12 } else { 1e-10 };
                    assert!(
                        abs <= 4.0 + bound * r.value().abs(),
                        "{} at S={} K={} t={} v={} r={}: abs {abs} rel {rel}",
                        OUTPUTS[i],
                        c.spot,
                        c.strike,
                        c.time,
                        c.vol,
                        c.rate
                    );
                }
            }
        }
        eprintln!("set {set}: output  n  max abs (1e-18 units)  max rel");
        for (name, s) in OUTPUTS.iter().zip(&stats) {
            eprintln!(
                "  {name:<11} {:>5} {:>14.3e} {:>12.3e}  worst: {}",
                s.n, s.max_abs, s.max_rel, s.worst
            );
        }
    }
}
