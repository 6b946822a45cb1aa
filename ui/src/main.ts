import './app.css';
import { initBackend } from './lib/api';
import { restoreWindowState } from './lib/persist';

const target = document.getElementById('app');
if (!target) throw new Error('index.html is missing #app');

// The backend is chosen first (the browser preview loads its fake on demand), then the
// saved window state is put back before any screen reads it (issue 12 §1.15), so the
// app itself loads after it.
// Marks of start-up's steps, for profiling it (`performance.getEntriesByType('mark')`).
void initBackend()
  .then(() => restoreWindowState())
  .then(() => {
    performance.mark('proofsheet-state-restored');
    return import('./boot');
  })
  .then(({ boot }) => {
    performance.mark('proofsheet-boot-loaded');
    boot(target);
    performance.mark('proofsheet-mounted');
  });
