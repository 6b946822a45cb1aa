//! App-level tests of the command surface through the real IPC handler (no window).

mod bindings;
mod commands;
mod events;
mod fake_fixtures;
mod hermetic;
mod image_import;
mod surface;
