//! The providers' integration tests in one binary (one link instead of one per file);
//! each file is a module. Run one file's tests with
//! `cargo test -p proofsheet-providers --test providers -- openai::`.

mod common;
mod input_support;
/// Shared request, multipart and refusal helpers (also included by `input_support`).
mod support {
    pub mod inputs;
    pub mod multipart;
    pub mod refused;
}

mod a1111;
mod a1111_img2img;
mod batch;
mod bfl;
mod bfl_inputs;
mod comfyui;
mod comfyui_inputs;
mod env_override;
mod fal;
mod fal_inputs;
mod fuzz;
mod google;
mod google_inputs;
mod ideogram;
mod ideogram_inputs;
mod models;
mod openai;
mod openai_compatible;
mod openai_edit;
mod openrouter;
mod recraft;
mod recraft_inputs;
mod replicate;
mod replicate_kontext;
mod secrets;
mod stability;
mod stability_edit;
mod together;
mod xai;
