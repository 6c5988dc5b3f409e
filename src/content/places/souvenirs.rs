//! Souvenirs from Belarus: crafts and produce, by category, material and region
//! of origin. Stored like places, without a location.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{run_item, run_list, Ctx, Kind, PlaceQuery, PlaceRow, RawPlaceFilter, RegionRef};
use crate::content::sections::ItemQuery;
use crate::content::vocab::{RegionSlug, SouvenirCategory};
use crate::content::{Image, Translation};
use crate::error::{AppError, AppResult, Problem};
use crate::http::params::RawList;
use crate::http::response::ListBody;
use crate::AppState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Souvenir {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub translations: Vec<Translation>,
    pub name: String,
    pub summary: String,
    /// Sanitized HTML.
    pub description_html: String,
    pub category: Option<SouvenirCategory>,
    pub materials: Vec<String>,
    /// The region the craft or product comes from, or null.
    pub origin_region: Option<RegionRef>,
    pub image: Option<Image>,
    pub tags: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn shape(r: &PlaceRow, ctx: &Ctx) -> Souvenir {
    let core = ctx.core(r);
    Souvenir {
        id: core.id,
        slug: core.slug,
        locale: core.locale,
        translations: core.translations,
        name: core.name,
        summary: core.summary,
        description_html: core.description_html,
        category: r.category.as_deref().and_then(SouvenirCategory::from_wire),
        materials: ctx.terms(r.id, "material"),
        origin_region: core.region,
        image: core.image,
        tags: core.tags,
        published_at: core.published_at,
        created_at: core.created_at,
        updated_at: core.updated_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SouvenirListQuery {
    /// Page size, 1-100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Opaque cursor from `meta.next_cursor`.
    pub cursor: Option<String>,
    /// 1-based page number (not with `cursor`).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub page: Option<String>,
    /// `name` (default); `-name` for descending.
    #[param(pattern = "^-?name$")]
    pub sort: Option<String>,
    /// Text to find in the name or summary.
    pub q: Option<String>,
    /// Only souvenirs changed at or after this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub updated_since: Option<String>,
    /// Region of origin.
    #[param(value_type = Option<RegionSlug>)]
    pub region: Option<String>,
    #[param(value_type = Option<SouvenirCategory>)]
    pub category: Option<String>,
    /// A material (such as `linen`, `straw`).
    pub material: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// Response locale (`be`, `ru`, `en`).
    pub lang: Option<String>,
}

impl PlaceQuery for SouvenirListQuery {
    fn raw(&self) -> RawList<'_> {
        RawList {
            limit: self.limit.as_deref(),
            cursor: self.cursor.as_deref(),
            page: self.page.as_deref(),
            sort: self.sort.as_deref(),
            q: self.q.as_deref(),
            updated_since: self.updated_since.as_deref(),
        }
    }
    fn raw_filter(&self) -> RawPlaceFilter<'_> {
        RawPlaceFilter {
            region: self.region.as_deref(),
            tag: self.tag.as_deref(),
            ..Default::default()
        }
    }
    fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
    fn format(&self) -> Option<&str> {
        None
    }
}

#[utoipa::path(
    tag = "places",
    params(SouvenirListQuery),
    responses(
        (status = 200, description = "Souvenirs from Belarus", body = ListBody<Souvenir>),
        (status = 400, description = "Unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/souvenirs")]
pub async fn list_souvenirs(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SouvenirListQuery>,
) -> AppResult<HttpResponse> {
    let (category, material) = (query.category.clone(), query.material.clone());
    run_list(
        &req,
        &state,
        vec![Kind::Souvenir],
        &*query,
        &["name"],
        |f| {
            if let Some(c) = category.as_deref() {
                f.category = Some(SouvenirCategory::parse_param("category", c)?.to_string());
            }
            if let Some(m) = material.as_deref() {
                let m = m.trim().to_lowercase();
                if m.is_empty() || m.chars().count() > 60 || m.chars().any(char::is_control) {
                    return Err(AppError::bad_param(
                        "material",
                        "must be a material name such as `linen`",
                    ));
                }
                f.terms.push(("material", m));
            }
            Ok(())
        },
        shape,
    )
    .await
}

#[utoipa::path(
    tag = "places",
    params(("id" = String, Path, description = "Id, or slug in the requested locale"), ItemQuery),
    responses(
        (status = 200, description = "One souvenir", body = Souvenir),
        (status = 404, description = "No such souvenir", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/souvenirs/{id}")]
pub async fn get_souvenir(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ItemQuery>,
) -> AppResult<HttpResponse> {
    run_item(
        &req,
        &state,
        Kind::Souvenir,
        &path,
        query.lang.as_deref(),
        shape,
    )
    .await
}
