import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Gallery from './Gallery.svelte';
import { setBackend } from '../lib/api';
import { createFakeBackend } from '../lib/api/fake';
import { app } from '../lib/app/state.svelte';
import { emptyFilters, gallery } from '../lib/gallery/state.svelte';

function reset() {
  Object.assign(gallery.filters, emptyFilters());
  gallery.detailId = null;
  gallery.selected = [];
}

describe('Gallery', () => {
  afterEach(() => cleanup());

  it('shows the empty state for a new user', async () => {
    reset();
    setBackend(createFakeBackend({ empty: true }));
    render(Gallery);
    await waitFor(() => expect(screen.getByText(/Your gallery is empty/)).toBeTruthy());
  });

  it('asks for the first page as the screen opens, without the search debounce', async () => {
    reset();
    const backend = createFakeBackend({ galleryCount: 30 });
    let asked = 0;
    const page = backend.galleryPage.bind(backend);
    backend.galleryPage = (q) => {
      asked += 1;
      return page(q);
    };
    setBackend(backend);
    render(Gallery);
    // Synchronously, before any timer could fire (the old code waited 120 ms).
    expect(asked).toBe(1);
  });

  it('renders a window of a large gallery, searches, and opens the detail with promote preview', async () => {
    reset();
    setBackend(createFakeBackend({ galleryCount: 5000 }));
    await app.loadProjects();
    render(Gallery);
    await waitFor(() => expect(screen.getAllByTestId('gallery-item').length).toBeGreaterThan(0));
    expect(screen.getAllByTestId('gallery-item').length).toBeLessThan(200);
    expect(screen.getByTestId('gallery-grid').dataset.total).toBe('5000');

    await fireEvent.input(screen.getByTestId('gallery-search'), { target: { value: 'coffee' } });
    await waitFor(() => {
      const total = Number(screen.getByTestId('gallery-grid').dataset.total);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThan(5000);
      expect(screen.getAllByTestId('gallery-item').length).toBeGreaterThan(0);
    });
    const items = screen.getAllByTestId('gallery-item');
    expect(items.every((i) => /coffee/.test(i.getAttribute('aria-label') ?? ''))).toBe(true);

    const draft = items.find((i) => /— draft/.test(i.getAttribute('aria-label') ?? ''))!;
    await fireEvent.click(draft);
    await waitFor(() => expect(screen.getByTestId('btn-promote')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('btn-promote'));
    await waitFor(() => expect(screen.getByTestId('promote-difference').textContent).toMatch(/\$/));
  });
});

describe('Gallery on a data change (issue 17)', () => {
  afterEach(() => cleanup());

  it('keeps the tiles and the count on screen while it re-reads, through two notices in a row', async () => {
    reset();
    const backend = createFakeBackend({ galleryCount: 30 });
    const page = backend.galleryPage.bind(backend);
    let asked = 0;
    let gate: Promise<void> | null = null;
    backend.galleryPage = async (q) => {
      asked += 1;
      if (gate) await gate;
      return page(q);
    };
    setBackend(backend);
    render(Gallery);
    await waitFor(() => expect(screen.getByTestId('gallery-total').textContent).toBe('30 images'));
    const shown = screen.getAllByTestId('gallery-item').length;
    const before = asked;
    let open = () => undefined as void;
    gate = new Promise<void>((r) => (open = r));
    // A generation finished, then a team catch-up: two notices in a row.
    app.bump();
    app.bump();
    await waitFor(() => expect(asked).toBe(before + 1));
    expect(screen.getByTestId('gallery-total').textContent).toBe('30 images');
    expect(screen.getAllByTestId('gallery-item').length).toBe(shown);
    gate = null;
    open();
    await waitFor(() => expect(screen.getAllByTestId('gallery-item').length).toBe(shown));
    expect(screen.getByTestId('gallery-total').textContent).toBe('30 images');
    expect(asked).toBe(before + 1);
  });
});

describe('Gallery acts on what you pick (issue 12 §1.17, §1.19.1)', () => {
  afterEach(() => cleanup());

  it('Ctrl+A selects the images, and a favourite shows on its tile at once', async () => {
    reset();
    setBackend(createFakeBackend({ galleryCount: 30 }));
    await app.loadProjects();
    render(Gallery);
    await waitFor(() => expect(screen.getAllByTestId('gallery-item').length).toBeGreaterThan(1));
    await fireEvent.keyDown(window, { key: 'a', ctrlKey: true });
    await waitFor(() => expect(screen.getByTestId('selected-count').textContent).toMatch(/^30 selected/));
    await fireEvent.keyDown(window, { key: 'Escape' });

    const tile = screen.getAllByTestId('gallery-item').find((t) => !t.textContent?.includes('♥'))!;
    const key = tile.dataset.key!;
    await fireEvent.click(tile);
    await waitFor(() => expect(screen.getByTestId('btn-favourite')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('btn-favourite'));
    await waitFor(() => {
      const again = screen.getAllByTestId('gallery-item').find((t) => t.dataset.key === key)!;
      expect(again.textContent).toContain('♥');
    });
  });
});

describe('Gallery boards and bulk export (issue 12 §3.3, §3.4, §3.8)', () => {
  afterEach(() => cleanup());

  it('deletes a board after asking; its images stay', async () => {
    reset();
    const b = createFakeBackend({ galleryCount: 60 });
    setBackend(b);
    await app.loadProjects();
    render(Gallery);
    await waitFor(() => expect(screen.getAllByTestId('gallery-item').length).toBeGreaterThan(1));
    const total = screen.getByTestId('gallery-grid').dataset.total;
    await waitFor(() => expect(screen.getByRole('option', { name: 'Textures' })).toBeTruthy());
    await fireEvent.change(screen.getByTestId('filter-board'), { target: { value: 'Textures' } });
    await fireEvent.click(await screen.findByTestId('board-delete'));
    expect(screen.getByTestId('board-delete-confirm').textContent).toMatch(/images stay/);
    await fireEvent.click(screen.getByTestId('board-delete-yes'));
    await waitFor(() => expect(screen.queryByRole('option', { name: 'Textures' })).toBeNull());
    expect(await b.galleryBoards()).not.toContain('Textures');
    await waitFor(() => expect(screen.getByTestId('gallery-grid').dataset.total).toBe(total));
  });

  it('exports the selection to a folder chosen in the native picker', async () => {
    reset();
    setBackend(createFakeBackend({ galleryCount: 30, pickedPath: '/home/me/Pictures/export' }));
    await app.loadProjects();
    render(Gallery);
    await waitFor(() => expect(screen.getAllByTestId('gallery-item').length).toBeGreaterThan(1));
    await fireEvent.keyDown(window, { key: 'a', ctrlKey: true });
    expect(screen.queryByTestId('bulk-export-folder')).toBeNull();
    await fireEvent.click(await screen.findByTestId('bulk-export'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/Exported 30 images .* to \/home\/me\/Pictures\/export/));
  });
});

describe('Gallery detail actions and the delete confirmation (review §4.1, §4.4)', () => {
  afterEach(() => cleanup());

  it('adds the shown image to a board and takes it off again', async () => {
    reset();
    const b = createFakeBackend({ galleryCount: 20 });
    setBackend(b);
    await app.loadProjects();
    render(Gallery);
    await waitFor(() => expect(screen.getAllByTestId('gallery-item').length).toBeGreaterThan(1));
    await fireEvent.click(screen.getAllByTestId('gallery-item')[0]);
    await fireEvent.input(await screen.findByTestId('board-name'), { target: { value: '  Moodboard ' } });
    await fireEvent.click(screen.getByTestId('btn-add-board'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/Added to “Moodboard”/));
    expect(await b.galleryBoards()).toContain('Moodboard');
    const chip = screen.getAllByTestId('board-remove').find((x) => x.getAttribute('aria-label')?.includes('Moodboard'))!;
    await fireEvent.click(chip);
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/Taken off “Moodboard”/));
    expect(screen.queryAllByTestId('board-remove').some((x) => x.getAttribute('aria-label')?.includes('Moodboard'))).toBe(false);
  });

  it('moves focus into the delete confirmation, keeps Tab inside, and gives it back on Keep', async () => {
    reset();
    setBackend(createFakeBackend({ galleryCount: 20 }));
    await app.loadProjects();
    render(Gallery);
    await waitFor(() => expect(screen.getAllByTestId('gallery-item').length).toBeGreaterThan(1));
    await fireEvent.click(screen.getAllByTestId('gallery-item')[0]);
    const del = await screen.findByTestId('btn-delete');
    del.focus();
    await fireEvent.click(del);
    const keep = await screen.findByTestId('btn-delete-keep');
    await waitFor(() => expect(document.activeElement).toBe(keep));
    await fireEvent.keyDown(screen.getByTestId('delete-confirm'), { key: 'Tab' });
    expect(document.activeElement).toBe(screen.getByTestId('btn-delete-confirm'));
    await fireEvent.click(keep);
    await waitFor(() => expect(screen.queryByTestId('delete-confirm')).toBeNull());
    expect(document.activeElement).toBe(del);
  });
});

