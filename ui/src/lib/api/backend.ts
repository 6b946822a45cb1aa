import type * as T from './types';
import type { commands } from '../bindings';

export const ERROR_KINDS: readonly T.AppErrorKind[] = [
  'validation', 'not_found', 'budget', 'keychain', 'auth', 'provider', 'team', 'cancelled', 'internal',
];

/** Every failed command surfaces as one of these; components show `message`. */
export class ApiError extends Error {
  readonly kind: T.AppErrorKind;
  /** The input field a validation error concerns (set by the engine, never parsed from the message). */
  readonly field: T.ErrorField | null;
  constructor(kind: T.AppErrorKind, message: string, field: T.ErrorField | null = null) {
    super(message);
    this.name = 'ApiError';
    this.kind = ERROR_KINDS.includes(kind) ? kind : 'internal';
    this.field = field;
  }
}

/** Normalises anything thrown into an ApiError (so views never see raw exceptions). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e) {
    const o = e as { kind: unknown; message: unknown; field?: unknown };
    const field = typeof o.field === 'string' ? (o.field as T.ErrorField) : null;
    return new ApiError(String(o.kind) as T.AppErrorKind, String(o.message), field);
  }
  if (e instanceof Error) return new ApiError('internal', e.message);
  return new ApiError('internal', String(e));
}

export type JobListener = (event: T.JobEvent) => void;
export type Unlisten = () => void;

/** One method per backend command; plain promises that reject with ApiError. */
export interface Backend {
  readonly name: 'tauri' | 'fake';
  appInfo(): Promise<T.AppInfo>;
  /** Reports the first painted frame (start-up figure in BENCHMARKS.md); returns ms since launch. */
  appReady(): Promise<number>;
  /** The window's saved state (a JSON object of storage keys to texts), kept in the library folder. */
  uiStateGet(): Promise<string | null>;
  uiStateSet(json: string): Promise<void>;
  pricingOffers(): Promise<T.OfferView[]>;
  pricingEstimate(input: T.EstimateInput): Promise<T.EstimateResult>;
  generationSubmit(input: T.GenerateInput, onEvent: JobListener): Promise<string>;
  /** "Later": sends the request to the provider's batch API at the batch price; the job ends
   *  (`done`, status `deferred`) once the provider has it, and it lands in the gallery later. */
  generationSubmitLater(input: T.GenerateInput, onEvent: JobListener): Promise<string>;
  /** Generations waiting for a provider's batch, with when each is expected. */
  deferredJobs(): Promise<T.DeferredJobView[]>;
  /** Polls the waiting batches now; what finished lands in the gallery. */
  deferredPoll(): Promise<T.RecoveryReport>;
  generationCancel(jobId: string): Promise<boolean>;
  generationPromotePreview(generationId: string): Promise<T.PromotePreview>;
  generationPromote(generationId: string, onEvent: JobListener): Promise<string>;
  /** Takes pasted, dropped or picked image bytes as an input: checked and kept in the
   *  library by sha256, which the request then names (`{ kind: 'blob', sha256 }`). */
  inputImport(bytes: Uint8Array): Promise<T.ImportedImage>;
  /** The inputs a result used and the results made from its images (one step each way). */
  generationLineage(generationId: string): Promise<T.Lineage>;
  /** Every way to make a final of this draft (re-render from it, upscale it, re-roll), priced. */
  generationFinalizeOptions(generationId: string): Promise<T.FinalizeOptions>;
  /** Runs the chosen way; the final links to the draft. */
  generationFinalize(input: T.FinalizeInput, onEvent: JobListener): Promise<string>;
  generationUpscale(input: T.UpscaleInput, onEvent: JobListener): Promise<string>;
  /** The engine's routing decision for Draft / Final / Use before it is pressed. */
  routePreview(input: T.RoutePreviewInput): Promise<T.RouteDecision>;
  /** Canvas size presets some usable offer makes exactly. */
  routeSizePresets(): Promise<T.SizePreset[]>;
  projectList(): Promise<T.ProjectView[]>;
  projectShow(name: string): Promise<T.ProjectView>;
  projectSave(input: T.ProjectInput): Promise<T.ProjectView>;
  /** Renames a project; its spend, images and settings follow it. */
  projectRename(name: string, newName: string): Promise<T.ProjectView>;
  /** Archives or restores a project; nothing is deleted. */
  projectArchive(name: string, archived: boolean): Promise<T.ProjectView>;
  galleryPage(query: T.GalleryQuery): Promise<T.GalleryPage>;
  galleryDetail(generationId: string): Promise<T.GenerationDetail>;
  gallerySetFavourite(generationId: string, favourite: boolean): Promise<void>;
  gallerySetRating(generationId: string, rating: number): Promise<void>;
  galleryAddToBoard(generationId: string, board: string): Promise<void>;
  galleryBoards(): Promise<string[]>;
  /** Takes an image (`<id>` or `<id>#<index>`) off a board. */
  galleryRemoveFromBoard(generationId: string, board: string): Promise<void>;
  /** Deletes a board; its images stay in the gallery. */
  galleryDeleteBoard(board: string): Promise<void>;
  /** Deletes images (files and rows); the spend history stays. Returns how many. */
  galleryDelete(generationIds: string[]): Promise<number>;
  /** Exports into a folder the user picks in a native dialog (the shell opens it); null when cancelled. */
  galleryExport(generationIds: string[]): Promise<T.ExportDone | null>;
  galleryReveal(path: string): Promise<void>;
  /** Spend of a project (or all) for the days `from`..=`to` (`YYYY-MM-DD`, either open). */
  dashboardData(project: string | null, from?: string | null, to?: string | null): Promise<T.DashboardData>;
  /** A project's invoice for a billing period: cents per line, display names, a markup. */
  dashboardInvoice(query: T.InvoiceQuery): Promise<T.Invoice>;
  /** The invoice's items as CSV (UTF-8 with a BOM), one row per item, saved where the user
   * picks in a native dialog (`suggestedName` is its starting name); the path, or null. */
  dashboardInvoiceCsv(query: T.InvoiceQuery, suggestedName: string): Promise<string | null>;
  keysList(): Promise<T.KeyView[]>;
  keysSet(provider: T.ProviderId, secret: string): Promise<T.KeyView>;
  keysDelete(provider: T.ProviderId): Promise<void>;
  keysTest(provider: T.ProviderId): Promise<T.KeyCheckView>;
  settingsGet(): Promise<T.SettingsView>;
  settingsSave(input: T.SettingsInput): Promise<T.SettingsView>;
  settingsSetOverrides(overrides: T.PriceOverrideInput[]): Promise<void>;
  settingsImportCatalog(json: string): Promise<T.CatalogImportReport>;
  /** Charges no provider confirmed (outcome unknown), newest first; of one project or all. */
  chargesList(project: string | null): Promise<T.ChargeView[]>;
  /** The provider billed it: keep it as spent (at `amountUsd` when given). Returns the change of spent. */
  chargeConfirm(id: string, amountUsd: string | null): Promise<string>;
  /** The provider did not bill it (mark as not billed): the budget gets it back. Returns the amount. */
  chargeRefund(id: string): Promise<string>;
  /** The catalog in use (version, published, age), its feed, the update waiting for an OK. */
  catalogStatus(): Promise<T.CatalogStatusView>;
  /** Sets the feed URL; null goes back to the project's feed. */
  catalogSetFeedUrl(url: string | null): Promise<T.CatalogStatusView>;
  /** Downloads and verifies the feed; a newer catalog waits, with its diff, for catalogApply. */
  catalogCheck(): Promise<T.CatalogCheckView>;
  /** Applies the reviewed update (only that version). */
  catalogApply(version: string): Promise<T.CatalogStatusView>;
  /** Brings back the catalog in use before the last apply. */
  catalogRestore(): Promise<T.CatalogStatusView>;
  /** Offers whose settled costs drifted from their estimates (every status), with the evidence. */
  driftList(): Promise<T.DriftView[]>;
  /** Accepts a drift in one step: the offer's rate follows the observed ratio. */
  driftAccept(offerId: string): Promise<T.DriftView>;
  /** Ignores a drift until a whole window of later attempts still drifts. */
  driftIgnore(offerId: string): Promise<T.DriftView>;
  driftSettingsGet(): Promise<T.DriftSettings>;
  driftSettingsSave(input: T.DriftSettings): Promise<T.DriftSettings>;
  /** Models the keys can use that the catalog lacks, and offers providers no longer list. */
  offersDiscover(provider: T.ProviderId | null): Promise<T.DiscoveryReport>;
  /** Imports OpenRouter's or Together's listed prices as offers (after the user's OK). */
  offersImport(provider: T.ProviderId, models: string[]): Promise<T.OfferImportReport>;
  /** Named gateways (LiteLLM, Portkey, OpenRouter-style): no reply ever holds a secret. */
  gatewayList(): Promise<T.GatewayView[]>;
  /** Adds or replaces a gateway; its offers are priced and routable at once. */
  gatewaySave(input: T.GatewayInput): Promise<T.GatewayView>;
  gatewayRemove(name: string): Promise<void>;
  /** Calls the gateway's model list: reachable, key accepted, which mapped models it serves. */
  gatewayTest(name: string): Promise<T.GatewayTestView>;
  /** This library's team (Settings → Team): joined, reachable, or why not. Never the password. */
  teamStatus(): Promise<T.TeamStatusView>;
  /** Joins the team server; the password goes to the OS keychain and is never returned. */
  teamJoin(input: T.TeamJoinInput): Promise<T.TeamStatusView>;
  /** Leaves the team on this library (refused while this machine's generations are open there). */
  teamLeave(): Promise<T.TeamStatusView>;
  /** The team's spend in a period (YYYY-MM-DD, UTC, inclusive) by member, client and project. */
  teamReport(from: string, to: string, client: string | null): Promise<T.TeamReportView>;
  /** Saves the period's lines (of one client or all) as CSV where the user picks; null if cancelled. */
  teamReportCsv(from: string, to: string, client: string | null, suggestedName: string): Promise<string | null>;
  /** App-wide "refetch this" notices: this app's writes and other processes' (the CLI). */
  /** Team approval requests: the team's (admins, `can_decide`) or this member's own. */
  teamApprovals(pendingOnly: boolean): Promise<T.TeamApprovals>;
  /** Approves a request (admins only): the requester's job then runs it once. */
  teamApprove(approvalId: string): Promise<T.TeamApprovalView>;
  /** Refuses a request with a reason the requester is shown (admins only). */
  teamRefuse(approvalId: string, reason: string): Promise<T.TeamApprovalView>;
  /** Sets or removes (`threshold_usd` null) a team project's approval threshold (admins). */
  teamSetApprovalThreshold(input: T.ApprovalThresholdInput): Promise<void>;
  /** A team project's approval threshold (null: off, or not in a team); anyone may read it. */
  teamApprovalThreshold(project: string): Promise<string | null>;
  /** This library's requests waiting for an admin (kept across restarts). */
  teamAwaitingApprovals(): Promise<T.AwaitingApprovalView[]>;
  /** Withdraws a request of this library still waiting; nothing is charged. */
  teamWithdrawApproval(approvalId: string): Promise<void>;
  onDataChanged(cb: (topic: T.DataTopic) => void): Unlisten;
  /** Where the background catch-up with the team is (teammates' images arriving). */
  teamCatchUpStatus(): Promise<T.TeamCatchUpView>;
  /** Its progress as it changes. */
  onTeamCatchUp(cb: (view: T.TeamCatchUpView) => void): Unlisten;
  /** A URL the webview can load for a stored image path. */
  imageUrl(path: string): string;
}

// Every generated command has its Backend method (same name), and every Backend method
// is a command or one of the few UI-side helpers: `npm run check` fails on a miss, so a
// new command cannot be forgotten here. (Signatures differ on purpose: progress is a
// listener, not a Channel; bytes are a Uint8Array; errors throw ApiError.)
type CommandName = keyof typeof commands;
/** Backend members that are not commands (no IPC call of their own). */
type UiOnly = 'name' | 'imageUrl' | 'onDataChanged' | 'onTeamCatchUp';
/** Commands the window does not call yet: the Canvas reads a picked file's bytes in the
 * webview and sends them to `inputImport`; `input_import_file` (the native picker) has no
 * caller in the UI. Listed here so the gap is visible, not silent. */
type NotCalled = 'inputImportFile';
type NoMethod = Exclude<CommandName, keyof Backend | NotCalled>;
type NoCommand = Exclude<keyof Backend, CommandName | UiOnly>;
export const everyCommandHasAMethod: [NoMethod] extends [never] ? true : { missing: NoMethod } = true;
export const everyMethodIsACommand: [NoCommand] extends [never] ? true : { notACommand: NoCommand } = true;
