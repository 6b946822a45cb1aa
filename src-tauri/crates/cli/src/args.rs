//! Command-line shape (DESIGN.md §5). Names here are a public contract: add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use crate::parse::{
    parse_budget, parse_fidelity, parse_fraction, parse_margins, parse_operation, parse_size,
};

const ABOUT: &str = "See what an AI image costs before you pay for it: price a prompt on every \
provider, generate drafts cheap and finals premium, keep every image in a local gallery that \
never pays twice, and stay inside each project's budget.";

const AFTER_HELP: &str = "\
Getting started:
  proofsheet-cli keys set openai < key.txt          store a key in the OS keychain (read from stdin)
  proofsheet-cli estimate --prompt \"a red fox\"      price the request on every offer
  proofsheet-cli project create spring --budget 50 --client \"Acme\"
  proofsheet-cli project set spring --budget 80      raise the budget (or --soft, --no-budget)
  proofsheet-cli generate --project spring --prompt \"a red fox\" --draft
  proofsheet-cli generate --project spring --prompt-file brief.txt --draft   long prompts (--prompt - reads stdin)
  proofsheet-cli gallery list --project spring --search fox
  proofsheet-cli promote <GENERATION_ID>            re-render a draft on the final chain
  proofsheet-cli report --project spring --csv spring.csv
  proofsheet-cli catalog check                      signed price updates: then catalog diff, catalog apply

Add --json to any command for one JSON document on stdout (money as decimal strings).

