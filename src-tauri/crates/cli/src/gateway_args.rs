//! `proofsheet-cli gateway …` (issue 16). Names here are a public contract.

use clap::{Args, Subcommand, ValueEnum};
use rust_decimal::Decimal;

#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Add (or replace) a named gateway. Secret header values, then the key (with
    /// --key-stdin), are read from stdin one per line, never from arguments.
    #[command(after_help = "\
Examples:
  # A LiteLLM proxy with its virtual key, GPT Image 2 priced by the catalog + 5 %:
  echo \"$LITELLM_KEY\" | proofsheet-cli gateway add litellm --base-url http://127.0.0.1:4000/v1 \\
      --model gpt-image-2=openai:gpt-image-2 --markup 5 --key-stdin
  # Portkey in front of OpenAI: provider header plain, Portkey key as a secret header:
  echo \"$PORTKEY_KEY\" | proofsheet-cli gateway add portkey --base-url http://127.0.0.1:8787/v1 \\
      --header x-portkey-provider=openai --secret-header x-portkey-api-key \\
      --model gpt-image-2=openai:gpt-image-2
  # OpenRouter-style chat dialect:
  proofsheet-cli gateway add orouter --base-url https://openrouter.ai/api/v1 --dialect chat \\
      --model google/gemini-2.5-flash-image=openrouter:google/gemini-2.5-flash-image --key-stdin < key.txt

stdin: one line per --secret-header (in order), then the key when --key-stdin is given.
A model without =OFFER_ID is priced by --price-per-image, else its price is unknown
(a hard budget refuses it until you set a price cap).")]
    Add(Box<GatewayAddArgs>),
    /// List gateways, their models and prices (never prints a secret)
    List,
    /// Show one gateway
    Show { name: String },
    /// Remove a gateway, its key and secret headers
    Remove { name: String },
    /// Call the gateway's model list: reachable, key accepted, which mapped models it serves
    Test { name: String },
    /// Store or replace the gateway's key (read from stdin)
    Key {
        name: String,
        /// Never used: a key given as an argument lands in shell history.
        #[arg(hide = true, trailing_var_arg = true, allow_hyphen_values = true)]
        refused_secret: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DialectArg {
    /// OpenAI Images (`/images/generations`): LiteLLM, Portkey, resellers
    Images,
    /// Chat completions with image output, as OpenRouter does
    Chat,
}

#[derive(Debug, Args)]
pub struct GatewayAddArgs {
    /// Gateway name (letters, digits, - and _); offers are `gateway:NAME/MODEL`
    pub name: String,
    /// Base URL including the version path, e.g. http://127.0.0.1:4000/v1
    #[arg(long, value_name = "URL")]
    pub base_url: String,
    /// A plain header sent on every call, e.g. x-portkey-provider=openai
    #[arg(long = "header", value_name = "K=V")]
    pub headers: Vec<String>,
    /// A header whose value is secret: read from stdin, stored in the keychain
    #[arg(long = "secret-header", value_name = "K")]
    pub secret_headers: Vec<String>,
    /// A gateway model, bound to the catalog offer that prices it: NAME=OFFER_ID
    #[arg(long = "model", value_name = "NAME[=OFFER_ID]")]
    pub models: Vec<String>,
    /// Markup on the bound offer's price, in percent (5 = +5 %)
    #[arg(long, value_name = "PCT")]
    pub markup: Option<Decimal>,
    /// Markup per image, in USD, on top of the bound offer's price
    #[arg(long, value_name = "USD")]
    pub markup_per_image: Option<Decimal>,
    /// Flat price per image of models bound to no offer
    #[arg(long, value_name = "USD")]
    pub price_per_image: Option<Decimal>,
    #[arg(long, value_enum, default_value = "images")]
    pub dialect: DialectArg,
    /// Response header holding the gateway's charge [default: x-litellm-response-cost]
    #[arg(long, value_name = "HEADER")]
    pub cost_header: Option<String>,
    /// Dotted JSON path holding the gateway's charge [default: usage.cost]
    #[arg(long, value_name = "PATH")]
    pub cost_path: Option<String>,
    /// Read the gateway's key from stdin (the last line)
    #[arg(long)]
    pub key_stdin: bool,
    /// Never used: secrets given as arguments land in shell history and process lists.
    #[arg(hide = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub refused_secret: Vec<String>,
}
