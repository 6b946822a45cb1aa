// Writes coalesced in time: 100 jobs send ~5 progress messages each within two seconds,
// and writing the whole job list to localStorage on every one of them (JSON of 100 jobs
// with their inputs) cost frames (issue 17). The first write goes at once, the rest at
// most once per window; `flush` writes what is pending now (the window closing).

export interface Saver {
  soon(): void;
  flush(): void;
}

export function createSaver(write: () => void, windowMs = 500): Saver {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let dirty = false;
  let last = -Infinity;
  const run = () => {
    timer = null;
    if (!dirty) return;
    dirty = false;
    last = Date.now();
    write();
  };
  return {
    soon() {
      dirty = true;
      if (timer) return;
      const wait = last + windowMs - Date.now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    },
    flush() {
      if (timer) clearTimeout(timer);
      run();
    },
  };
}