Environment:
  PROOFSHEET_DATA_DIR              data folder (same as --data-dir)
  PROOFSHEET_<PROVIDER>_API_KEY    a key for this process only, never stored
  PROOFSHEET_<PROVIDER>_BASE_URL   another endpoint for a provider (proxy, gateway, test server)
  PROOFSHEET_KEYCHAIN_SERVICE      keychain service (default com.proofsheet.app; com.proofsheet.dev in debug builds)
  PROOFSHEET_LOG                   log filter for stderr, e.g. debug (default warn)
  PROOFSHEET_POLL_INTERVAL_MS      how often async provider jobs are polled (default 1000)
  PROOFSHEET_HTTP_TIMEOUT_MS       give up on a provider request after this long (default 180000)
  PROOFSHEET_MAX_CALLS_PER_PROVIDER  calls at once per provider for this run, 1-256 (default: the library's setting, 8)

Exit codes:
  0 ok   1 error   2 bad usage or input   3 budget refused   4 keychain unavailable
  5 provider or key failure   6 not found (project, offer, generation)
  7 team server unreachable, login refused or its schema newer than this app   130 cancelled";

#[derive(Debug, Parser)]
#[command(name = "proofsheet-cli", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Folder holding the gallery database and images [default: the app's data folder]
    #[arg(long, global = true, env = "PROOFSHEET_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON document on stdout instead of a readable summary
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress lines on stderr
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Price a request on every offer (or the ones named) before sending anything
    #[command(
        after_help = "Example:\n  proofsheet-cli estimate --prompt \"a red fox\" --size 1536x1024 --tier draft"
    )]
    Estimate(EstimateArgs),
    /// Create and inspect projects and their budgets
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Store, list, test and remove provider API keys (OS keychain only)
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Generate images for a project (draft chain, final chain or one offer)
    #[command(
        after_help = "Examples:\n  proofsheet-cli generate --project spring --prompt \"a red fox\" --draft\n  \
        proofsheet-cli generate --project spring --prompt \"a red fox\" --offer bfl:flux-pro-1.1 --seed 42\n\n\
        Ctrl-C cancels the job (exit code 130): a call not sent yet costs nothing; one already sent\n\
        may have been billed and is booked at its estimate as an unconfirmed charge (`charges list`)."
    )]
    Generate(GenerateArgs),
    /// Re-render a draft on the project's final chain with the same prompt, seed and parameters
    Promote(PromoteArgs),
    /// Make a final of a draft: re-render it with the draft as reference, upscale it, or
    /// re-roll the prompt; without --how, prices every way side by side
    #[command(
        after_help = "Examples:\n  proofsheet-cli finalize <GENERATION_ID> --json\n  \
        proofsheet-cli finalize <GENERATION_ID> --how reference --json"
    )]
    Finalize(FinalizeArgs),
    /// Upscale a generation's image (the result links to it)
    Upscale(UpscaleArgs),
    /// Show one generation: parameters, cost, attempts, images, lineage
    Show(ShowArgs),
    /// Browse the local gallery
    #[command(subcommand)]
    Gallery(GalleryCommand),
    /// Write a project's spend lines as CSV for a client invoice
    Report(ReportArgs),
    /// List the priced offers of the catalog (ids for --offer and project chains);
    /// `offers discover` compares them with the models each provider lists for your key
    #[command(
        after_help = "Examples:\n  proofsheet-cli offers\n  proofsheet-cli offers discover --provider together\n  \
        proofsheet-cli offers import together black-forest-labs/FLUX.1-krea-dev"
    )]
    Offers {
        #[command(subcommand)]
        action: Option<OffersCommand>,
    },
    /// Drift from real bills: offers whose settled costs moved away from their estimates
    #[command(
        subcommand,
        after_help = "Examples:\n  proofsheet-cli drift list\n  proofsheet-cli drift accept recraft:recraftv3\n  \
        proofsheet-cli drift ignore recraft:recraftv3\n  proofsheet-cli drift settings --window 20 --threshold 15"
    )]
    Drift(DriftCommand),
    /// Settle jobs left running by a process that died (also done by every other command)
    Recover,
    /// Deferred (`generate --later`) jobs waiting for their provider's batch: polls them
    /// first, so what has finished lands in the gallery with its real cost
    Jobs,
    /// Unconfirmed charges: calls that may have been billed but whose outcome the provider
    /// never confirmed (counted as spent until confirmed or refunded)
    #[command(
        subcommand,
        after_help = "Examples:\n  proofsheet-cli charges list\n  \
        proofsheet-cli charges confirm 42 --amount 0.04\n  proofsheet-cli charges refund 42"
    )]
    Charges(ChargesCommand),
    /// The price catalog: check the signed feed for updates, review the diff, apply,
    /// restore; sign and verify catalog files (publishers)
    #[command(
        subcommand,
        after_help = "Examples:\n  proofsheet-cli catalog status\n  \
        proofsheet-cli catalog check                 download and verify the feed; nothing changes\n  \
        proofsheet-cli catalog diff                  what the waiting update changes\n  \
        proofsheet-cli catalog apply --version 2026.12.01-1\n  \
        proofsheet-cli catalog restore               back to the catalog in use before\n  \
        proofsheet-cli catalog sign catalog.json --key feed-key.pem\n  \
        proofsheet-cli catalog verify catalog.json"
    )]
    Catalog(CatalogCommand),
    /// Named gateways (LiteLLM, Portkey, OpenRouter-style resellers): own key, headers and
    /// a model map onto the catalog offers that price them
    #[command(subcommand)]
    Gateway(crate::gateway_args::GatewayCommand),
    /// Team mode: one budget and ledger for the studio on its PostgreSQL server
    #[command(subcommand)]
    Team(crate::team_args::TeamCommand),
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// The catalog in use (version, published, how old), the feed URL and the last check
    Status,
    /// Download the feed, verify its signature and keep a newer catalog waiting for `apply`
    Check,
    /// What the waiting update would change: prices old → new, new and retired offers,
    /// lifecycle dates (checks the feed first when nothing is waiting)
    Diff,
    /// Apply the waiting update (checks the feed first when nothing is waiting)
    Apply {
        /// Apply only this version (the one you reviewed with `diff`)
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
    },
    /// Bring back the catalog in use before the last apply (again: redo)
    Restore,
    /// Set the feed URL (the signature is fetched from URL.sig)
    SetUrl {
        #[arg(value_name = "URL", required_unless_present = "default")]
        url: Option<String>,
        /// Go back to the project's feed
        #[arg(long, conflicts_with = "url")]
        default: bool,
    },
    /// Sign a catalog file with an ed25519 private key (writes FILE.sig)
    Sign {
        file: PathBuf,
        /// Private key file: PEM from `openssl genpkey -algorithm ed25519` or `catalog keygen`
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// Where to write the signature [default: FILE.sig]
        #[arg(long, value_name = "SIGFILE")]
        out: Option<PathBuf>,
    },
    /// Check a catalog file against its signature and validate it (nothing is installed)
    Verify {
        file: PathBuf,
        /// Signature file [default: FILE.sig]
        #[arg(long, value_name = "SIGFILE")]
        sig: Option<PathBuf>,
        /// Public key as 64 hex digits [default: the key built into this app]
        #[arg(long, value_name = "HEX")]
        public_key: Option<String>,
    },
    /// Make a new signing key pair: the private key file (keep it out of any repository)
    /// and the public key to build into the app
    Keygen {
        #[arg(long, value_name = "KEYFILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum OffersCommand {
    /// Image models your keys can use that the catalog lacks, and catalog offers a
    /// provider no longer lists (OpenAI, Gemini, OpenRouter, Together, Replicate, fal)
    Discover {
        #[arg(long)]
        provider: Option<String>,
    },
    /// Import the prices OpenRouter or Together list for these models as offers
    Import {
        provider: String,
        #[arg(required = true)]
        models: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DriftCommand {
    /// Offers whose last settled attempts cost more than the threshold away from their
    /// estimates, with the evidence (--all: accepted and ignored ones too)
    List {
        #[arg(long)]
        all: bool,
    },
    /// Set the offer's rate from the observed ratio (one step)
    Accept { offer: String },
    /// Hide the drift until a whole window of later attempts still drifts
    Ignore { offer: String },
    /// Show or change the window (settled attempts) and the threshold (percent)
    Settings {
        #[arg(long)]
        window: Option<u32>,
        /// Percent, e.g. 10
        #[arg(long)]
        threshold: Option<rust_decimal::Decimal>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChargesCommand {
    /// List unconfirmed charges (optionally of one project)
    List {
        #[arg(long)]
        project: Option<String>,
    },
    /// The provider billed it: keep the charge (at --amount when its dashboard shows another price)
    Confirm {
        id: String,
        #[arg(long, value_parser = crate::parse::parse_usd, allow_hyphen_values = true)]
        amount: Option<rust_decimal::Decimal>,
    },
    /// The provider did not bill it: give the money back to the project
    Refund { id: String },
}

/// Request parameters shared by `estimate` and `generate`.
#[derive(Debug, Args, Clone)]
pub struct ParamArgs {
    /// What to draw; `-` reads it from stdin (e.g. `cat brief.txt | … --prompt -`).
    /// Required to make an image from text; an upscale, expand or variation, or an offer
    /// that takes none (stability:erase, stability:remove-background), runs without
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,
    /// Read the prompt from a UTF-8 text file (for prompts too long for the command line;
    /// one trailing line break is dropped)
    #[arg(long, value_name = "FILE", conflicts_with = "prompt")]
    pub prompt_file: Option<PathBuf>,
    /// What to avoid (ignored by models without negative prompts; the estimate says so);
    /// `-` reads it from stdin
    #[arg(long, value_name = "TEXT")]
    pub negative: Option<String>,
    /// Read the negative prompt from a UTF-8 text file
    #[arg(long, value_name = "FILE", conflicts_with = "negative")]
    pub negative_file: Option<PathBuf>,
    /// Image size as WIDTHxHEIGHT, 64 to 8192 pixels per side
    #[arg(long, value_name = "WxH", default_value = "1024x1024", value_parser = parse_size,
          allow_hyphen_values = true)]
    pub size: (u32, u32),
    /// Quality level, e.g. low, medium, high, hd (model-specific)
    #[arg(long, value_name = "Q")]
    pub quality: Option<String>,
    /// Number of images
    #[arg(long, value_name = "N", default_value_t = 1, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(1..=10))]
    pub n: u32,
    /// Sampling steps (models that take them)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub steps: Option<u32>,
    /// Seed, 0 to 4294967295; omitted means random (the engine records the one it used)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seed: Option<u32>,
    #[command(flatten)]
    pub inputs: InputArgs,
}

/// Image inputs and the operation on them (issue 15), on `estimate` and `generate`.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// An input image: a PNG/JPEG/WebP file, or a gallery image as GENERATION_ID[:INDEX].
    /// Repeat for several; the first is the image edited, expanded or upscaled, the others
    /// are references
    #[arg(long = "image", value_name = "FILE|GENERATION_ID[:INDEX]")]
    pub images: Vec<String>,
    /// A PNG the size of the first image, transparent (alpha 0) where to edit
    #[arg(long, value_name = "FILE")]
    pub mask: Option<PathBuf>,
    /// What to do with the images (default: edit with --image, inpaint with --mask,
    /// expand with --expand, upscale with --scale)
    #[arg(long = "op", value_name = "OP", value_parser = parse_operation)]
    pub op: Option<vocab::Operation>,
    /// Pixels to add left, top, right, bottom (expand), e.g. 0,256,0,256
    #[arg(long, value_name = "L,T,R,B", value_parser = parse_margins)]
    pub expand: Option<[u32; 4]>,
    /// Upscale factor, 2 to 8
    #[arg(long, value_name = "N")]
    pub scale: Option<u32>,
    /// How faithfully the model keeps the input images (OpenAI input_fidelity)
    #[arg(long, value_name = "low|high", value_parser = parse_fidelity)]
    pub fidelity: Option<vocab::InputFidelity>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TierArg {
    Draft,
    Final,
    All,
}

#[derive(Debug, Args)]
pub struct EstimateArgs {
    #[command(flatten)]
    pub params: ParamArgs,
    /// Which offers to price
    #[arg(long, value_enum, default_value = "all")]
    pub tier: TierArg,
    /// Price only this offer (repeatable); see `proofsheet-cli offers`
    #[arg(long = "offer", value_name = "ID")]
    pub offers: Vec<String>,
    /// Also show dedup hits and the budget impact for this project
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project (budgets are hard unless --soft)
    #[command(
        after_help = "Example:\n  proofsheet-cli project create spring --budget 50 --client \"Acme\" \
        --draft-chain fal:fal-ai/flux/schnell,bfl:flux-dev"
    )]
    Create(ProjectCreateArgs),
    /// Change a project's budget or client; anything not named stays as it is
    #[command(
        after_help = "Examples:\n  proofsheet-cli project set spring --budget 80\n  \
        proofsheet-cli project set spring --soft          warn past the budget instead of refusing\n  \
        proofsheet-cli project set spring --no-budget     track spend without a limit\n  \
        proofsheet-cli project set spring --client \"Halde & Co.\""
    )]
    Set(ProjectSetArgs),
    /// Show a project's budget: spent, reserved, remaining, saved by reuse
    Show { name: String },
    /// List projects
    List,
}

