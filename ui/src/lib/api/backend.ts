import type * as T from './types';

export const ERROR_KINDS: readonly T.AppErrorKind[] = [
  'validation', 'not_found', 'budget', 'keychain', 'auth', 'provider', 'cancelled', 'internal',
];

/** Every failed command surfaces as one of these; components show `message`. */
export class ApiError extends Error {
  readonly kind: T.AppErrorKind;
  constructor(kind: T.AppErrorKind, message: string) {
    super(message);
    this.name = 'ApiError';
    this.kind = ERROR_KINDS.includes(kind) ? kind : 'internal';
  }
}

/** Normalises anything thrown into an ApiError (so views never see raw exceptions). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e) {
    const o = e as { kind: unknown; message: unknown };
    return new ApiError(String(o.kind) as T.AppErrorKind, String(o.message));
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
  pricingOffers(): Promise<T.OfferView[]>;
  pricingEstimate(input: T.EstimateInput): Promise<T.EstimateResult>;
  generationSubmit(input: T.GenerateInput, onEvent: JobListener): Promise<string>;
  generationCancel(jobId: string): Promise<boolean>;
  generationPromotePreview(generationId: string): Promise<T.PromotePreview>;
  generationPromote(generationId: string, onEvent: JobListener): Promise<string>;
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
  /** Deletes images (files and rows); the spend history stays. Returns how many. */
  galleryDelete(generationIds: string[]): Promise<number>;
  galleryExport(generationIds: string[], folder: string): Promise<string[]>;
  galleryReveal(path: string): Promise<void>;
  dashboardData(project: string | null): Promise<T.DashboardData>;
  dashboardReportCsv(project: string, file: string): Promise<string>;
  keysList(): Promise<T.KeyView[]>;
  keysSet(provider: string, secret: string): Promise<T.KeyView>;
  keysDelete(provider: string): Promise<void>;
  keysTest(provider: string): Promise<T.KeyCheckView>;
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
  /** Named gateways (LiteLLM, Portkey, OpenRouter-style): no reply ever holds a secret. */
  gatewayList(): Promise<T.GatewayView[]>;
  /** Adds or replaces a gateway; its offers are priced and routable at once. */
  gatewaySave(input: T.GatewayInput): Promise<T.GatewayView>;
  gatewayRemove(name: string): Promise<void>;
  /** Calls the gateway's model list: reachable, key accepted, which mapped models it serves. */
  gatewayTest(name: string): Promise<T.GatewayTestView>;
  /** App-wide "refetch this" notifications ("gallery", "projects", "keys", "settings"). */
  onDataChanged(cb: (what: string) => void): Unlisten;
  /** A URL the webview can load for a stored image path. */
  imageUrl(path: string): string;
}
