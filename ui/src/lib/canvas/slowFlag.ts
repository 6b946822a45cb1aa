// "Updating…" only when an answer is slow. The estimate comes back in ~10 ms, yet marking
// the table stale on every keystroke faded the whole table out and back (an opacity
// transition: several full repaints of 50 rows in software paint) and rewrote a live
// region twice per keystroke (issue 17). The flag now rises only after `afterMs`.

export function slowFlag(set: (slow: boolean) => void, afterMs = 250): (pending: boolean) => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let up = false;
  return (pending) => {
    if (pending) {
      if (!timer && !up) {
        timer = setTimeout(() => {
          timer = null;
          up = true;
          set(true);
        }, afterMs);
      }
      return;
    }
    if (timer) clearTimeout(timer);
    timer = null;
    if (up) {
      up = false;
      set(false);
    }
  };
}
