// App-wide state: the current section (from the URL hash), theme, projects and the catalog.
import { backend, type CatalogStatusView, type OfferView, type ProjectView } from '../api';
import { friendly, type Friendly } from '../errors';
import { SECTIONS, type Section } from '../keyboard';

const THEME_KEY = 'proofsheet.theme';
const PROJECT_KEY = 'proofsheet.project';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function sectionFromHash(hash: string): Section {
  const s = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return (SECTIONS as string[]).includes(s) ? (s as Section) : 'canvas';
}

class AppState {
  section = $state<Section>('canvas');
  theme = $state<'dark' | 'light'>('dark');
  projects = $state<ProjectView[]>([]);
  projectsLoaded = $state(false);
  projectsError = $state<Friendly | null>(null);
  projectName = $state<string | null>(null);
  // Raw: replaced whole on load; the cost table reads it in every row on every keystroke.
  offers = $state.raw<OfferView[]>([]);
  /** The catalog in use: version, published date and how old its prices are. */
  catalog = $state<CatalogStatusView | null>(null);
  /** Bumped when the gallery or budgets change, so views refetch. */
  dataVersion = $state(0);
  /** A generation to open in the gallery's detail panel. */
  openGeneration = $state<string | null>(null);
  /** A project to open in the Projects editor. */
  openProject = $state<string | null>(null);

  /** Projects in everyday lists: not archived (the selected one always stays listed). */
  get activeProjects(): ProjectView[] {
    return this.projects.filter((p) => !p.archived || p.name === this.projectName);
  }

  get project(): ProjectView | null {
    return this.projects.find((p) => p.name === this.projectName) ?? null;
  }

  init() {
    const t = storage()?.getItem(THEME_KEY);
    this.theme = t === 'light' ? 'light' : 'dark';
    this.projectName = storage()?.getItem(PROJECT_KEY) ?? null;
    const hash = globalThis.location?.hash ?? '';
    this.section = sectionFromHash(hash);
    // Deep links: #/gallery/<generation id> opens its detail; #/projects/<name> opens the editor.
    const arg = decodeURIComponent(hash.replace(/^#\/?[a-z]+\/?/, ''));
    if (arg && this.section === 'gallery') this.openGeneration = arg;
    if (arg && this.section === 'projects') this.openProject = arg;
    const t2 = new URLSearchParams(globalThis.location?.search ?? '').get('theme');
    if (t2 === 'light' || t2 === 'dark') this.theme = t2;
    this.applyTheme();
  }

  go(section: Section) {
    this.section = section;
    if (globalThis.location && sectionFromHash(globalThis.location.hash) !== section) {
      globalThis.history?.replaceState(null, '', `#/${section}`);
    }
  }

  toggleTheme() {
    this.theme = this.theme === 'dark' ? 'light' : 'dark';
    storage()?.setItem(THEME_KEY, this.theme);
    this.applyTheme();
  }

  private applyTheme() {
    globalThis.document?.documentElement.setAttribute('data-theme', this.theme);
  }

  selectProject(name: string | null) {
    this.projectName = name;
    if (name) storage()?.setItem(PROJECT_KEY, name);
  }

  async loadProjects() {
    try {
      const list = await backend().projectList();
      this.projects = list;
      this.projectsError = null;
      if (!list.some((p) => p.name === this.projectName)) this.projectName = (list.find((p) => !p.archived) ?? list[0])?.name ?? null;
    } catch (e) {
      this.projectsError = friendly(e);
    } finally {
      this.projectsLoaded = true;
    }
  }

  async loadOffers() {
    try {
      this.offers = await backend().pricingOffers();
    } catch {
      this.offers = [];
    }
    try {
      this.catalog = await backend().catalogStatus();
    } catch {
      this.catalog = null;
    }
  }

  bump() {
    this.dataVersion++;
  }
}

export const app = new AppState();
