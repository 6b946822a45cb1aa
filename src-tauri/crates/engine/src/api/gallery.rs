//! The gallery's shapes: a page of images (keyset-paged, filtered, searched) and the
//! detail of one generation.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vocab::OfferProvider;

use super::{AttemptView, GenerationStatus, ImageView, Lineage, RequestParams, Tier};

ipc_type! {
    pub struct GalleryQuery {
        pub project: Option<String>,
        pub board: Option<String>,
        pub provider: Option<OfferProvider>,
        pub tier: Option<Tier>,
        /// RFC 3339 bounds, inclusive.
        pub from: Option<String>,
        pub to: Option<String>,
        pub favourites_only: bool,
        pub min_rating: Option<u32>,
        /// Full-text search over prompt, negative prompt, tags, provider and model.
        pub search: Option<String>,
        /// Opaque keyset cursor from the previous page, or `@<n>` to start at the n-th match.
        pub cursor: Option<String>,
        pub limit: u32,
    }

    pub struct GalleryItem {
        pub generation_id: String,
        pub image: ImageView,
        pub prompt: String,
        pub project: String,
        pub provider: OfferProvider,
        pub model: String,
        pub tier: Tier,
        /// The whole generation's cost (divide by `image_count` for this image's share).
        pub cost_usd: Decimal,
        pub created_at: String,
        pub favourite: bool,
        pub rating: u32,
        /// This image's index in its generation (`<generation_id>#<image_index>` names it).
        pub image_index: u32,
        /// How many images the generation made.
        pub image_count: u32,
    }

    pub struct GalleryPage {
        pub items: Vec<GalleryItem>,
        pub next_cursor: Option<String>,
        /// Total matching images (for the grid's scroll height).
        pub total: u32,
    }

    pub struct GenerationDetail {
        pub generation_id: String,
        pub project: String,
        pub status: GenerationStatus,
        pub tier: Tier,
        pub offer_id: String,
        pub provider: OfferProvider,
        pub model: String,
        pub params: RequestParams,
        pub estimate_usd: Decimal,
        pub cost_usd: Decimal,
        /// The part of `cost_usd` the provider never confirmed.
        pub unconfirmed_usd: Decimal,
        pub saved_usd: Decimal,
        pub created_at: String,
        pub images: Vec<ImageView>,
        pub attempts: Vec<AttemptView>,
        /// The draft this final was promoted from.
        pub parent_id: Option<String>,
        /// Finals promoted from this draft.
        pub children: Vec<String>,
        pub favourite: bool,
        pub rating: u32,
        pub boards: Vec<String>,
        /// Its inputs and the results made from it (draft → edits → final).
        #[serde(default)]
        pub lineage: Option<Lineage>,
    }
}