#[derive(Debug, Args)]
pub struct ProjectCreateArgs {
    pub name: String,
    /// Budget in USD, e.g. 50 or 12.50
    #[arg(long, value_name = "USD", value_parser = parse_budget, allow_hyphen_values = true)]
    pub budget: Option<Decimal>,
    /// Refuse any request that could exceed the budget (default)
    #[arg(long, conflicts_with = "soft")]
    pub hard: bool,
    /// Warn past the budget instead of refusing
    #[arg(long)]
    pub soft: bool,
    /// The budget resets every calendar month
    #[arg(long)]
    pub monthly: bool,
    /// Client name for reports
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// Warn when spend passes these fractions of the budget, e.g. 0.5,0.8
    #[arg(long, value_name = "F,..", value_delimiter = ',', value_parser = parse_fraction)]
    pub warn_at: Vec<Decimal>,
    /// Ordered draft offers, comma-separated [default: the cheapest capable offers]
    #[arg(long, value_name = "ID,..", value_delimiter = ',')]
    pub draft_chain: Vec<String>,
    /// Ordered final offers, comma-separated [default: premium offers]
    #[arg(long, value_name = "ID,..", value_delimiter = ',')]
    pub final_chain: Vec<String>,
    /// After a safety block, fall back to the next offer instead of stopping
    #[arg(long)]
    pub allow_safety_fallback: bool,
    /// Check prompts with OpenAI's free moderation endpoint before any paid call
    #[arg(long)]
    pub moderation: bool,
}

