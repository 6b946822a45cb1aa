//! What an offer can do, and how a request is snapped to it. Snapping never drops
//! a request: what changed goes into notes; what cannot be done makes the offer
//! unsupported with a reason.

use crate::operations::{OperationSpec, Refusal};
use crate::request::{EstimateRequest, ResolvedRequest};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    pub sizes: SizeSpec,
    /// Quality names the provider takes; empty = no quality parameter.
    #[serde(default)]
    pub qualities: Vec<Arc<str>>,
    #[serde(default)]
    pub default_quality: Option<Arc<str>>,
    /// Images per call.
    pub max_n: u32,
    #[serde(default)]
    pub seed: bool,
    #[serde(default)]
    pub negative_prompt: bool,
    #[serde(default)]
    pub steps: Option<StepsRange>,
    #[serde(default)]
    pub max_reference_images: u32,
    #[serde(default)]
    pub max_prompt_chars: Option<u32>,
    /// What the offer does with input images; empty = `generate` only (with
    /// `max_reference_images` references).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationSpec>,
    /// Takes OpenAI's `input_fidelity` (low / high; input tokens depend on it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub input_fidelity: bool,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StepsRange {
    pub min: u32,
    pub max: u32,
    pub default: u32,
}

/// The sizes an offer produces.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SizeSpec {
    /// A fixed list (aspect-ratio presets, resolution classes).
    Fixed { sizes: Vec<SizeOption> },
    /// Free sizes within limits. Aspect is width ÷ height.
    Rule {
        multiple_of: u32,
        min_side: u32,
        max_side: u32,
        max_pixels: u64,
        /// Smallest total pixel count the provider accepts (gpt-image-2: 655,360).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_pixels: Option<u64>,
        #[serde(default)]
        min_aspect: Option<f64>,
        #[serde(default)]
        max_aspect: Option<f64>,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SizeOption {
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub label: Option<Arc<str>>,
}

/// Something snapped or ignored for one offer. Rendered to text when shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    SizeSnapped {
        width: u32,
        height: u32,
        label: Option<Arc<str>>,
    },
    QualityMapped {
        /// Shared by every offer's note for one request (one allocation per request).
        from: Arc<str>,
        to: Arc<str>,
    },
    QualityIgnored(Arc<str>),
    QualityDefault(String),
    SeedIgnored,
    NegativeIgnored,
    StepsIgnored,
    StepsClamped {
        from: u32,
        to: u32,
    },
    SplitCalls {
        calls: u32,
        per_call: u32,
    },
    LatencyUnavailable(&'static str),
    Text(String),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::SizeSnapped {
                width,
                height,
                label: Some(l),
            } => write!(f, "size snapped to {width}×{height} ({l})"),
            Note::SizeSnapped {
                width,
                height,
                label: None,
            } => write!(f, "size snapped to {width}×{height}"),
            Note::QualityMapped { from, to } => write!(f, "quality {from} mapped to {to}"),
            Note::QualityIgnored(q) => write!(f, "quality {q} ignored by this model"),
            Note::QualityDefault(q) => write!(f, "quality defaults to {q}"),
            Note::SeedIgnored => f.write_str("seed ignored by this model"),
            Note::NegativeIgnored => f.write_str("negative prompt not supported — ignored"),
            Note::StepsIgnored => f.write_str("steps ignored by this model"),
            Note::StepsClamped { from, to } => write!(f, "steps {from} clamped to {to}"),
            Note::SplitCalls { calls, per_call } => {
                write!(f, "sent as {calls} calls of up to {per_call} image(s)")
            }
            Note::LatencyUnavailable(t) => {
                write!(f, "{t} tier not offered — priced and sent as standard")
            }
            Note::Text(s) => f.write_str(s),
        }
    }
}

impl Serialize for Note {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Note::Text)
    }
}

/// Outcome of snapping a request to an offer.
#[derive(Clone, Debug)]
pub struct Resolution {
    pub resolved: ResolvedRequest,
    pub notes: Vec<Note>,
    pub unsupported: Option<String>,
    /// Why the offer cannot do the request's operation or inputs (rendered into
    /// `unsupported` with the offer's name by the estimate).
    pub(crate) refusal: Option<Refusal>,
}

/// Rank of a quality word so names map across providers (medium ↔ standard, high ↔ hd).
fn quality_rank(q: &str) -> Option<u8> {
    match q {
        "low" | "draft" => Some(0),
        "medium" | "standard" => Some(1),
        "high" | "hd" => Some(2),
        // Ideogram's rendering speeds price like quality tiers.
        "turbo" => Some(0),
        "default" => Some(1),
        "quality" => Some(2),
        // GPT Image 2.5/2.6 tiers above high.
        "xhigh" => Some(3),
        "max" => Some(4),
        _ => None,
    }
}

