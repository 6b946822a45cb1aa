//! What an offer can do with input images (issue 15): which operations, how many
//! inputs, whether it takes a mask, margins or an upscale factor; and why it cannot
//! do a request, in words a designer understands.

use crate::capabilities::{Capabilities, Note};
use crate::request::EstimateRequest;
use serde::{Deserialize, Serialize};
use vocab::Operation;

/// Whether an operation takes a mask over the subject.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum MaskUse {
    /// No mask parameter: a masked request is refused.
    #[default]
    None,
    /// A mask may be sent (OpenAI edits: with a mask it edits the region).
    Optional,
    /// The operation only works on a masked region (Stability inpaint, FLUX Fill).
    Required,
}

/// Whether an operation needs a prompt. An offer's operation says so only where it
/// differs from the operation's default ([`PromptUse::default_for`]).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PromptUse {
    /// Nothing to do without one (edit by instruction, Stability conservative upscale).
    Required,
    /// Sent when given (outpaint, most upscalers, variations).
    Optional,
    /// The endpoint takes no prompt (Stability erase, remove background, fast upscale).
    None,
}

impl PromptUse {
    /// Generate, edit and inpaint say what to draw; expand, upscale and vary work on the
    /// image alone.
    pub fn default_for(op: Operation) -> Self {
        match op {
            Operation::Generate | Operation::Edit | Operation::Inpaint => Self::Required,
            Operation::Expand | Operation::Upscale | Operation::Vary => Self::Optional,
        }
    }
}

/// One operation an offer can do. An offer with no `operations` only generates, with
/// `max_reference_images` references.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    pub op: Operation,
    /// Most input images, the subject included. Default: `max_reference_images` for
    /// `generate`, 1 (the subject alone) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_inputs: Option<u32>,
    #[serde(default, skip_serializing_if = "is_no_mask")]
    pub mask: MaskUse,
    /// `upscale`: the factors the provider makes; empty = any factor up to `max_scale`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scales: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_scale: Option<u32>,
    /// `expand`: the largest margin per side, in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_margin: Option<u32>,
    /// Whether it needs a prompt, when not the operation's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptUse>,
}

impl OperationSpec {
    /// Whether this operation needs a prompt on this offer.
    pub fn prompt_use(&self) -> PromptUse {
        self.prompt.unwrap_or(PromptUse::default_for(self.op))
    }
}

fn is_no_mask(m: &MaskUse) -> bool {
    *m == MaskUse::None
}

/// Why an offer cannot do a request with inputs. Rendered with the offer's name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Refusal {
    /// The offer does not do this operation at all.
    Operation(Operation),
    /// A mask was painted and this offer takes none.
    Mask,
    MaskRequired,
    /// An operation on an image with no image given.
    NoSubject(Operation),
    TooManyInputs {
        op: Operation,
        max: u32,
        asked: u32,
    },
    /// No prompt, and this offer needs one for the operation.
    NoPrompt(Operation),
    NoMargins,
    MarginTooLarge(u32),
    ScaleTooLarge(u32),
}

/// The verb phrase of what an operation does ("edit a masked region").
pub(crate) fn doing(op: Operation) -> &'static str {
    match op {
        Operation::Generate => "make an image from a prompt",
        Operation::Edit => "edit an image by instruction",
        Operation::Inpaint => "edit a masked region",
        Operation::Expand => "expand an image",
        Operation::Upscale => "upscale an image",
        Operation::Vary => "make variations of an image",
    }
}

