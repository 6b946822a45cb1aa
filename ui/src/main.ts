import './app.css';
import { restoreWindowState } from './lib/persist';

const target = document.getElementById('app');
if (!target) throw new Error('index.html is missing #app');

// The saved window state is put back before any screen reads it (issue 12 §1.15), so the
// app itself loads after it.
void restoreWindowState().then(() => import('./boot')).then(({ boot }) => boot(target));
