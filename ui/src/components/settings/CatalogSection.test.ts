// Settings → Catalog: check shows the diff and changes nothing; apply needs the click;
// restore brings the previous catalog back; offline says how old the prices are.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import CatalogSection from './CatalogSection.svelte';
import CostTable from '../canvas/CostTable.svelte';
import { app } from '../../lib/app/state.svelte';
import { backend, setBackend } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';

const NOW = Date.parse('2026-12-04T12:00:00Z');

describe('Settings → Catalog', () => {
  afterEach(() => cleanup());

  it('checks, shows the diff, applies only on the click, and restores', async () => {
    setBackend(createFakeBackend({ galleryCount: 5, now: NOW }));
    const versions: string[] = [];
    render(CatalogSection, { onchanged: (v: string) => versions.push(v) });
    await waitFor(() => expect(screen.getByTestId('catalog-version').textContent).toBe('2026.11.29-1'));
    expect(screen.getByTestId('catalog-age').textContent).toContain('5 days old');
    expect(screen.queryByTestId('catalog-diff')).toBeNull();

    await fireEvent.click(screen.getByTestId('catalog-check'));
    await waitFor(() => expect(screen.getByTestId('catalog-diff')).toBeTruthy());
    const rows = screen.getAllByTestId('catalog-diff-price').map((r) => r.textContent ?? '');
    expect(rows[0]).toContain('FLUX 1.1 [pro]');
    expect(rows[0]).toContain('$0.0400');
    expect(rows[0]).toContain('$0.0500');
    expect(rows[0]).toContain('+25.0%');
    expect(rows[1]).toContain('−9.1%');
    expect(screen.getByTestId('catalog-diff-added').textContent).toContain('FLUX.2 [ultra]');
    expect(screen.getByTestId('catalog-diff-removed').textContent).toContain('SD 3.5 Medium');
    expect(screen.getByTestId('catalog-diff-lifecycle').textContent).toContain('Shuts down on — → 2027-06-01');
    // Nothing applied yet.
    expect(screen.getByTestId('catalog-version').textContent).toBe('2026.11.29-1');
    expect((await backend().settingsGet()).catalog_version).not.toBe('2026.12.01-1');

    await fireEvent.click(screen.getByTestId('catalog-apply'));
    await waitFor(() => expect(screen.getByTestId('catalog-version').textContent).toBe('2026.12.01-1'));
    expect(screen.queryByTestId('catalog-diff')).toBeNull();
    expect(versions).toEqual(['2026.12.01-1']);
    expect(screen.getByTestId('catalog-restore').textContent).toContain('2026.11.29-1');
    // The cost table says which catalog its prices come from.
    await waitFor(() => expect(app.catalog?.version).toBe('2026.12.01-1'));
    const table = render(CostTable, { onuse: () => undefined });
    expect(table.getByTestId('cost-catalog').textContent).toContain('catalog 2026.12.01-1, published 2026-12-01 (3 days old)');
    table.unmount();

    await fireEvent.click(screen.getByTestId('catalog-restore'));
    await waitFor(() => expect(screen.getByTestId('catalog-version').textContent).toBe('2026.11.29-1'));
    expect(versions).toEqual(['2026.12.01-1', '2026.11.29-1']);
  });

  it('offline, keeps the prices and says how old they are', async () => {
    setBackend(createFakeBackend({ galleryCount: 5, now: NOW, offline: true }));
    render(CatalogSection);
    await waitFor(() => expect(screen.getByTestId('catalog-check')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('catalog-check'));
    await waitFor(() => expect(screen.getByTestId('catalog-check-failed').textContent).toContain('5 days old'));
    expect(screen.getByTestId('catalog-check-failed').textContent).toContain('cannot reach the catalog feed');
    expect(screen.getByTestId('catalog-version').textContent).toBe('2026.11.29-1');
  });

  it('refuses a plain-http feed URL with a clear message', async () => {
    setBackend(createFakeBackend({ galleryCount: 5, now: NOW }));
    render(CatalogSection);
    await waitFor(() => expect(screen.getByTestId('catalog-feed-url')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('catalog-feed-url'), { target: { value: 'http://example.com/c.json' } });
    await fireEvent.click(screen.getByTestId('catalog-feed-save'));
    await waitFor(() => expect(document.body.textContent).toContain('not a usable feed URL'));
  });
});