impl Refusal {
    /// The reason shown on the estimate, naming the offer.
    pub(crate) fn reason(&self, name: &str, caps: &Capabilities) -> String {
        match self {
            Refusal::Operation(op) => {
                let can: Vec<&str> = caps.operations_done().map(doing).collect();
                format!("{name} cannot {}; it can {}", doing(*op), can.join(", "))
            }
            Refusal::Mask => format!("{name} cannot edit a masked region"),
            Refusal::MaskRequired => {
                format!("{name} only edits a masked region: paint a mask over the area to change")
            }
            Refusal::NoSubject(op) => {
                format!("pick the image to {}", subject_verb(*op))
            }
            Refusal::TooManyInputs {
                op: Operation::Generate,
                max: 0,
                ..
            } => "reference images are not supported by this model".to_owned(),
            Refusal::TooManyInputs {
                op: Operation::Generate,
                max,
                asked,
            } => format!("at most {max} reference images (asked for {asked})"),
            Refusal::TooManyInputs { max: 1, asked, .. } => {
                format!("{name} takes one input image (asked for {asked})")
            }
            Refusal::TooManyInputs { max, asked, .. } => {
                format!("{name} takes at most {max} input images (asked for {asked})")
            }
            Refusal::NoPrompt(op) => {
                format!("{name} needs a prompt: {}", prompt_hint(*op))
            }
            Refusal::NoMargins => "set the margins to add around the image".to_owned(),
            Refusal::MarginTooLarge(max) => {
                format!("{name} adds at most {max} px per side")
            }
            Refusal::ScaleTooLarge(max) => format!("{name} upscales at most {max}×"),
        }
    }

    /// The refusal is about the kind of work, so another offer may do it. Not for an
    /// edit-only offer asked to generate: every generator can, and this is the hot path
    /// (every keystroke of a text-to-image prompt).
    pub(crate) fn wants_another_offer(&self) -> bool {
        matches!(
            self,
            Refusal::Operation(
                Operation::Edit
                    | Operation::Inpaint
                    | Operation::Expand
                    | Operation::Upscale
                    | Operation::Vary
            ) | Refusal::Mask
                | Refusal::MaskRequired
                | Refusal::NoPrompt(_)
                | Refusal::TooManyInputs { .. }
                | Refusal::MarginTooLarge(_)
                | Refusal::ScaleTooLarge(_)
        )
    }
}

/// What the prompt of `op` should say.
fn prompt_hint(op: Operation) -> &'static str {
    match op {
        Operation::Edit => "describe the change to make",
        Operation::Inpaint => "describe what to paint in the masked region",
        Operation::Expand => "describe what to paint in the new margins",
        _ => "describe the image",
    }
}

fn subject_verb(op: Operation) -> &'static str {
    match op {
        Operation::Expand => "expand",
        Operation::Upscale => "upscale",
        Operation::Vary => "vary",
        _ => "edit",
    }
}

/// The operation part of a resolved request.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpResolution {
    /// The size to snap (upscale: subject × scale; expand: subject + margins).
    pub target: Option<(u32, u32)>,
    pub scale: Option<u32>,
    pub refusal: Option<Refusal>,
}