impl Capabilities {
    /// The best quality of the standard range (up to high / hd): what a promoted final
    /// renders at unless the project sets one. Tiers above it (xhigh, max) cost a
    /// multiple and stay a deliberate choice. None when the model takes no quality.
    pub fn best_standard_quality(&self) -> Option<Arc<str>> {
        self.qualities
            .iter()
            .filter_map(|q| quality_rank(q).filter(|r| *r <= 2).map(|r| (r, q)))
            .max_by_key(|(r, _)| *r)
            .map(|(_, q)| q.clone())
            .or_else(|| self.default_quality.clone())
    }

    pub fn resolve(&self, req: &EstimateRequest) -> Resolution {
        let asked: Option<Arc<str>> = req.quality.as_deref().map(Arc::from);
        self.resolve_counted(req, req.prompt.chars().count(), asked.as_ref())
    }

    /// As [`Capabilities::resolve`] with the prompt's character count and the asked
    /// quality (as a shared string, cloned into notes without allocating) precomputed.
    pub(crate) fn resolve_counted(
        &self,
        req: &EstimateRequest,
        chars: usize,
        asked_quality: Option<&Arc<str>>,
    ) -> Resolution {
        let mut notes = Vec::new();
        let mut unsupported = None;

        let op = self.resolve_operation(req, &mut notes);
        let (want_w, want_h) = op.target.unwrap_or((req.width, req.height));
        let (width, height, size_label) = self.sizes.snap(want_w, want_h);
        if (width, height) != (want_w, want_h) {
            notes.push(Note::SizeSnapped {
                width,
                height,
                label: size_label.clone(),
            });
        }

        let quality = self.resolve_quality(asked_quality, &mut notes);

        let n = req.n.max(1);
        let per_call = self.max_n.max(1).min(n);
        let calls = n.div_ceil(per_call);
        if calls > 1 {
            notes.push(Note::SplitCalls { calls, per_call });
        }

        let steps = match (self.steps, req.steps) {
            (Some(r), Some(s)) => {
                let c = s.clamp(r.min, r.max);
                if c != s {
                    notes.push(Note::StepsClamped { from: s, to: c });
                }
                Some(c)
            }
            (Some(r), None) => Some(r.default),
            (None, Some(_)) => {
                notes.push(Note::StepsIgnored);
                None
            }
            (None, None) => None,
        };

        let seed = if req.seed.is_some() && !self.seed {
            notes.push(Note::SeedIgnored);
            None
        } else {
            req.seed
        };

        let has_negative = req
            .negative_prompt
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        if has_negative && !self.negative_prompt {
            notes.push(Note::NegativeIgnored);
        }

        let refs = u32::try_from(req.reference_images.len()).unwrap_or(u32::MAX);
        if let Some(r) = &op.refusal {
            unsupported = Some(r.reason("this model", self));
        }
        let input_fidelity = match (req.input_fidelity, self.input_fidelity, refs) {
            (_, _, 0) => None,
            (asked, true, _) => Some(asked.unwrap_or(vocab::InputFidelity::Low)),
            // Low is what a model without the setting does anyway: only high is news.
            (Some(f), false, _) if f != vocab::InputFidelity::Low => {
                notes.push(Note::Text(format!(
                    "input fidelity {f} not taken by this model — ignored"
                )));
                None
            }
            (_, false, _) => None,
        };
        let mut refusal = op.refusal;
        if let Some(max) = self.max_prompt_chars
            && chars > max as usize
        {
            refusal = None;
            unsupported = Some(format!(
                "prompt is {chars} characters; this model accepts at most {max}"
            ));
        }

        Resolution {
            resolved: ResolvedRequest {
                width,
                height,
                size_label,
                quality,
                n,
                n_per_call: per_call,
                calls,
                steps,
                seed,
                negative_prompt: has_negative && self.negative_prompt,
                reference_images: refs,
                latency: req.latency,
                operation: req.operation,
                input_fidelity,
                scale: op.scale,
            },
            notes,
            unsupported,
            refusal,
        }
    }

