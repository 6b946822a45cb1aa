import { Channel, convertFileSrc, invoke } from '@tauri-apps/api/core';
import { commands, events } from '../bindings';
import type { AppError, JobEvent_Deserialize } from '../bindings';
import { ApiError, toApiError, type Backend, type JobListener } from './backend';
import type * as T from './types';

type Result<D> = { status: 'ok'; data: D } | { status: 'error'; error: AppError };

/** Turns a specta result into a value or a thrown ApiError. */
export async function unwrap<D>(call: Promise<Result<D>>): Promise<D> {
  let r: Result<D>;
  try {
    r = await call;
  } catch (e) {
    throw toApiError(e);
  }
  if (r.status === 'ok') return r.data;
  // Tauri itself (a command the window is not granted, arguments it cannot read)
  // rejects with a bare string: show it rather than a blank "Something went wrong".
  if (typeof r.error === 'string') throw new ApiError('internal', r.error);
  throw new ApiError(r.error?.kind ?? 'internal', r.error?.message ?? 'Something went wrong.');
}

function normaliseEvent(e: JobEvent_Deserialize): T.JobEvent {
  if (e.stage === 'done') return { stage: 'done', result: normaliseResult(e.result) };
  if (e.stage === 'failed') {
    return { stage: 'failed', message: e.message, result: e.result ? normaliseResult(e.result) : null };
  }
  if (e.stage === 'reserved') return { ...e, warning: e.warning ?? null };
  return e as T.JobEvent;
}

function normaliseResult(r: NonNullable<Extract<JobEvent_Deserialize, { stage: 'done' }>['result']>): T.GenerationResult {
  return {
    ...r,
    error: r.error ?? null,
    budget_warning: r.budget_warning ?? null,
    images: r.images.map((i) => ({ ...i, thumb_path: i.thumb_path ?? null, seed: i.seed ?? null })),
    attempts: r.attempts.map(({ expected_usd, reported_usd, gateway_reported_usd, ...a }) => ({
      ...a, error: a.error ?? null, review: a.review ?? null,
      ...(expected_usd != null ? { expected_usd } : {}), ...(reported_usd != null ? { reported_usd } : {}),
      ...(gateway_reported_usd != null ? { gateway_reported_usd } : {}),
    })),
  };
}

/** The dialog plugin's own commands (open/save only are granted): a picked path or null. */
async function pick(cmd: 'open' | 'save', options: Record<string, unknown>): Promise<string | null> {
  try {
    const r = await invoke<string | string[] | null>(`plugin:dialog|${cmd}`, { options });
    return Array.isArray(r) ? (r[0] ?? null) : r;
  } catch (e) {
    throw toApiError(e);
  }
}

function channel(onEvent: JobListener): Channel<JobEvent_Deserialize> {
  const ch = new Channel<JobEvent_Deserialize>();
  ch.onmessage = (e) => onEvent(normaliseEvent(e));
  return ch;
}

const nothing = () => undefined;