#[derive(Debug, Args)]
pub struct ProjectSetArgs {
    pub name: String,
    /// New budget in USD, e.g. 80 or 12.50 (spend so far is kept)
    #[arg(long, value_name = "USD", value_parser = parse_budget, allow_hyphen_values = true,
          conflicts_with = "no_budget")]
    pub budget: Option<Decimal>,
    /// Remove the budget: spend is still tracked, nothing is refused
    #[arg(long)]
    pub no_budget: bool,
    /// Refuse any request that could exceed the budget
    #[arg(long, conflicts_with = "soft")]
    pub hard: bool,
    /// Warn past the budget instead of refusing
    #[arg(long)]
    pub soft: bool,
    /// The budget resets every calendar month
    #[arg(long, conflicts_with = "total")]
    pub monthly: bool,
    /// The budget covers the project's whole life (no monthly reset)
    #[arg(long)]
    pub total: bool,
    /// Warn when spend passes these fractions of the budget, e.g. 0.5,0.8
    #[arg(long, value_name = "F,..", value_delimiter = ',', value_parser = parse_fraction)]
    pub warn_at: Vec<Decimal>,
    /// Client name for reports ("" removes it)
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Store a key in the OS keychain; the key is read from stdin, never from an argument
    #[command(
        after_help = "Examples:\n  proofsheet-cli keys set openai < openai-key.txt\n  \
        pass show openai | proofsheet-cli keys set openai"
    )]
    Set(KeysSetArgs),
    /// List providers with a key (never prints a secret)
    List,
    /// Remove a provider's key from the keychain
    Delete { provider: String },
    /// Check a key with a cheap authenticated call to the provider
    Test { provider: String },
}

