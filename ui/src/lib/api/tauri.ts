import { Channel, convertFileSrc } from '@tauri-apps/api/core';
import { commands, events } from '../bindings';
import type * as B from '../bindings';
import { ApiError, toApiError, type Backend, type JobListener } from './backend';
import { toBase64 } from './base64';
import type * as T from './types';

type Result<D> = { status: 'ok'; data: D } | { status: 'error'; error: B.AppError };

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

/** An input as the UI builds it (unset `Option` fields left out) is what the command
 * reads: serde takes a missing `Option` field as None. The bindings type arguments as
 * Rust serializes them (always present), so this is the one place the two meet. */
function wire<W>(input: T.Input<W>): W {
  return input as unknown as W;
}

function channel(onEvent: JobListener): Channel<T.JobEvent> {
  const ch = new Channel<T.JobEvent>();
  ch.onmessage = onEvent;
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
  pricingEstimate: (input) => unwrap(commands.pricingEstimate(wire<B.EstimateInput>(input))),
  generationSubmit: (input, onEvent) => unwrap(commands.generationSubmit(wire<B.GenerateInput>(input), channel(onEvent))),
  generationSubmitLater: (input, onEvent) => unwrap(commands.generationSubmitLater(wire<B.GenerateInput>(input), channel(onEvent))),
  deferredJobs: () => unwrap(commands.deferredJobs()),
  deferredPoll: () => unwrap(commands.deferredPoll()),
  generationCancel: (jobId) => unwrap(commands.generationCancel(jobId)),
  generationPromotePreview: (id) => unwrap(commands.generationPromotePreview(id)),
  generationPromote: (id, onEvent) => unwrap(commands.generationPromote(id, channel(onEvent))),
  // Bytes cross as one base64 string (`ImageBase64`), not a JSON array of numbers.
  inputImport: (bytes) => unwrap(commands.inputImport(toBase64(bytes))),
  generationLineage: (id) => unwrap(commands.generationLineage(id)),
  generationFinalizeOptions: (id) => unwrap(commands.generationFinalizeOptions(id)),
  generationFinalize: (input, onEvent) => unwrap(commands.generationFinalize(wire<B.FinalizeInput>(input), channel(onEvent))),
  generationUpscale: (input, onEvent) => unwrap(commands.generationUpscale(wire<B.UpscaleInput>(input), channel(onEvent))),
  routePreview: (input) => unwrap(commands.routePreview(wire<B.RoutePreviewInput>(input))),
  routeSizePresets: () => unwrap(commands.routeSizePresets()),
  projectList: () => unwrap(commands.projectList()),
  projectShow: (name) => unwrap(commands.projectShow(name)),
  projectSave: (input) => unwrap(commands.projectSave(wire<B.ProjectInput>(input))),
  projectRename: (name, newName) => unwrap(commands.projectRename(name, newName)),
  projectArchive: (name, archived) => unwrap(commands.projectArchive(name, archived)),
  galleryPage: (query) => unwrap(commands.galleryPage(wire<B.GalleryQuery>(query))),
  galleryDetail: (id) => unwrap(commands.galleryDetail(id)),
  gallerySetFavourite: (id, fav) => unwrap(commands.gallerySetFavourite(id, fav)).then(nothing),
  gallerySetRating: (id, rating) => unwrap(commands.gallerySetRating(id, rating)).then(nothing),
  galleryAddToBoard: (id, board) => unwrap(commands.galleryAddToBoard(id, board)).then(nothing),
  galleryBoards: () => unwrap(commands.galleryBoards()),
  galleryRemoveFromBoard: (id, board) => unwrap(commands.galleryRemoveFromBoard(id, board)).then(nothing),
  galleryDeleteBoard: (board) => unwrap(commands.galleryDeleteBoard(board)).then(nothing),
  galleryDelete: (ids) => unwrap(commands.galleryDelete(ids)),
  galleryExport: (ids) => unwrap(commands.galleryExport(ids)),
  galleryReveal: (path) => unwrap(commands.galleryReveal(path)).then(nothing),
  dashboardData: (project, from = null, to = null) => unwrap(commands.dashboardData(project, from, to)),
  dashboardInvoice: (query) => unwrap(commands.dashboardInvoice(wire<B.InvoiceQuery>(query))),
  dashboardInvoiceCsv: (query, suggestedName) => unwrap(commands.dashboardInvoiceCsv(wire<B.InvoiceQuery>(query), suggestedName)),
  keysList: () => unwrap(commands.keysList()),
  keysSet: (provider, secret) => unwrap(commands.keysSet(provider, secret)),
  keysDelete: (provider) => unwrap(commands.keysDelete(provider)).then(nothing),
  keysTest: (provider) => unwrap(commands.keysTest(provider)),
  settingsGet: () => unwrap(commands.settingsGet()),
  settingsSave: (input) => unwrap(commands.settingsSave(wire<B.SettingsInput>(input))),
  settingsSetOverrides: (o) => unwrap(commands.settingsSetOverrides(wire<B.PriceOverrideInput[]>(o))).then(nothing),
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
  gatewaySave: (input) => unwrap(commands.gatewaySave(wire<B.GatewayInput>(input))),
  gatewayRemove: (name) => unwrap(commands.gatewayRemove(name)).then(nothing),
  gatewayTest: (name) => unwrap(commands.gatewayTest(name)),
  teamApprovals: (pendingOnly) => unwrap(commands.teamApprovals(pendingOnly)),
  teamApprove: (id) => unwrap(commands.teamApprove(id)),
  teamRefuse: (id, reason) => unwrap(commands.teamRefuse(id, reason)),
  teamSetApprovalThreshold: (input) => unwrap(commands.teamSetApprovalThreshold(wire<B.ApprovalThresholdInput>(input))).then(nothing),
  teamApprovalThreshold: (project) => unwrap(commands.teamApprovalThreshold(project)),
  teamAwaitingApprovals: () => unwrap(commands.teamAwaitingApprovals()),
  teamWithdrawApproval: (id) => unwrap(commands.teamWithdrawApproval(id)).then(nothing),
  teamStatus: () => unwrap(commands.teamStatus()),
  teamJoin: (input) => unwrap(commands.teamJoin(wire<B.TeamJoinInput>(input))),
  teamLeave: () => unwrap(commands.teamLeave()),
  teamReport: (from, to, client) => unwrap(commands.teamReport(from, to, client)),
  teamReportCsv: (from, to, client, name) => unwrap(commands.teamReportCsv(from, to, client, name)),
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
  teamCatchUpStatus: () => unwrap(commands.teamCatchUpStatus()),
  onTeamCatchUp(cb) {
    let off: (() => void) | null = null;
    let stopped = false;
    events.teamCatchUp
      .listen((e) => cb(e.payload.view))
      .then((un) => (stopped ? un() : (off = un)))
      .catch(() => undefined);
    return () => {
      stopped = true;
      off?.();
    };
  },
  imageUrl: (path) => convertFileSrc(path),
};
