import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Projects from './Projects.svelte';
import { backend, setBackend } from '../lib/api';
import { createFakeBackend } from '../lib/api/fake';
import { app } from '../lib/app/state.svelte';

describe('Projects', () => {
  afterEach(() => cleanup());

  it('tells a new user what to do when there are no projects', async () => {
    setBackend(createFakeBackend({ empty: true }));
    await app.loadProjects();
    render(Projects);
    expect(screen.getByText(/No projects yet — create one to set a budget/)).toBeTruthy();
  });

  it('validates in plain words, then creates the project with an exact budget', async () => {
    setBackend(createFakeBackend({ empty: true }));
    await app.loadProjects();
    await app.loadOffers();
    render(Projects);
    await fireEvent.click(screen.getByTestId('project-new'));
    await fireEvent.click(screen.getByTestId('project-save'));
    expect(screen.getByTestId('error-name').textContent).toMatch(/Give the project a name/);
    expect(screen.getByTestId('error-budget').textContent).toMatch(/hard stop needs a budget/);

    await fireEvent.input(screen.getByTestId('project-name'), { target: { value: 'Autumn launch' } });
    await fireEvent.input(screen.getByTestId('project-budget'), { target: { value: 'lots' } });
    await fireEvent.click(screen.getByTestId('project-save'));
    expect(screen.getByTestId('error-budget').textContent).toMatch(/like 250 or 49.99/);

    await fireEvent.input(screen.getByTestId('project-budget'), { target: { value: '49.99' } });
    await fireEvent.input(screen.getByTestId('project-client'), { target: { value: 'Halde & Co.' } });
    await fireEvent.click(screen.getByTestId('project-save'));
    await waitFor(() => expect(screen.getAllByTestId('project-item')).toHaveLength(1));
    const saved = await backend().projectShow('Autumn launch');
    expect(saved.budget_usd).toBe('49.99');
    expect(saved.client).toBe('Halde & Co.');
    expect(saved.warn_at).toEqual(['0.5', '0.8']);
  });
});

describe('Projects editing under background refreshes (issue 12 §1.3)', () => {
  afterEach(() => cleanup());

  it('keeps what is typed when a job finishes and reloads the projects, and says when the saved settings changed', async () => {
    setBackend(createFakeBackend());
    await app.loadProjects();
    await app.loadOffers();
    const name = app.projects[0].name;
    app.openProject = name;
    render(Projects);
    const client = await screen.findByTestId('project-client');
    await fireEvent.input(client, { target: { value: 'Studio Nord' } });
    await fireEvent.input(screen.getByTestId('project-budget'), { target: { value: '250' } });

    // A job finishes: every project is reloaded (new objects, new spend).
    app.projects = app.projects.map((p) => ({ ...p, spent_usd: '0.5' }));
    await waitFor(() => expect((screen.getByTestId('project-client') as HTMLInputElement).value).toBe('Studio Nord'));
    expect((screen.getByTestId('project-budget') as HTMLInputElement).value).toBe('250');
    expect(screen.queryByTestId('project-changed')).toBeNull();

    // Someone else changes the saved settings: the edits stay and the form says so.
    app.projects = app.projects.map((p) => (p.name === name ? { ...p, client: 'Other client' } : p));
    await waitFor(() => expect(screen.getByTestId('project-changed')).toBeTruthy());
    expect((screen.getByTestId('project-client') as HTMLInputElement).value).toBe('Studio Nord');
  });
});

describe('Projects rename and archive (issue 12 §3.3)', () => {
  afterEach(() => cleanup());

  it('renames a project at once and archives it out of the everyday list', async () => {
    setBackend(createFakeBackend());
    await app.loadProjects();
    const name = app.projects[0].name;
    app.openProject = name;
    render(Projects);
    await fireEvent.click(await screen.findByTestId('project-rename'));
    await fireEvent.input(screen.getByTestId('project-rename-input'), { target: { value: 'Renamed campaign' } });
    await fireEvent.click(screen.getByTestId('project-rename-save'));
    await waitFor(() => expect(app.projects.some((p) => p.name === 'Renamed campaign')).toBe(true));
    expect(app.projects.some((p) => p.name === name)).toBe(false);
    const before = screen.getAllByTestId('project-item').length;
    await fireEvent.click(await screen.findByTestId('project-archive'));
    await waitFor(() => expect(screen.getAllByTestId('project-item')).toHaveLength(before - 1));
    await fireEvent.click(screen.getByTestId('show-archived'));
    await waitFor(() => expect(screen.getAllByTestId('project-item')).toHaveLength(before));
  });
});