export const tauriBackend: Backend = {
  name: 'tauri',
  appInfo: () => unwrap(commands.appInfo()),
  appReady: () => unwrap(commands.appReady()),
  uiStateGet: () => unwrap(commands.uiStateGet()),
  uiStateSet: (json) => unwrap(commands.uiStateSet(json)).then(nothing),
  pricingOffers: () => unwrap(commands.pricingOffers()),
  pricingEstimate: (input) => unwrap(commands.pricingEstimate(input)),
  generationSubmit: (input, onEvent) => unwrap(commands.generationSubmit(input, channel(onEvent))),
  generationSubmitLater: (input, onEvent) => unwrap(commands.generationSubmitLater(input, channel(onEvent))),
  deferredJobs: () => unwrap(commands.deferredJobs()),
  deferredPoll: () => unwrap(commands.deferredPoll()),
  generationCancel: (jobId) => unwrap(commands.generationCancel(jobId)),
  generationPromotePreview: (id) => unwrap(commands.generationPromotePreview(id)),
  generationPromote: (id, onEvent) => unwrap(commands.generationPromote(id, channel(onEvent))),
  routePreview: (input) => unwrap(commands.routePreview(input)),
  routeSizePresets: () => unwrap(commands.routeSizePresets()),
  projectList: () => unwrap(commands.projectList()),
  projectShow: (name) => unwrap(commands.projectShow(name)),
  projectSave: (input) => unwrap(commands.projectSave(input)),
  projectRename: (name, newName) => unwrap(commands.projectRename(name, newName)),
  projectArchive: (name, archived) => unwrap(commands.projectArchive(name, archived)),
  galleryPage: (query) => unwrap(commands.galleryPage(query)),
  galleryDetail: (id) => unwrap(commands.galleryDetail(id)),
  gallerySetFavourite: (id, fav) => unwrap(commands.gallerySetFavourite(id, fav)).then(nothing),
  gallerySetRating: (id, rating) => unwrap(commands.gallerySetRating(id, rating)).then(nothing),
  galleryAddToBoard: (id, board) => unwrap(commands.galleryAddToBoard(id, board)).then(nothing),
  galleryBoards: () => unwrap(commands.galleryBoards()),
  galleryRemoveFromBoard: (id, board) => unwrap(commands.galleryRemoveFromBoard(id, board)).then(nothing),
  galleryDeleteBoard: (board) => unwrap(commands.galleryDeleteBoard(board)).then(nothing),
  galleryDelete: (ids) => unwrap(commands.galleryDelete(ids)),
  galleryExport: (ids, folder) => unwrap(commands.galleryExport(ids, folder)),
  galleryReveal: (path) => unwrap(commands.galleryReveal(path)).then(nothing),
  dashboardData: (project, from = null, to = null) => unwrap(commands.dashboardData(project, from, to)),
  dashboardInvoice: (query) => unwrap(commands.dashboardInvoice(query)),
  dashboardInvoiceCsv: (query, file) => unwrap(commands.dashboardInvoiceCsv(query, file)),
  pickFolder: (title) => pick('open', { title, directory: true, multiple: false }),
  pickSaveFile: (title, defaultName) => pick('save', { title, defaultPath: defaultName, filters: [{ name: 'CSV', extensions: ['csv'] }] }),
  dashboardReportCsv: (project, file) => unwrap(commands.dashboardReportCsv(project, file)),
  keysList: () => unwrap(commands.keysList()),
  keysSet: (provider, secret) => unwrap(commands.keysSet(provider, secret)),
  keysDelete: (provider) => unwrap(commands.keysDelete(provider)).then(nothing),
  keysTest: (provider) => unwrap(commands.keysTest(provider)),
  settingsGet: () => unwrap(commands.settingsGet()),
  settingsSave: (input) => unwrap(commands.settingsSave(input)),
  settingsSetOverrides: (o) => unwrap(commands.settingsSetOverrides(o)).then(nothing),
  settingsImportCatalog: (json) => unwrap(commands.settingsImportCatalog(json)),
  chargesList: (project) => unwrap(commands.chargesList(project)),
  chargeConfirm: (id, amountUsd) => unwrap(commands.chargeConfirm(id, amountUsd)),
  chargeRefund: (id) => unwrap(commands.chargeRefund(id)),
  catalogStatus: () => unwrap(commands.catalogStatus()),
  catalogSetFeedUrl: (url) => unwrap(commands.catalogSetFeedUrl(url)),
  catalogCheck: () => unwrap(commands.catalogCheck()),
  catalogApply: (version) => unwrap(commands.catalogApply(version)),
  catalogRestore: () => unwrap(commands.catalogRestore()),
  driftList: () => unwrap(commands.driftList()),
  driftAccept: (offerId) => unwrap(commands.driftAccept(offerId)),
  driftIgnore: (offerId) => unwrap(commands.driftIgnore(offerId)),
  driftSettingsGet: () => unwrap(commands.driftSettingsGet()),
  driftSettingsSave: (input) => unwrap(commands.driftSettingsSave(input)),
  offersDiscover: (provider) => unwrap(commands.offersDiscover(provider)),
  offersImport: (provider, models) => unwrap(commands.offersImport(provider, models)),
  gatewayList: () => unwrap(commands.gatewayList()),
  gatewaySave: (input) => unwrap(commands.gatewaySave(input)),
  gatewayRemove: (name) => unwrap(commands.gatewayRemove(name)).then(nothing),
  gatewayTest: (name) => unwrap(commands.gatewayTest(name)),
  onDataChanged(cb) {
    let off: (() => void) | null = null;
    let stopped = false;
    events.dataChanged
      .listen((e) => cb(e.payload.topic))
      .then((un) => (stopped ? un() : (off = un)))
      .catch(() => undefined);
    return () => {
      stopped = true;
      off?.();
    };
  },
  imageUrl: (path) => convertFileSrc(path),
};