    fn resolve_quality(&self, asked: Option<&Arc<str>>, notes: &mut Vec<Note>) -> Option<Arc<str>> {
        let asked = asked.filter(|q| &***q != "auto");
        if self.qualities.is_empty() {
            if let Some(q) = asked {
                notes.push(Note::QualityIgnored(q.clone()));
            }
            return None;
        }
        let default = || {
            self.default_quality
                .clone()
                .or_else(|| self.qualities.first().cloned())
        };
        let Some(asked) = asked else {
            return default();
        };
        let q: &str = asked;
        if let Some(o) = self.qualities.iter().find(|o| &***o == q) {
            return Some(o.clone());
        }
        let picked = match quality_rank(q) {
            Some(r) => self
                .qualities
                .iter()
                .filter_map(|o| quality_rank(o).map(|or| (o, or.abs_diff(r), or)))
                // nearest rank; on a tie prefer the higher quality (never under-deliver)
                .min_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
                .map(|(o, _, _)| o.clone()),
            None => None,
        };
        match picked {
            Some(p) => {
                notes.push(Note::QualityMapped {
                    from: asked.clone(),
                    to: p.clone(),
                });
                Some(p)
            }
            None => {
                let d = default();
                if let Some(d) = &d {
                    notes.push(Note::QualityMapped {
                        from: asked.clone(),
                        to: d.clone(),
                    });
                }
                d
            }
        }
    }
}

impl SizeSpec {
    /// The size the provider will produce for a requested size.
    pub fn snap(&self, w: u32, h: u32) -> (u32, u32, Option<Arc<str>>) {
        match self {
            SizeSpec::Fixed { sizes } => {
                if let Some(s) = sizes.iter().find(|s| s.width == w && s.height == h) {
                    return (w, h, s.label.clone());
                }
                // Distances as ratios ≥ 1 (same ordering as |ln a − ln b|, without ln).
                let ratio = |a: f64, b: f64| if a > b { a / b } else { b / a };
                let aspect = |w: u32, h: u32| f64::from(w.max(1)) / f64::from(h.max(1));
                let px = |w: u32, h: u32| f64::from(w.max(1)) * f64::from(h.max(1));
                let (ra, rp) = (aspect(w, h), px(w, h));
                // Aspect ratio first (composition matters most), then pixel count.
                let best_aspect = sizes
                    .iter()
                    .map(|s| ratio(aspect(s.width, s.height), ra))
                    .fold(f64::INFINITY, f64::min);
                let pick = sizes
                    .iter()
                    .filter(|s| ratio(aspect(s.width, s.height), ra) <= best_aspect * 1.02)
                    .min_by(|a, b| {
                        let da = ratio(px(a.width, a.height), rp);
                        let db = ratio(px(b.width, b.height), rp);
                        da.total_cmp(&db)
                    });
                match pick {
                    Some(s) => (s.width, s.height, s.label.clone()),
                    None => (w, h, None),
                }
            }
            SizeSpec::Rule {
                multiple_of,
                min_side,
                max_side,
                max_pixels,
                min_pixels,
                min_aspect,
                max_aspect,
            } => {
                let (mut fw, mut fh) = (f64::from(w.max(1)), f64::from(h.max(1)));
                let min_px = min_pixels.unwrap_or(0) as f64;
                if let Some(max_a) = max_aspect.filter(|a| fw / fh > *a) {
                    fw = fh * max_a;
                }
                if let Some(min_a) = min_aspect.filter(|a| fw / fh < *a) {
                    fh = fw / min_a;
                }
                let max_px = *max_pixels as f64;
                if fw * fh < min_px {
                    let k = (min_px / (fw * fh)).sqrt();
                    fw *= k;
                    fh *= k;
                }
                if fw * fh > max_px {
                    let k = (max_px / (fw * fh)).sqrt();
                    fw *= k;
                    fh *= k;
                }
                let longest = fw.max(fh);
                if longest > f64::from(*max_side) {
                    let k = f64::from(*max_side) / longest;
                    fw *= k;
                    fh *= k;
                }
                let m = (*multiple_of).max(1);
                let snap = |v: f64| -> u32 {
                    let mut s = ((v / f64::from(m)).round() as u32).max(1) * m;
                    while s > *max_side && s > m {
                        s -= m;
                    }
                    while s < *min_side {
                        s += m;
                    }
                    s
                };
                let (mut sw, mut sh) = (snap(fw), snap(fh));
                // Rounding up may push past the pixel cap: step the longer side down.
                while u64::from(sw) * u64::from(sh) > *max_pixels && sw.max(sh) > m {
                    if sw >= sh {
                        sw -= m;
                    } else {
                        sh -= m;
                    }
                }
                // Rounding down may fall under the minimum: step the shorter side up.
                let min_total = min_pixels.unwrap_or(0);
                while u64::from(sw) * u64::from(sh) < min_total && sw.min(sh) + m <= *max_side {
                    if sw <= sh {
                        sw += m;
                    } else {
                        sh += m;
                    }
                }
                (sw, sh, None)
            }
        }
    }
}
