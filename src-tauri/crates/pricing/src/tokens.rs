//! F5: tokens by class × per-million rates, with a per-size/quality image-token
//! table for pre-flight estimates.

use crate::formula::{PriceInput, Priced, nearest};
use crate::inputs::InputTokens;
use crate::lines::{Line, TokenClass};
use crate::money::{Amount, Unit, per_million_tokens};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

fn four() -> u32 {
    4
}

/// Output image tokens for one (quality, size) — the pre-flight table.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenRow {
    #[serde(default)]
    pub quality: Option<String>,
    pub width: u32,
    pub height: u32,
    pub tokens: u64,
}

/// USD per million tokens for each class a provider bills. `None` = not billed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct TokenRates {
    #[serde(default)]
    pub text_in: Option<Decimal>,
    #[serde(default)]
    pub image_in: Option<Decimal>,
    #[serde(default)]
    pub cached_in: Option<Decimal>,
    #[serde(default)]
    pub image_out: Option<Decimal>,
    #[serde(default)]
    pub text_out: Option<Decimal>,
    #[serde(default)]
    pub thinking: Option<Decimal>,
}

impl TokenRates {
    pub fn rate(&self, class: TokenClass) -> Option<Decimal> {
        match class {
            TokenClass::TextIn => self.text_in,
            // Image input falls back to the text rate, as providers without a separate rate bill it.
            TokenClass::ImageIn => self.image_in.or(self.text_in),
            TokenClass::CachedIn => self.cached_in.or(self.text_in),
            TokenClass::ImageOut => self.image_out,
            TokenClass::TextOut => self.text_out,
            TokenClass::Thinking => self.thinking.or(self.text_out),
        }
    }
    pub(crate) fn all_mut(&mut self) -> [&mut Option<Decimal>; 6] {
        [
            &mut self.text_in,
            &mut self.image_in,
            &mut self.cached_in,
            &mut self.image_out,
            &mut self.text_out,
            &mut self.thinking,
        ]
    }
}

/// F5 parameters. Pre-flight: prompt tokens ≈ ceil(prompt chars ÷ `chars_per_token`)
/// (4 by default, the usual English rule of thumb), image-out tokens from `image_out_tokens`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenFormula {
    pub rates: TokenRates,
    pub image_out_tokens: Vec<TokenRow>,
    #[serde(default = "four")]
    pub chars_per_token: u32,
    /// Input tokens assumed per input image, whatever its size (Gemini), billed at
    /// the image-in rate.
    #[serde(default)]
    pub input_image_tokens: u64,
    /// I1 by size and fidelity (OpenAI GPT Image); replaces `input_image_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<Box<InputTokens>>,
    #[serde(default)]
    pub expected_text_out_tokens: u64,
    #[serde(default)]
    pub expected_thinking_tokens: u64,
}

impl TokenRow {
    fn key(&self) -> (Option<&str>, u32, u32) {
        (self.quality.as_deref(), self.width, self.height)
    }
}

/// Pre-flight output image tokens for a (quality, size): exact row, else nearest by pixel count.
pub fn image_tokens(rows: &[TokenRow], quality: Option<&str>, w: u32, h: u32) -> Option<u64> {
    nearest(rows, TokenRow::key, quality, w, h, |r| {
        Decimal::from(r.tokens)
    })
    .map(|r| r.tokens)
}

impl TokenFormula {
    pub(crate) fn price(&self, input: &PriceInput<'_>, unit: Unit) -> Priced {
        let amt = |v| Amount::new(v, unit);
        let mut p = Priced::default();
        let calls = u64::from(input.calls.max(1));
        let cpt = self.chars_per_token.max(1) as usize;
        let add_tokens = |p: &mut Priced, class: TokenClass, tokens: u64, estimated: bool| {
            if tokens == 0 {
                return;
            }
            if let Some(rate) = self.rates.rate(class) {
                let total = per_million_tokens(tokens, rate);
                p.add(
                    total,
                    total,
                    Line::Tokens {
                        class,
                        tokens,
                        rate,
                        estimated,
                        total: amt(total),
                    },
                );
            }
        };
        let prompt_tokens = input.prompt_chars.div_ceil(cpt) as u64 * calls;
        add_tokens(&mut p, TokenClass::TextIn, prompt_tokens, true);
        self.add_inputs(input, unit, &mut p);
        if let (Some(rate), Some(tokens)) = (
            self.rates.image_out,
            image_tokens(
                &self.image_out_tokens,
                input.quality.map(|q| &**q),
                input.width,
                input.height,
            ),
        ) {
            let total = per_million_tokens(tokens, rate) * Decimal::from(input.images);
            p.add(
                total,
                total,
                Line::ImageTokens {
                    n: input.images,
                    width: input.width,
                    height: input.height,
                    quality: input.quality.cloned(),
                    tokens,
                    rate,
                    total: amt(total),
                },
            );
        }
        add_tokens(
            &mut p,
            TokenClass::TextOut,
            self.expected_text_out_tokens * calls,
            true,
        );
        add_tokens(
            &mut p,
            TokenClass::Thinking,
            self.expected_thinking_tokens * calls,
            true,
        );
        p
    }

    /// The input images alone (I1), in USD: settlement prices them when the provider
    /// did not report an image-in count.
    pub(crate) fn price_inputs(&self, input: &PriceInput<'_>) -> Priced {
        let mut p = Priced::default();
        self.add_inputs(input, Unit::Usd, &mut p);
        p
    }

    fn add_inputs(&self, input: &PriceInput<'_>, unit: Unit, p: &mut Priced) {
        if let Some(rate) = self.rates.rate(TokenClass::ImageIn) {
            let flat;
            let rule = match &self.input_tokens {
                Some(r) => Some(&**r),
                None if self.input_image_tokens > 0 => {
                    // A fixed count per image is the same rule with size ignored.
                    flat = InputTokens {
                        per_pixels: 0,
                        low: self.input_image_tokens,
                        high: None,
                        high_worst_factor: None,
                    };
                    Some(&flat)
                }
                None => None,
            };
            if let Some(rule) = rule {
                rule.price(input, rate, unit, p);
            }
        }
    }
}