impl Capabilities {
    /// The operations this offer does (`generate` alone when none are declared).
    pub fn operations_done(&self) -> impl Iterator<Item = Operation> + '_ {
        let implicit = self.operations.is_empty().then_some(Operation::Generate);
        implicit
            .into_iter()
            .chain(self.operations.iter().map(|s| s.op))
    }

    /// Whether this offer does `op` at all (whatever the inputs).
    pub fn does(&self, op: Operation) -> bool {
        self.operations_done().any(|o| o == op)
    }

    /// The spec of `op`, with the defaults of an undeclared `generate`.
    pub fn operation(&self, op: Operation) -> Option<OperationSpec> {
        if let Some(s) = self.operations.iter().find(|s| s.op == op) {
            return Some(s.clone());
        }
        (op == Operation::Generate && self.operations.is_empty()).then(|| OperationSpec {
            op,
            max_inputs: Some(self.max_reference_images),
            mask: MaskUse::None,
            scales: Vec::new(),
            max_scale: None,
            max_margin: None,
            prompt: None,
        })
    }

    fn max_inputs(&self, spec: &OperationSpec) -> u32 {
        spec.max_inputs
            .unwrap_or(if spec.op == Operation::Generate {
                self.max_reference_images
            } else {
                1
            })
    }

    /// Checks the request's operation and inputs against the offer.
    pub(crate) fn resolve_operation(
        &self,
        req: &EstimateRequest,
        notes: &mut Vec<Note>,
    ) -> OpResolution {
        let op = req.operation;
        let mut out = OpResolution::default();
        let refuse = |r| OpResolution {
            refusal: Some(r),
            ..OpResolution::default()
        };
        let Some(spec) = self.operation(op) else {
            // A mask on an offer that edits but not regions: say it is the mask.
            if op == Operation::Inpaint && self.does(Operation::Edit) {
                return refuse(Refusal::Mask);
            }
            return refuse(Refusal::Operation(op));
        };
        let inputs = u32::try_from(req.reference_images.len()).unwrap_or(u32::MAX);
        let max = self.max_inputs(&spec);
        if op != Operation::Generate && inputs == 0 {
            return refuse(Refusal::NoSubject(op));
        }
        if inputs > max {
            return refuse(Refusal::TooManyInputs {
                op,
                max,
                asked: inputs,
            });
        }
        match (req.mask, spec.mask) {
            (true, MaskUse::None) => return refuse(Refusal::Mask),
            (false, MaskUse::Required) => return refuse(Refusal::MaskRequired),
            _ => {}
        }
        // Text to image without a prompt is refused before pricing (the engine says so);
        // an operation on an image may run without one where the offer takes none.
        if req.no_prompt && op != Operation::Generate && spec.prompt_use() == PromptUse::Required {
            return refuse(Refusal::NoPrompt(op));
        }
        let subject = req.reference_images.first();
        match op {
            Operation::Upscale => {
                let asked = req.scale.unwrap_or(2).max(1);
                let scale = if spec.scales.is_empty() {
                    if let Some(m) = spec.max_scale.filter(|m| asked > *m) {
                        return refuse(Refusal::ScaleTooLarge(m));
                    }
                    asked
                } else {
                    let nearest = spec
                        .scales
                        .iter()
                        .copied()
                        .min_by_key(|s| (s.abs_diff(asked), u32::MAX - s))
                        .unwrap_or(asked);
                    if nearest != asked {
                        notes.push(Note::Text(format!(
                            "upscale factor {asked}× → {nearest}× (the factor this model makes)"
                        )));
                    }
                    nearest
                };
                out.scale = Some(scale);
                out.target = subject.map(|s| {
                    (
                        s.width.saturating_mul(scale),
                        s.height.saturating_mul(scale),
                    )
                });
            }
            Operation::Expand => {
                let Some([l, t, r, b]) = req.expand else {
                    return refuse(Refusal::NoMargins);
                };
                if let Some(m) = spec
                    .max_margin
                    .filter(|m| [l, t, r, b].iter().any(|x| x > m))
                {
                    return refuse(Refusal::MarginTooLarge(m));
                }
                out.target = subject.map(|s| {
                    (
                        s.width.saturating_add(l).saturating_add(r),
                        s.height.saturating_add(t).saturating_add(b),
                    )
                });
            }
            _ => {}
        }
        out
    }
}

/// A representative request for an offer's first operation (catalog diffs price it).
pub(crate) fn probe_request(caps: &Capabilities, side: u32) -> EstimateRequest {
    let mut req = EstimateRequest::new("catalog diff", side, side);
    let Some(spec) = caps.operations.first() else {
        return req;
    };
    req.operation = spec.op;
    if spec.op != Operation::Generate {
        req.reference_images = vec![crate::request::ImageDims {
            width: side,
            height: side,
        }];
    }
    req.mask = spec.mask == MaskUse::Required;
    match spec.op {
        Operation::Expand => req.expand = Some([side / 4, 0, side / 4, 0]),
        Operation::Upscale => req.scale = spec.scales.first().copied().or(Some(2)),
        _ => {}
    }
    req
}
