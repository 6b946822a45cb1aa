import { describe, expect, it } from 'vitest';
import { setBackend } from '../api';
import { createFakeBackend } from '../api/fake';
import { app } from '../app/state.svelte';
import { prefetchFirstPage, takePrefetched } from './prefetch';
import { toQuery, emptyFilters } from './state.svelte';

const first = () => ({ ...toQuery(emptyFilters()), cursor: null, limit: 200 });

describe('gallery first-page prefetch', () => {
  it('hands the prefetched page to the same first query, once', async () => {
    const backend = createFakeBackend({ galleryCount: 30 });
    let asked = 0;
    const page = backend.galleryPage.bind(backend);
    backend.galleryPage = (q) => {
      asked += 1;
      return page(q);
    };
    setBackend(backend);
    prefetchFirstPage(first());
    const taken = takePrefetched(first());
    expect(taken).not.toBeNull();
    expect((await taken!).items.length).toBeGreaterThan(0);
    expect(takePrefetched(first())).toBeNull();
    expect(asked).toBe(1);
  });

  it('is not used for another query, or after the data changed', () => {
    setBackend(createFakeBackend({ galleryCount: 30 }));
    prefetchFirstPage(first());
    expect(takePrefetched({ ...first(), favourites_only: true })).toBeNull();
    prefetchFirstPage(first());
    app.dataVersion++;
    expect(takePrefetched(first())).toBeNull();
  });
});
