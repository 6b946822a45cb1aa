//! Input-image billing (image-inputs.md §1.9, I1–I6) that is not a formula kind of
//! its own: input tokens by size and fidelity (I1), the words input lines use, and the
//! tier a reference image switches to (I5). I2 (input megapixels) lives in the
//! `base_increment` formula, I3/I6 are ordinary flat or per-megapixel offers priced on
//! the operation's output, I4 is the `reference_image_usd` modifier.

use crate::formula::{Formula, PriceInput, Priced};
use crate::lines::Line;
use crate::money::{
    Amount, MpRounding, MpUnit, Unit, billed_megapixels, megapixels, per_million_tokens,
};
use crate::request::ImageDims;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vocab::{InputFidelity, Operation};

/// 1024 × 1024: the size OpenAI's and fal's per-image input token figures are given for.
const PX_1024: u64 = 1_048_576;

fn px_1024() -> u64 {
    PX_1024
}

/// I1: input image tokens per image, by `input_fidelity`, for images of `per_pixels`
/// pixels; other sizes scale with area (rounded up). `per_pixels: 0` = per image,
/// whatever its size. OpenAI GPT Image: ≈135 low,
/// ≈3,050 high per 1024² input [FAL-GPTI1-EDIT]; settlement uses the reported usage.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InputTokens {
    #[serde(default = "px_1024")]
    pub per_pixels: u64,
    pub low: u64,
    /// `None`: the model takes no fidelity (gpt-image-1-mini) and every input is `low`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<u64>,
    /// Worst case = expected × this at high fidelity, where published figures disagree
    /// (a forum measurement is twice fal's figure) [OAI-FORUM]. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_worst_factor: Option<Decimal>,
}

impl InputTokens {
    /// Tokens for one input image at `fidelity`.
    pub fn tokens(&self, d: ImageDims, fidelity: Option<InputFidelity>) -> u64 {
        let base = match (fidelity, self.high) {
            (Some(InputFidelity::High), Some(h)) => h,
            _ => self.low,
        };
        if self.per_pixels == 0 {
            return base;
        }
        let px = u128::from(d.width) * u128::from(d.height);
        let per = u128::from(self.per_pixels);
        u64::try_from((u128::from(base) * px).div_ceil(per)).unwrap_or(u64::MAX)
    }

    /// The fidelity actually priced (none when the model has no fidelity).
    fn priced_fidelity(&self, asked: Option<InputFidelity>) -> Option<InputFidelity> {
        self.high.map(|_| asked.unwrap_or(InputFidelity::Low))
    }

    /// Prices every input image of the request at the image-in rate, once per call.
    pub(crate) fn price(&self, input: &PriceInput<'_>, rate: Decimal, unit: Unit, p: &mut Priced) {
        let imgs = input.reference_images;
        if imgs.is_empty() {
            return;
        }
        let fidelity = self.priced_fidelity(input.input_fidelity);
        let per_image: Vec<u64> = imgs.iter().map(|d| self.tokens(*d, fidelity)).collect();
        let calls = u64::from(input.calls.max(1));
        let tokens: u64 = per_image.iter().sum::<u64>().saturating_mul(calls);
        let total = per_million_tokens(tokens, rate);
        let worst = match (fidelity, self.high_worst_factor) {
            (Some(InputFidelity::High), Some(f)) => total * f,
            _ => total,
        };
        let each = per_image
            .iter()
            .all(|t| *t == per_image[0])
            .then_some(per_image[0]);
        p.add(
            total,
            worst,
            Line::InputTokens {
                what: InputWords::of(input.operation, imgs.len()),
                each,
                tokens,
                calls: input.calls.max(1),
                fidelity,
                rate,
                total: Amount::new(total, unit),
                worst: (worst != total).then(|| Amount::new(worst, unit)),
            },
        );
    }
}

/// The input images of a request in words: "3 reference images", "the image to edit +
/// 2 reference images".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputWords {
    pub operation: Operation,
    pub count: u32,
}

impl InputWords {
    pub fn of(operation: Operation, count: usize) -> Self {
        Self {
            operation,
            count: u32::try_from(count).unwrap_or(u32::MAX),
        }
    }
}

impl std::fmt::Display for InputWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let refs = |f: &mut std::fmt::Formatter<'_>, n: u32| match n {
            1 => f.write_str("1 reference image"),
            n => write!(f, "{n} reference images"),
        };
        let subject = match self.operation {
            Operation::Generate => return refs(f, self.count),
            Operation::Edit | Operation::Inpaint => "the image to edit",
            Operation::Expand => "the image to expand",
            Operation::Upscale => "the image to upscale",
            Operation::Vary => "the image to vary",
        };
        f.write_str(subject)?;
        if self.count > 1 {
            f.write_str(" + ")?;
            refs(f, self.count - 1)?;
        }
        Ok(())
    }
}

/// I5: with a reference image the offer is priced on another formula (Ideogram 3.0
/// with a character reference: $0.10 / $0.15 / $0.20 instead of $0.03 / $0.06 / $0.09).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReferenceTier {
    /// What the tier is called on the price page ("character reference").
    pub name: String,
    pub formula: Formula,
}

impl ReferenceTier {
    /// The formula for a request: the tier's when it has input images.
    pub(crate) fn pick<'f>(
        tier: Option<&'f ReferenceTier>,
        base: &'f Formula,
        inputs: usize,
    ) -> &'f Formula {
        match tier {
            Some(t) if inputs > 0 => &t.formula,
            _ => base,
        }
    }
}

/// I2: every input image's megapixels × the input increment, once per call (BFL FLUX.2:
/// "inMP · rate", the same rate as each extra output megapixel).
pub(crate) fn input_megapixels(
    input: &PriceInput<'_>,
    increment: Decimal,
    mp_unit: MpUnit,
    rounding: MpRounding,
    unit: Unit,
    p: &mut Priced,
) {
    if input.reference_images.is_empty() {
        return;
    }
    let mp: Decimal = input
        .reference_images
        .iter()
        .map(|d| billed_megapixels(megapixels(d.width, d.height, mp_unit), rounding))
        .sum();
    let total = mp * increment * Decimal::from(input.calls.max(1));
    p.add(
        total,
        total,
        Line::InputMegapixels {
            what: InputWords::of(input.operation, input.reference_images.len()),
            mp,
            increment: Amount::new(increment, unit),
            total: Amount::new(total, unit),
        },
    );
}