#[derive(Debug, Args)]
pub struct KeysSetArgs {
    /// Provider id, e.g. openai, stability, google, replicate, fal, bfl, together, openrouter
    pub provider: String,
    /// Never used: a key given as an argument lands in shell history and process lists.
    #[arg(hide = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub refused_secret: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("route").required(true).args(["draft", "final_", "offer"])))]
pub struct GenerateArgs {
    /// Project to charge
    #[arg(long, value_name = "NAME")]
    pub project: String,
    /// Route on the project's draft chain (cheap)
    #[arg(long)]
    pub draft: bool,
    /// Route on the project's final chain (premium)
    #[arg(long = "final", id = "final_")]
    pub final_: bool,
    /// Use exactly this offer; see `proofsheet-cli offers`
    #[arg(long, value_name = "ID")]
    pub offer: Option<String>,
    #[command(flatten)]
    pub params: ParamArgs,
    /// Pay again even when the same request is already in the gallery
    #[arg(long)]
    pub no_dedup: bool,
    /// Send nothing: print the offer this would run, its price and what is snapped or
    /// ignored, or why it cannot run and the fix (the app's Draft/Final button text)
    #[arg(long)]
    pub plan: bool,
    /// Cheaper if it can wait: send it to the provider's batch API at the batch price
    /// (Gemini, GPT Image: half price, within 24 h). Returns at once with the generation
    /// id and state `deferred`; `proofsheet-cli jobs` shows it, any later run lands it.
    #[arg(long)]
    pub later: bool,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    pub generation_id: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FinalizeHowArg {
    /// Re-render on a final model with the draft as the image to edit
    Reference,
    /// Upscale the draft
    Upscale,
    /// Re-roll the prompt on the final chain (promote)
    Reroll,
}

#[derive(Debug, Args)]
pub struct FinalizeArgs {
    /// The draft: GENERATION_ID[:INDEX]
    pub generation_id: String,
    /// Which way; without it, prints every way priced side by side and runs nothing
    #[arg(long, value_enum)]
    pub how: Option<FinalizeHowArg>,
    /// Run on this offer instead of the project's final chain
    #[arg(long, value_name = "ID")]
    pub offer: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpscaleArgs {
    /// GENERATION_ID[:INDEX]
    pub generation_id: String,
    /// Factor, 2 to 8 (default 2)
    #[arg(long, value_name = "N")]
    pub scale: Option<u32>,
    #[arg(long, value_name = "ID")]
    pub offer: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub generation_id: String,
}

#[derive(Debug, Subcommand)]
pub enum GalleryCommand {
    /// Newest images first
    List(GalleryListArgs),
}

#[derive(Debug, Args)]
pub struct GalleryListArgs {
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// Full-text search over prompt, negative prompt, tags, provider and model
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    #[arg(long, value_name = "N", default_value_t = 50, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub limit: u32,
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,
    #[arg(long, value_enum)]
    pub tier: Option<TierArg>,
    /// Only favourites
    #[arg(long)]
    pub favourites: bool,
    /// Continue after a previous page (its next_cursor)
    #[arg(long)]
    pub cursor: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long, value_name = "NAME")]
    pub project: String,
    /// Where to write the CSV
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
