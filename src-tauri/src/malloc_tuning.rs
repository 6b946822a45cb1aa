//! glibc's allocator, tuned for a desktop app's memory (issue 17: PSS of the app tree).
//!
//! glibc gives each thread that allocates its own arena, up to eight per core, and an
//! arena keeps what was freed in it for reuse. The app's threads (the async workers, a
//! blocking pool that grows to dozens during a burst of jobs, GTK's) and WebKit's each
//! leave pages behind that way. Two arenas serve a two-thread-at-a-time workload as well.
//! - this process: `mallopt(M_ARENA_MAX, 2)`, before any other thread exists;
//! - the WebKit processes it starts: `MALLOC_ARENA_MAX=2`, which their glibc reads at
//!   start-up (a value the user set is left alone);
//! - every few seconds, `malloc_trim(0)` gives freed pages back (glibc returns only the
//!   top of each heap by itself; a burst of IPC pages or jobs leaves holes below it).

/// Arenas per process.
const ARENAS: i32 = 2;

/// Call first thing in `main`, before any other thread exists.
#[allow(
    unsafe_code,
    reason = "set_var and mallopt before any other thread exists: nothing reads the environment or allocates concurrently"
)]
pub fn apply() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const VAR: &str = "MALLOC_ARENA_MAX";
        if std::env::var_os(VAR).is_none() {
            // SAFETY: called from `main` before the runtime, GTK or any thread starts.
            unsafe { std::env::set_var(VAR, ARENAS.to_string()) };
        }
        // SAFETY: mallopt only changes the allocator's parameters; a refusal returns 0
        // and leaves them as they were.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, ARENAS) };
    }
}

/// How often freed pages are given back.
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Starts the thread that trims every [`TRIM_EVERY`] for the life of the process.
pub fn trim_in_background() {
    let spawned = std::thread::Builder::new()
        .name("proofsheet-malloc-trim".into())
        .spawn(|| {
            loop {
                std::thread::sleep(TRIM_EVERY);
                trim();
            }
        });
    if let Err(e) = spawned {
        tracing::debug!("no background malloc_trim: {e}");
    }
}

/// Gives the allocator's free pages back to the OS; cheap when there are none.
#[allow(
    unsafe_code,
    reason = "malloc_trim takes no pointers and is thread-safe"
)]
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim locks each arena itself; it reads and writes no caller memory.
    unsafe {
        libc::malloc_trim(0);
    }
}
