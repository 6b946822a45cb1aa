//! App-level tests of the command surface through the real IPC handler (no window).

mod bindings;
mod commands;
mod events;
