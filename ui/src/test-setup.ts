// jsdom lacks ResizeObserver (used by Svelte's bind:clientWidth); a no-op keeps layout at its defaults.
class NoResize {
  observe() {}
  unobserve() {}
  disconnect() {}
}
(globalThis as { ResizeObserver?: unknown }).ResizeObserver ??= NoResize;
