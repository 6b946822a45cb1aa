//! Gateway definitions (issue 16): one typed row per named gateway. Secret header
//! values and keys never reach this table; only which headers are secret.

use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::money::{from_nanos, to_nanos};
use crate::{Store, now_ms};

/// An extra header: a plain value, or `secret` (its value lives in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayHeader {
    pub name: String,
    /// `None` for a secret header.
    pub value: Option<String>,
    pub secret: bool,
}

/// A gateway model and the catalog offer whose formula prices it (none: flat or unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayModel {
    pub name: String,
    pub offer_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayRow {
    pub name: String,
    pub base_url: String,
    pub dialect: vocab::GatewayDialect,
    pub headers: Vec<GatewayHeader>,
    pub models: Vec<GatewayModel>,
    pub markup_percent: Option<Decimal>,
    pub markup_per_image_usd: Option<Decimal>,
    /// Flat price of an unbound model.
    pub price_per_image_usd: Option<Decimal>,
    pub cost_header: Option<String>,
    pub cost_json_path: Option<String>,
}

type Raw = (
    String,
    String,
    vocab::GatewayDialect,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn row_of(r: Raw) -> Result<GatewayRow> {
    Ok(GatewayRow {
        name: r.0,
        base_url: r.1,
        dialect: r.2,
        headers: serde_json::from_str(&r.3)?,
        models: serde_json::from_str(&r.4)?,
        markup_percent: r.5.and_then(|t| t.parse().ok()),
        markup_per_image_usd: r.6.map(from_nanos),
        price_per_image_usd: r.7.map(from_nanos),
        cost_header: r.8,
        cost_json_path: r.9,
    })
}

const COLUMNS: &str = "name, base_url, dialect, headers, models, markup_percent, \
     markup_per_image_nanos, price_per_image_nanos, cost_header, cost_json_path";

impl Store {
    /// Every gateway, by name.
    pub fn gateways(&self) -> Result<Vec<GatewayRow>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM gateways ORDER BY name"))?;
            let raws = st
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        crate::error::closed_col(r, 2, "gateways.dialect")?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<Raw>>>()?;
            raws.into_iter().map(row_of).collect()
        })
    }

    pub fn gateway(&self, name: &str) -> Result<Option<GatewayRow>> {
        Ok(self.gateways()?.into_iter().find(|g| g.name == name))
    }

    /// Adds the gateway, or replaces the one of that name.
    pub fn put_gateway(&self, g: &GatewayRow) -> Result<()> {
        let headers = serde_json::to_string(&g.headers)?;
        let models = serde_json::to_string(&g.models)?;
        let markup = g.markup_per_image_usd.map(to_nanos).transpose()?;
        let price = g.price_per_image_usd.map(to_nanos).transpose()?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO gateways(name, base_url, dialect, headers, models, markup_percent,
                     markup_per_image_nanos, price_per_image_nanos, cost_header, cost_json_path,
                     created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
                 ON CONFLICT(name) DO UPDATE SET base_url = excluded.base_url,
                     dialect = excluded.dialect, headers = excluded.headers,
                     models = excluded.models, markup_percent = excluded.markup_percent,
                     markup_per_image_nanos = excluded.markup_per_image_nanos,
                     price_per_image_nanos = excluded.price_per_image_nanos,
                     cost_header = excluded.cost_header, cost_json_path = excluded.cost_json_path,
                     updated_at = excluded.updated_at",
                params![
                    g.name,
                    g.base_url,
                    g.dialect.as_str(),
                    headers,
                    models,
                    g.markup_percent.map(|d| d.normalize().to_string()),
                    markup,
                    price,
                    g.cost_header,
                    g.cost_json_path,
                    now_ms()
                ],
            )?;
            Ok(())
        })
    }

    /// Removes the gateway; false when there was none.
    pub fn remove_gateway(&self, name: &str) -> Result<bool> {
        self.write(|tx| {
            let existed: Option<i64> = tx
                .query_row("SELECT 1 FROM gateways WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?;
            tx.execute("DELETE FROM gateways WHERE name = ?1", [name])?;
            Ok(existed.is_some())
        })
    }
}
