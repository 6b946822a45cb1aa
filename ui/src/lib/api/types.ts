// Friendly names for the generated contract. The bindings give one shape per Rust type,
// as Rust serializes it (an `Option` field is always present, maybe null). Inputs are
// wrapped in `Input<…>`: serde reads a missing `Option` field as None, so it may be left out.
import type * as B from '../bindings';

export type Input<T> = T extends (infer U)[]
  ? Input<U>[]
  : T extends object
    ? { [K in keyof T as null extends T[K] ? K : never]?: Input<T[K]> } & {
        [K in keyof T as null extends T[K] ? never : K]: Input<T[K]>;
      }
    : T;

export type AppErrorKind = B.AppErrorKind;
// The closed sets of the shared vocabulary (Rust crate `vocab`): unions, so a
// `Record<Union, …>` missing a member fails `npm run check`.
export type ProviderId = B.ProviderId;
export type ImageMime = B.ImageMime;
export type OfferProvider = B.OfferProvider;
export type BillingKind = B.BillingKind;
export type EstimateConfidence = B.EstimateConfidence;
export type EstimateSource = B.EstimateSource;
export type Availability = B.Availability;
export type DataTopic = B.DataTopic;
export type ErrorField = B.ErrorField;
export type AttemptOutcome = B.AttemptOutcome;
export type LifecycleStatus = B.LifecycleStatus;
export type DriftStatus = B.DriftStatus;
export type DiscoveryStatus = B.DiscoveryStatus;
export type DeferredMode = B.DeferredMode;
export type CatalogOrigin = B.CatalogOrigin;
export type CatalogCheckOutcome = B.CatalogCheckOutcome;
export type LifecycleField = B.LifecycleField;
export type GatewayDialect = B.GatewayDialect;
export type GatewayPricing = B.GatewayPricing;
export type BuildChannel = B.BuildChannel;
export type AppInfo = B.AppInfo;
export type OfferView = B.OfferView;
export type EstimateInput = Input<B.EstimateInput>;
export type EstimateResult = B.EstimateResult;
export type OfferEstimate = B.OfferEstimate;
export type BudgetView = B.BudgetView;
export type GenerateInput = Input<B.GenerateInput>;
export type RequestParams = Input<B.RequestParams>;
export type StoredParams = B.RequestParams;
export type JobEvent = B.JobEvent;
export type GenerationResult = B.GenerationResult;
export type AttemptView = B.AttemptView;
export type ImageView = B.ImageView;
export type PromotePreview = B.PromotePreview;
export type ProjectView = B.ProjectView;
export type ProjectInput = Input<B.ProjectInput>;
export type GalleryQuery = Input<B.GalleryQuery>;
export type GalleryPage = B.GalleryPage;
export type GalleryItem = B.GalleryItem;
export type InvoiceQuery = Input<B.InvoiceQuery>;
export type Invoice = B.Invoice;
export type InvoiceLine = B.InvoiceLine;
export type InvoiceItem = B.InvoiceItem;
export type GenerationDetail = B.GenerationDetail;
export type GenerationStatus = B.GenerationStatus;
export type DashboardData = B.DashboardData;
export type SpendPoint = B.SpendPoint;
export type KeyView = B.KeyView;
export type KeyCheckView = B.KeyCheckView;
export type KeyStatus = B.KeyStatus;
export type SettingsView = B.SettingsView;
export type SettingsInput = Input<B.SettingsInput>;
export type ProviderEndpoint = B.ProviderEndpoint;
export type GatewayConfig = B.GatewayConfig;
export type GatewayInput = Input<B.GatewayInput>;
export type GatewayView = B.GatewayView;
export type GatewayHeaderView = B.GatewayHeaderView;
export type GatewayModelView = B.GatewayModelView;
export type GatewayTestView = B.GatewayTestView;
export type PriceOverrideInput = Input<B.PriceOverrideInput>;
export type CatalogImportReport = B.CatalogImportReport;
export type Tier = B.Tier;
export type TierFilter = B.TierFilter;
export type Route = B.Route;
export type BudgetPeriod = B.BudgetPeriod;
export type ChargeView = B.ChargeView;
export type CatalogStatusView = B.CatalogStatusView;
export type CatalogCheckView = B.CatalogCheckView;
export type CatalogDiffView = B.CatalogDiffView;
export type PriceChangeView = B.PriceChangeView;
export type RouteDecision = B.RouteDecision;
export type RoutePreviewInput = Input<B.RoutePreviewInput>;
export type SkippedOffer = B.SkippedOffer;
export type SizePreset = B.SizePreset;
export type DriftMark = B.DriftMark;
export type DriftView = B.DriftView;
export type DriftEvidence = B.DriftEvidence;
export type DriftSettings = B.DriftSettings;
export type DiscoveryReport = B.DiscoveryReport;
export type ProviderDiscovery = B.ProviderDiscovery;
export type DiscoveredModel = B.DiscoveredModel;
export type OfferImportReport = B.OfferImportReport;
export type DeferredPrice = B.DeferredPrice;
export type DeferredJobView = B.DeferredJobView;
export type RecoveryReport = B.RecoveryReport;
export type ApprovalStateView = B.ApprovalStateView;
export type TeamApprovalView = B.TeamApprovalView;
export type TeamApprovals = B.TeamApprovals;
export type ApprovalThresholdInput = Input<B.ApprovalThresholdInput>;
export type AwaitingApprovalView = B.AwaitingApprovalView;
export type ExportDone = B.ExportDone;
// Image inputs (issue 15).
export type Operation = B.Operation;
export type InputRole = B.InputRole;
export type InputFidelity = B.InputFidelity;
export type InputSource = B.InputSource;
export type InputRef = B.InputRef;
export type ExpandMargins = B.ExpandMargins;
export type ImportedImage = B.ImportedImage;
export type InputView = B.InputView;
export type Lineage = B.Lineage;
export type LineageLink = B.LineageLink;
export type FinalizeHow = B.FinalizeHow;
export type DraftFidelity = B.DraftFidelity;
export type FinalizeOption = B.FinalizeOption;
export type FinalizeOptions = B.FinalizeOptions;
export type FinalizeInput = Input<B.FinalizeInput>;
export type UpscaleInput = Input<B.UpscaleInput>;
// Team mode (issue 18).
export type TeamStatusView = B.TeamStatusView;
export type TeamJoinInput = Input<B.TeamJoinInput>;
export type TeamMeterView = B.TeamMeterView;
export type TeamReportView = B.TeamReportView;
export type TeamCatchUpView = B.TeamCatchUpView;
export type TeamCatchUpPhase = B.TeamCatchUpPhase;
export type TeamSpendRow = B.TeamSpendRow;
export type TeamReportLine = B.TeamReportLine;
